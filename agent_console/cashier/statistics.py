"""The collection rate among the supervisors' statistics (issue 16.6): the cashier's
figures (households.payments.collection_report) read-only for supervisors and
admins, beside the call measures. Registered as `agent_console.cashier.statistics:bp`.
"""
from __future__ import annotations

from flask import Blueprint

from agent_console.extensions import roles_required

bp = Blueprint("collection", __name__, url_prefix="/supervisor/collection-rate")


@bp.get("")
@roles_required("supervisor", "admin")
def page():
    from agent_console.cashier.views import collection_page

    return collection_page()
