"""Where a console command goes: agent -> Asterisk host -> that host's bridge.

With several Asterisk hosts (README, "Several Asterisk hosts behind Kamailio") each
runs its own bridge, named after the host (its systemname), taking commands from
its own Redis list (telephony.commands.request_list_key). A command about an agent
(queue log-in/out, pause, originate, hold, transfer, hang-up on the agent's channel,
a supervisor's ChanSpy on it) must reach the bridge of the host that agent's phone
is on: a QueuePause sent to another host's Asterisk finds no such member.

`agent_of` names the agent from the command's own arguments (its interface, or the
interface of its channel); `route_for` decides the host in one place: the host whose live board has the agent
present (where the phone is now), else the site's plan (telephony.host_plan, from
HOTLINE_AGENT_HOSTS: the extension ranges each host's configuration was rendered
with), else the default host. The route says whether that bridge is running
(telephony.bridge_presence): the console refuses a command for a stopped bridge at
once, with BRIDGE_NOT_RUNNING (worded from the catalogue), instead of waiting 5 s.
"""
from __future__ import annotations

import dataclasses
import functools
import logging
import re

from call_queue.host_boards import known_hosts, read_boards
from models.calls import DEFAULT_HOST
from telephony import bridge_presence
from telephony.host_plan import HostPlan

log = logging.getLogger(__name__)

BRIDGE_NOT_RUNNING = "bridge not running"
SPY_ACROSS_HOSTS = "supervisor phone on another host"


# A channel is its phone's interface plus Asterisk's "-" and 8 hex digits (and ";1"/";2"
# for a Local channel's halves): PJSIP/webrtc-8046-0000001a -> PJSIP/webrtc-8046.
_CHANNEL_SUFFIX = re.compile(r"-[0-9a-f]{8}(;[12])?$")
# Which argument names the agent a command is about; call controls name the channel.
AGENT_ARGUMENT = {"queue_add": "interface", "queue_remove": "interface",
                  "queue_pause": "interface", "originate_call": "agent_interface",
                  "spy": "supervisor_interface"}


@dataclasses.dataclass(frozen=True)
class Route:
    agent: str      # the agent's phone interface, e.g. PJSIP/8026
    host: str       # the Asterisk host it is on (its systemname)
    bridge: str     # the bridge that takes that host's commands
    running: bool   # that bridge's key is alive
    seen_on_board: bool  # the host came from a live board, not only the plan


@functools.lru_cache(maxsize=8)
def host_plan(agent_hosts: str) -> HostPlan:
    """The plan of settings.agent_hosts (checked when the settings were loaded)."""
    return HostPlan.parse(agent_hosts, DEFAULT_HOST)


def boards_host_of(redis_client, interface: str) -> str | None:
    """The host whose live board has this phone present, if any."""
    boards = read_boards(redis_client, known_hosts(redis_client))
    for host, board in sorted(boards.items()):
        agent = (board.get("agents") or {}).get(interface)
        if agent and agent.get("present"):
            return host
    return None


def agent_of(name: str, arguments: dict) -> str:
    """The phone a command is about, from its arguments ("" when it names none)."""
    if name in AGENT_ARGUMENT:
        return str(arguments.get(AGENT_ARGUMENT[name]) or "")
    channel = str(arguments.get("channel") or "")
    return _CHANNEL_SUFFIX.sub("", channel)


def route_for(plan: HostPlan, redis_client, interface: str) -> Route:
    on_board = boards_host_of(redis_client, interface) if interface else None
    host = on_board or plan.host_of(interface or "")
    bridge = bridge_presence.bridge_of_host(host)
    alive = bridge_presence.running(redis_client, [bridge])
    return Route(interface, host, bridge, bridge in alive, on_board is not None)


def refusal(route: Route) -> dict:
    """The answer to a command for a bridge that is not running (nothing was sent)."""
    log.warning("command for %s refused: the bridge of host %s is not running",
                route.agent, route.host)
    return {"ok": False, "message": BRIDGE_NOT_RUNNING, "host": route.host}
