"""The one place the console sends commands to Asterisk (through Redis to the bridge).

The console never opens AMI: `telephony.commands.CommandClient` queues the
command, the bridge runs it and answers `{"ok": bool, "message": str, ...}`.
Every command is about one agent's phone (named by its arguments, or `agent=`): it
goes to the bridge of that phone's Asterisk host (agent_console.command_routes), and
is refused at once when that bridge is not running.
"""
from __future__ import annotations

import logging

import redis

from agent_console.command_routes import Route, agent_of, host_plan, refusal, route_for
from telephony.commands import CommandClient

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 5


def _redis(settings) -> redis.Redis:
    # Its own client: the reply's BLPOP outlasts the app client's 2-s socket timeout.
    return redis.Redis.from_url(settings.redis_url, socket_timeout=COMMAND_TIMEOUT_S + 25,
                                socket_connect_timeout=3)


def route_of(settings, agent: str, client: redis.Redis | None = None) -> Route:
    """The route of a command about `agent` (see agent_console.command_routes)."""
    own = client is None
    client = client or _redis(settings)
    try:
        return route_for(host_plan(settings.agent_hosts), client, agent)
    finally:
        if own:
            client.close()


def run_command(settings, name: str, *, agent: str | None = None, **arguments) -> dict:
    """Run one command on the bridge of its agent's host (the agent its arguments name,
    unless `agent` says; signed with the settings' command key); a failure to reach the
    bridge is an answer too, never an exception."""
    client = _redis(settings)
    try:
        route = route_of(settings, agent or agent_of(name, arguments), client)
        if not route.running:
            return refusal(route)
        answer = CommandClient(settings.redis_url, bridge=route.bridge, client=client,
                               command_key=settings.command_key
                               ).call(name, timeout=COMMAND_TIMEOUT_S, **arguments)
    except Exception as error:  # timeout, Redis down: shown to the agent as the result
        log.warning("command %s failed: %s", name, error)
        return {"ok": False, "message": f"{name} failed: {error}"}
    finally:
        client.close()
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


class RoutedCommands:
    """`.call(name, **arguments)` as a CommandClient offers it, for code written against
    one (call_queue.supervision.request_spy), sent through `run_command` on the bridge of
    `agent`'s host."""

    def __init__(self, settings, agent: str):
        self.settings, self.agent = settings, agent

    def call(self, name: str, timeout: float = COMMAND_TIMEOUT_S, **arguments) -> dict:
        return run_command(self.settings, name, agent=self.agent, **arguments)
