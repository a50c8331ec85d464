"""The purge log page (issue 19.5): each `hotline purge` run, what it took of each kind
of personal data and under which retention period. Supervisors and admins only; the
purge itself runs from the command line or its timer, never from a page."""
from __future__ import annotations

from flask import render_template

from agent_console.extensions import db, roles_required
from agent_console.supervisor import bp
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from maintenance.purge_log import recent_runs
from models.retention import PURGE_KINDS


@bp.get("/retention")
@roles_required(*SUPERVISOR_ROLES)
def retention_page():
    runs = recent_runs(db())
    return render_template("supervisor/retention.html", runs=runs, kinds=PURGE_KINDS,
                           periods=runs[0].kinds if runs else {})
