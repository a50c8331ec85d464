"""Log in and out, language switch."""
from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from agent_console.extensions import LANGUAGES, client_ip, db, redis_client
from agent_console.forms import EmptyForm, LoginForm
from agent_console.ratelimit import LoginLimiter
from models.console import User

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("login.html", form=form), status
    limiter = LoginLimiter(redis_client())
    username = form.username.data.strip()
    if limiter.blocked(username, client_ip()):
        flash(_("Too many failed log-ins. Wait five minutes and try again."), "error")
        return render_template("login.html", form=form), 429
    user = db().scalar(select(User).where(User.username == username))
    if user is None or not user.active or not check_password_hash(
            user.password_hash, form.password.data):
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
        logout_user()
        session.clear()
    return redirect(url_for("auth.login"))


@bp.post("/lang/<code>")
def set_language(code: str):
    if code in LANGUAGES and EmptyForm().validate_on_submit():
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.language = code
            db().commit()
    return redirect(url_for("agent.console"))
