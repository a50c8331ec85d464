"""The departments' page (工作联系单, issue 15 item 1): what is dispatched to the user's
departments, with its deadlines, and the steps they take on it (workflow.department_flow).

Registered in agent_console/__init__.py as `agent_console.department:bp`. A department
user sees only these pages (and log-in, language, notifications): the agent desktop,
households and recordings are the centre's. The centre sees the department's sheet on
its own order page through `department_sheet(order)`.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from agent_console.extensions import db
from workflow import department_flow, department_members

bp = Blueprint("department", __name__, url_prefix="/department")

# What a department user may open besides this blueprint's pages.
OPEN_TO_DEPARTMENTS = {"auth", "vendor", "health", "notifications", "error_pages", "assets"}
# The centre's pages they land on by a link (log-in, a notification) and where they go instead.
REDIRECTED = {"agent.console": "department.worklist", "agent.index": "department.worklist",
              "work_orders.show_order": "department.show_order"}


@bp.record_once
def _install_resolver(state) -> None:
    department_members.install(state.app.extensions["hotline_sessions"])


@bp.before_app_request
def _department_users_stay_on_their_pages():
    if not current_user.is_authenticated or current_user.role != "department":
        return None
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.split(".")[0] in OPEN_TO_DEPARTMENTS | {"department"}:
        return None
    if endpoint in REDIRECTED:
        return redirect(url_for(REDIRECTED[endpoint], **(request.view_args or {})))
    abort(403)


@bp.app_context_processor
def _sheet_for_the_centre():
    def department_sheet(order):
        return department_flow.latest_task(db(), order)
    return {"department_sheet": department_sheet}


from agent_console.department import views  # noqa: E402,F401  (routes on bp)
