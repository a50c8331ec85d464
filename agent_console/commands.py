"""The one place the console sends commands to Asterisk (through Redis to the bridge).

The console never opens AMI: `telephony.commands.CommandClient` queues the
command, the bridge runs it and answers `{"ok": bool, "message": str, ...}`.
"""
from __future__ import annotations

import logging

from telephony.commands import CommandClient

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 5


def run_command(settings, name: str, **arguments) -> dict:
    """Run one command (signed with the settings' command key); a failure to reach
    the bridge is an answer too, never an exception."""
    try:
        client = CommandClient(settings.redis_url, command_key=settings.command_key)
        answer = client.call(name, timeout=COMMAND_TIMEOUT_S, **arguments)
    except Exception as error:  # timeout, Redis down: shown to the agent as the result
        log.warning("command %s failed: %s", name, error)
        return {"ok": False, "message": f"{name} failed: {error}"}
    if not isinstance(answer, dict):
        return {"ok": False, "message": f"{name}: unexpected answer"}
    answer.setdefault("message", "")
    return answer


def state_command(action: str, interface: str, queue: str, member_name: str,
                  reason: str = "") -> tuple[str, dict]:
    """The command name and arguments for an agent-state action from the console."""
    if action == "login":
        return "queue_add", {"interface": interface, "queue": queue, "member_name": member_name}
    if action == "logout":
        return "queue_remove", {"interface": interface, "queue": queue}
    if action == "ready":
        return "queue_pause", {"interface": interface, "paused": False, "reason": "",
                               "queue": None}
    if action == "pause":
        return "queue_pause", {"interface": interface, "paused": True, "reason": reason,
                               "queue": None}
    raise ValueError(f"unknown agent-state action {action!r}")
