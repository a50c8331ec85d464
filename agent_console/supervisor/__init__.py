"""Supervisors' pages: the live wallboard (with listen/whisper/barge), statistics
beside their norms (table, chart, Excel), recordings and QA scores.

Registered in agent_console/__init__.py: the blueprint `agent_console.supervisor:bp`
and the Socket.IO namespace `agent_console.supervisor.sockets:WallboardNamespace`.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor",
               template_folder="templates", static_folder="static")

from agent_console.supervisor import recordings, views  # noqa: E402,F401  (routes on bp)
