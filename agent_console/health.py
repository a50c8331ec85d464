"""`/healthz`: 200 "ok" when the database and Redis answer, else 503 naming what is down."""
from __future__ import annotations

import logging

from flask import Blueprint
from sqlalchemy import text

from agent_console.extensions import db, redis_client

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    down = []
    try:
        db().execute(text("SELECT 1"))
    except Exception:
        log.warning("health: database unreachable", exc_info=True)
        down.append("database")
    try:
        redis_client().ping()
    except Exception:
        log.warning("health: redis unreachable", exc_info=True)
        down.append("redis")
    if down:
        return f"not ready: {', '.join(down)} unreachable\n", 503, {"Content-Type": "text/plain"}
    return "ok\n", 200, {"Content-Type": "text/plain"}
