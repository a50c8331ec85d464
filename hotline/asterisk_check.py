"""`hotline asterisk-config check`: does this Asterisk give the bridge what it needs?

It logs in over AMI as the bridge does, with the bridge's own user and rights,
so a right the bridge lacks shows here and not at the first call. Each finding
is judged from AMI's replies by a pure function (tested on recorded replies);
`run_check` only asks the questions.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from hotline.lab_config import ring_timeout_s
from hotline.settings import Settings
from telephony.ami.adapter import AmiResponse, PatchedManager
from telephony.errors import TelephonyError
from telephony.queue_log import parse_line

log = logging.getLogger(__name__)

ASTERISK_MAJOR = "22"
# Every action the bridge and the console's commands send, and the module of
# Asterisk that provides it (none: Asterisk's core).
BRIDGE_ACTIONS = {
    "QueueStatus": "app_queue", "QueueSummary": "app_queue", "QueueAdd": "app_queue",
    "QueueRemove": "app_queue", "QueuePause": "app_queue",
    "CoreShowChannels": None, "Originate": None, "Hangup": None, "Setvar": None,
    "Atxfer": None, "BlindTransfer": None, "PlayDTMF": None, "Ping": None,
}
# The dialplan contexts asterisk_conf/extensions.conf defines for the call flow.
CONTEXTS = ("from-trunk", "hotline-queue", "ivr-fee-balance", "hotline-hold",
            "hotline-transfer", "agents",
            # What a resident meets on the line (issue 16): greeting, hours, night duty.
            "hotline-greeting", "office-hours", "night-line", "night-line-log")


@dataclasses.dataclass(frozen=True)
class Finding:
    subject: str
    ok: bool
    detail: str
    required: bool = True  # False: worth fixing, the hotline runs without it


def judge_version(settings_reply: AmiResponse) -> list[Finding]:
    version = settings_reply.message.get("AsteriskVersion", "")
    system_name = settings_reply.message.get("SystemName", "")
    findings = [Finding("Asterisk version", version.split(".")[0] == ASTERISK_MAJOR,
                        f"{version or 'not reported'} (the hotline is built on {ASTERISK_MAJOR})")]
    # Without a systemname two hosts hand out the same Uniqueids.
    findings.append(Finding("systemname", bool(system_name),
                            system_name or "not set in asterisk.conf [options]: Uniqueids "
                            "are then unique on this host only (needed with several hosts)",
                            required=False))
    return findings


def judge_actions(list_reply: AmiResponse) -> list[Finding]:
    """ListCommands lists the actions this user may send: one finding per missing one."""
    offered = set(list_reply.message)
    missing = [action for action in BRIDGE_ACTIONS if action not in offered]
    if not missing:
        return [Finding("AMI actions", True, f"all {len(BRIDGE_ACTIONS)} the bridge sends")]
    return [Finding(f"AMI action {action}", False,
                    f"not offered to this user: module {BRIDGE_ACTIONS[action]} not loaded, or "
                    "the user lacks the right" if BRIDGE_ACTIONS[action] else
                    "not offered to this user: manager.conf's write= lacks the right")
            for action in missing]


def judge_queue(queue: str, status_reply: AmiResponse, ring_timeout_s: int) -> list[Finding]:
    params = [event for event in status_reply.events
              if event.event == "QueueParams" and event.get("Queue") == queue]
    if not params:
        return [Finding(f"queue {queue}", False, "not configured (queues.conf)")]
    members = [event for event in status_reply.events
               if event.event == "QueueMember" and event.get("Queue") == queue]
    strategy = params[0].get("Strategy", "?")
    return [Finding(f"queue {queue}", True,
                    f"strategy {strategy}, {len(members)} member(s) logged in; "
                    f"the hotline rings each agent {ring_timeout_s} s")]


def judge_context(context: str, dialplan_reply: AmiResponse,
                  wanted_extensions: tuple[str, ...] = ()) -> Finding:
    if not dialplan_reply.ok:
        return Finding(f"context {context}", False, "missing from extensions.conf")
    extensions = {event.get("Extension") for event in dialplan_reply.events
                  if event.event == "ListDialplan"}
    absent = [number for number in wanted_extensions if number not in extensions]
    if absent:
        return Finding(f"context {context}", False, f"has no extension {', '.join(absent)}")
    return Finding(f"context {context}", True, f"{len(extensions)} extension(s)")


def judge_queue_log(path: Path) -> Finding:
    """Statistics are verified against queue_log: it must be readable here."""
    if not path.is_file():
        return Finding("queue_log", False, f"{path} not found on this host (HOTLINE_QUEUE_LOG)")
    try:
        with path.open("rb") as log_file:
            log_file.seek(max(0, path.stat().st_size - 4096))
            lines = log_file.read().decode("utf-8", "replace").splitlines()
    except OSError as error:
        return Finding("queue_log", False, f"{path}: {error.strerror}")
    if not lines:
        return Finding("queue_log", True, f"{path} (empty: no call yet)")
    if parse_line(lines[-1]) is None:
        return Finding("queue_log", False, f"{path}: the last line is not a queue_log line")
    return Finding("queue_log", True, str(path))


def _ask(manager: PatchedManager, fields: dict) -> AmiResponse:
    return manager.send_action(fields, timeout=10)


def run_check(settings: Settings, queue_log: Path) -> list[Finding]:
    manager = PatchedManager(on_event=lambda message: None)
    where = f"{settings.ami_host}:{settings.ami_port}"
    try:
        manager.connect(settings.ami_host, settings.ami_port, timeout=5)
        manager.login(settings.ami_user, settings.ami_secret)
    except TelephonyError as error:
        manager.close()
        return [Finding("AMI login", False, f"{where} as {settings.ami_user}: {error}")]
    try:
        findings = [Finding("AMI login", True, f"{where} as {settings.ami_user}")]
        findings += judge_version(_ask(manager, {"Action": "CoreSettings"}))
        findings += judge_actions(_ask(manager, {"Action": "ListCommands"}))
        findings += judge_queue(settings.queue_name,
                                _ask(manager, {"Action": "QueueStatus", "Queue": settings.queue_name}),
                                ring_timeout_s(settings))
        for context in CONTEXTS:
            wanted = ((settings.hotline_number, settings.ivr_number)
                      if context == "from-trunk" else ())
            findings.append(judge_context(
                context, _ask(manager, {"Action": "ShowDialPlan", "Context": context}), wanted))
    except TelephonyError as error:
        findings.append(Finding("AMI", False, f"{where} stopped answering: {error}"))
    finally:
        manager.close()
    findings.append(judge_queue_log(queue_log))
    return findings
