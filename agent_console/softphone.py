"""The desk's WebRTC softphone (issue 17), server side.

A softphone agent (queue interface PJSIP/webrtc-80NN, hotline/softphone.py) gets
their SIP account from /api/softphone/account when the desk opens; the page
registers over wss and reports here when it loses the phone (microphone refused,
no audio device, WebSocket lost): the agent is paused with that reason at once,
so the queue rings nobody's dead phone even before Asterisk notices the contact
gone. When the phone is back, the pause this module made (and only that one: a
lunch pause stays) is lifted.
"""
from __future__ import annotations

import logging

import redis
from flask import Blueprint, abort, current_app, jsonify, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from agent_console import softphone_quality
from agent_console.commands import run_command
from agent_console.errors import AssetBuildError
from agent_console.softphone_bundle import build_jssip_bundle, bundle_path
from agent_console.extensions import db, redis_client, settings
from hotline.softphone import account_for, softphone_extension
from models.console import AgentStateLog

log = logging.getLogger(__name__)
bp = Blueprint("softphone", __name__)

# Pause reasons the softphone sets by itself (labels.py "pause_reason").
OFFLINE_REASONS = ("softphone_offline", "no_microphone")
AUTO_PAUSE_KEY = "hotline:softphone:auto-paused:"
AUTO_PAUSE_TTL_S = 24 * 3600
# JsSIP's reconnection back-off (seconds, doubling from min to max).
RECOVERY_MIN_S, RECOVERY_MAX_S = 2, 30
STATS_EVERY_MS = 3000


@bp.app_context_processor
def softphone_context() -> dict:
    interface = current_user.phone_interface if current_user.is_authenticated else None
    return {"softphone_extension": softphone_extension(interface),
            "softphone_config": page_config}


def page_config() -> dict:
    """What softphone.js needs: its URLs, back-off, and every text it shows."""
    url = settings().softphone_wss_url
    return {
        "accountUrl": url_for("softphone.account"), "stateUrl": url_for("softphone.phone_state"),
        "qualityUrl": url_for("softphone.call_quality") if has_quality_endpoint() else None,
        "recoveryMinS": RECOVERY_MIN_S, "recoveryMaxS": RECOVERY_MAX_S,
        "statsEveryMs": STATS_EVERY_MS,
        "loopbackOnly": "//127." in url,
        "text": {
            "connecting": _("connecting"), "registered": _("ready to ring"),
            "ringing": _("ringing"), "in_call": _("on the call"), "offline": _("offline"),
            "no_microphone": _("no microphone"), "mute": _("Mute"), "unmute": _("Unmute"),
            "mic_refused": _("The browser was refused the microphone: allow it for this site, "
                             "then reload. You are paused until then."),
            "mic_no_device": _("No microphone or headset found: plug one in. "
                               "You are paused until then."),
            "ws_lost": _("The softphone lost its connection to the telephone system: you are "
                         "paused and it reconnects by itself."),
            "register_failed": _("The softphone could not sign in to the telephone system: "
                                 "you are paused; it tries again by itself."),
            "quality": _("jitter {jitter} ms · loss {loss} % · RTT {rtt} ms"),
        },
    }


def has_quality_endpoint() -> bool:
    return "softphone.call_quality" in current_app.view_functions


def _redis() -> redis.Redis:
    return redis_client()


@bp.get("/softphone/jssip.js")
@login_required
def jssip_bundle():
    """JsSIP as one browser script, bundled from node_modules at build time."""
    path = bundle_path(settings().state_dir)
    if not path.exists():
        try:
            build_jssip_bundle(settings().state_dir)
        except AssetBuildError:
            log.exception("no JsSIP bundle")
            abort(503)
    return send_file(path, mimetype="text/javascript", max_age=3600)


@bp.get("/api/softphone/account")
@login_required
def account():
    """The signed-in agent's own SIP account; never cached by the browser."""
    found = account_for(settings().softphone_accounts_file, current_user.phone_interface)
    if found is None:
        abort(404)
    host = settings().softphone_wss_url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
    response = jsonify(ok=True, wss_url=settings().softphone_wss_url,
                       uri=f"sip:{found.endpoint}@{host}", username=found.endpoint,
                       password=found.password,
                       display_name=current_user.display_name or current_user.username)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/softphone/state")
@login_required
def phone_state():
    """status=offline&reason=…: pause with that reason; status=online: lift it."""
    interface = current_user.phone_interface
    if softphone_extension(interface) is None:
        abort(404)
    status, reason = request.form.get("status", ""), request.form.get("reason", "")
    if status == "offline" and reason in OFFLINE_REASONS:
        answer = run_command(settings(), "queue_pause", interface=interface, paused=True,
                             reason=reason, queue=None)
        if answer.get("ok"):
            _redis().set(AUTO_PAUSE_KEY + interface, reason, ex=AUTO_PAUSE_TTL_S)
        _log(interface, "pause", reason, answer)
        return jsonify(ok=bool(answer.get("ok")), paused=True)
    if status == "online":
        client = _redis()
        reason = client.get(AUTO_PAUSE_KEY + interface)
        if reason is None:
            return jsonify(ok=True, paused=False, changed=False)
        answer = run_command(settings(), "queue_pause", interface=interface, paused=False,
                             reason="", queue=None)
        if answer.get("ok") or "not found" in str(answer.get("message", "")).lower():
            client.delete(AUTO_PAUSE_KEY + interface)
        _log(interface, "ready", "", answer)
        return jsonify(ok=bool(answer.get("ok")), paused=False, changed=True)
    return jsonify(ok=False, message=_("Invalid request.")), 400


def _log(interface: str, action: str, reason: str, answer: dict) -> None:
    db().add(AgentStateLog(user_id=current_user.id, interface=interface, action=action,
                           reason=reason, ok=bool(answer.get("ok")),
                           message=str(answer.get("message", ""))[:255]))
    db().commit()


@bp.post("/api/softphone/quality")
@login_required
def call_quality():
    """The page's audio summary of a call its phone took (softphone_quality)."""
    interface = current_user.phone_interface
    if softphone_extension(interface) is None:
        abort(404)
    try:
        report = softphone_quality.QualityReport.from_form(request.form)
    except softphone_quality.BadQualityReport as error:
        log.info("%s sent a bad quality report: %s", current_user.username, error.field)
        return jsonify(ok=False, field=error.field,
                       message=_("The call's audio report was not understood.")), 400
    softphone_quality.keep(db(), report, current_user.id, interface)
    return jsonify(ok=True)
