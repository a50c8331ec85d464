"""Flask extensions and the small per-request helpers every blueprint uses."""
from __future__ import annotations

import functools

import redis
from flask import abort, current_app, g, request, session
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from models.console import User

LANGUAGES = ("zh", "en")

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(user_id: str):
    if not user_id.isdigit():
        return None
    user = db().get(User, int(user_id))
    return user if user is not None and user.active else None


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    return "zh"


def db() -> Session:
    """The request's database session, closed at the end of the request."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["hotline_sessions"]()
    return g.db_session


def redis_client() -> redis.Redis:
    return current_app.extensions["hotline_redis"]


def settings():
    return current_app.extensions["hotline_settings"]


def client_ip() -> str:
    return request.remote_addr or "unknown"


def roles_required(*roles: str):
    """Only logged-in users with one of `roles` reach the view; others get 403."""
    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
