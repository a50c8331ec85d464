"""Supervisors' pages: the live wallboard (with listen/whisper/barge), statistics
beside their norms (table, chart, Excel), recordings and QA scores.

Registered in agent_console/__init__.py: the blueprint `agent_console.supervisor:bp`
and the Socket.IO namespace `agent_console.supervisor.sockets:WallboardNamespace`.
"""
from __future__ import annotations

import flask_babel
from flask import Blueprint

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor",
               template_folder="templates", static_folder="static")


@bp.app_template_filter("translated")
def translated(text: str) -> str:
    """A runtime string (a measure's label) in the user's language.

    Jinja's `_()` %-formats its result, which breaks on labels such as
    "Answered %"; Flask-Babel's Python gettext formats only when given values.
    """
    return flask_babel.gettext(text)

from agent_console.supervisor import recordings, views  # noqa: E402,F401  (routes on bp)
from agent_console.supervisor import ivr_lockouts  # noqa: E402,F401  (routes on bp)
from agent_console.supervisor import calls  # noqa: E402,F401  (routes on bp)
from agent_console.supervisor import wallboard  # noqa: E402,F401  (routes on bp)
from agent_console.supervisor import rota_view  # noqa: E402,F401  (routes on bp)
from agent_console.supervisor import rota_import_view  # noqa: E402,F401  (routes on bp)
from agent_console.supervisor import retention_view  # noqa: E402,F401  (routes on bp)
