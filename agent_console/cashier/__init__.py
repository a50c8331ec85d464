"""The cashier's desk (收费员, issue 16 item 6): the IVR's call-back requests as a
worklist, payments entered with their receipt, the collection rate by community,
building and fee kind.

Registered in agent_console/__init__.py as `agent_console.cashier:bp`. A cashier sees
only these pages and the household search (with the card it opens): the agent
desktop, work orders and recordings are the centre's. The desk itself is the
cashier's alone; other roles get 403 there.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

bp = Blueprint("cashier", __name__, url_prefix="/cashier", template_folder="templates")

# What a cashier may open besides this blueprint's pages.
OPEN_TO_CASHIERS = {"auth", "vendor", "health", "notifications", "error_pages", "assets",
                    "search"}
# The centre's landing pages (after log-in) and where a cashier goes instead.
REDIRECTED = {"agent.console": "cashier.desk", "agent.index": "cashier.desk"}


@bp.before_app_request
def _cashiers_stay_on_their_pages():
    if not current_user.is_authenticated or current_user.role != "cashier":
        return None
    endpoint = request.endpoint or ""
    if endpoint == "static" or endpoint.split(".")[0] in OPEN_TO_CASHIERS | {"cashier"}:
        return None
    if endpoint in REDIRECTED:
        return redirect(url_for(REDIRECTED[endpoint]))
    abort(403)


from agent_console.cashier import views  # noqa: E402,F401  (routes on bp)
