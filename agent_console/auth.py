"""Log in and out, language switch."""
from __future__ import annotations

import logging
import math
import secrets

from flask import (
    Blueprint, current_app, flash, redirect, render_template, request, session, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from agent_console.extensions import LANGUAGES, client_ip, db, redis_client
from agent_console.forms import EmptyForm, LoginForm
from agent_console.ratelimit import LoginLimiter
from agent_console.socket_sessions import disconnect_user
from models.console import User

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

# Checked instead when the username is unknown or disabled, so that such a log-in
# costs the same hash work as a wrong password (no user enumeration by timing).
# Made with werkzeug's default method, the one `hotline users add` uses.
DUMMY_PASSWORD_HASH = generate_password_hash(secrets.token_urlsafe(16))


def password_matches(user, password: str) -> bool:
    """One password hash check whether or not the user exists and is active."""
    usable = user is not None and user.active
    stored = user.password_hash if usable else DUMMY_PASSWORD_HASH
    return check_password_hash(stored, password) and usable


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("login.html", form=form), status
    limiter = LoginLimiter(redis_client(), clock=current_app.extensions["hotline_clock"])
    username = form.username.data.strip()
    wait_s = limiter.wait_s(username, client_ip())
    if wait_s > 0:
        seconds = math.ceil(wait_s)
        flash(_("Too many failed log-ins. Wait %(seconds)d seconds and try again.",
                seconds=seconds), "error")
        return render_template("login.html", form=form), 429, {"Retry-After": str(seconds)}
    user = db().scalar(select(User).where(User.username == username))
    if not password_matches(user, form.password.data):
        limiter.failed(username, client_ip())
        log.info("failed log-in for %r from %s", username, client_ip())
        flash(_("Wrong username or password."), "error")
        return render_template("login.html", form=form), 401
    limiter.succeeded(username, client_ip())
    session.clear()  # a fresh session on log-in: no fixation
    login_user(user)
    session["lang"] = user.language
    return redirect(url_for("agent.console"))


@bp.post("/logout")
@login_required
def logout():
    if EmptyForm().validate_on_submit():
        user_id = current_user.id
        logout_user()
        session.clear()
        # The browser's open sockets were authenticated by this session: end them too.
        disconnect_user(redis_client(), user_id, server=socketio_server())
    return redirect(url_for("auth.login"))


def socketio_server():
    from agent_console import socketio

    return socketio.server


@bp.post("/lang/<code>")
def set_language(code: str):
    if code in LANGUAGES and EmptyForm().validate_on_submit():
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.language = code
            db().commit()
    return redirect(url_for("agent.console"))
