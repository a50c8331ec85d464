"""Console -> bridge commands through Redis; the console never opens AMI itself.

`CommandClient.call(name, **args)` pushes a JSON request on the bridge's Redis
list and waits (BLPOP) on a reply key of its own, which the bridge writes with
an expiry so an abandoned reply never lingers. `CommandExecutor`, run by the
bridge in a thread, validates each request and maps it to one AMI action (a
call control, telephony.call_control, to one or a few).

Both sides validate: an unknown name or a bad argument is answered
`{"ok": False, "message": ...}` and nothing reaches Asterisk. Values end up in
AMI headers and in ChanSpy's option string, so they are checked against strict
patterns (no line breaks, no commas) rather than escaped. A request whose
caller has already given up (past its deadline) is not executed: a pause the
console reported as failed must not happen seconds later.

Requests are signed (telephony.command_auth): the bridge runs only those signed
with the command key it shares with the console, each once and within 30 s;
anything else is refused, logged and never answered.

While its loop runs, the executor keeps its bridge's key alive
(telephony.bridge_presence): the console refuses a command for a bridge that is not
running instead of waiting out the reply's timeout.
"""
from __future__ import annotations

import collections
import dataclasses
import json
import logging
import re
import threading
import time
import uuid
from typing import Any, Callable

import redis

from telephony import call_control
from telephony.bridge_presence import Heartbeat
from telephony.command_auth import RequestVerifier, signed
from telephony.errors import (AmiConnectionError, AmiTimeoutError, CommandError,
                              TelephonyError)

log = logging.getLogger(__name__)

REPLY_TTL_S = 60
REFUSALS_KEPT = 100
NOT_ANSWERING = "bridge not answering"
# How long a placeholder may wait in the queue for an agent (Originate's Timeout).
CALLBACK_WAIT_MS = 3 * 3600 * 1000

_INTERFACE = re.compile(r"^[A-Za-z0-9]+/[A-Za-z0-9@._:+\-/]{1,80}$")
_CHANNEL = re.compile(r"^[A-Za-z0-9]+/[A-Za-z0-9@._:+\-/;]{1,120}$")
_NUMBER = re.compile(r"^\+?[0-9*#]{1,32}$")
_QUEUE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_SPY_OPTIONS = {"listen": "", "whisper": "w", "barge": "B"}
_ATTEMPT = re.compile(r"^[0-9]{1,18}$")
_DIGITS_NUMBER = re.compile(r"^\+?[0-9]{3,32}$")
_CALLID = re.compile(r"^[0-9]{1,12}\.[0-9]{1,12}$")


def request_list_key(bridge: str) -> str:
    return f"hotline:bridge:{bridge}:commands"


def reply_key(request_id: str) -> str:
    return f"hotline:bridge:reply:{request_id}"


# ---- argument checks -------------------------------------------------------------

def _pattern(pattern: re.Pattern, what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise CommandError(f"{what} {value!r} is not valid")
        return value
    return check


def _text(max_length: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or len(value) > max_length or \
                any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
            raise CommandError(f"text {value!r} must be at most {max_length} printable characters")
        return value
    return check


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise CommandError(f"{value!r} is not true/false")
    return value


def _ring_timeout(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 5 <= value <= 120:
        raise CommandError(f"ring timeout {value!r} must be 5 to 120 seconds")
    return value


def _small_number(maximum: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= maximum:
            raise CommandError(f"{value!r} must be a whole number from 1 to {maximum}")
        return value
    return check


def _mode(value: Any) -> str:
    if value not in _SPY_OPTIONS:
        raise CommandError(f"mode {value!r} is not one of {', '.join(_SPY_OPTIONS)}")
    return value


@dataclasses.dataclass(frozen=True)
class Refusal:
    """A request the bridge would not run, kept for the audit (`executor.refusals`)."""
    request_id: str
    name: str
    reason: str


@dataclasses.dataclass(frozen=True)
class CommandSpec:
    required: dict[str, Callable[[Any], Any]]
    optional: dict[str, Callable[[Any], Any]]


_interface = _pattern(_INTERFACE, "interface")
_queue = _pattern(_QUEUE, "queue")
COMMANDS: dict[str, CommandSpec] = {
    "queue_add": CommandSpec(
        {"interface": _interface},
        {"queue": _queue, "member_name": _text(80), "state_interface": _interface,
         "paused": _flag}),
    "queue_remove": CommandSpec({"interface": _interface}, {"queue": _queue}),
    "queue_pause": CommandSpec(
        {"interface": _interface, "paused": _flag}, {"reason": _text(80), "queue": _queue}),
    "originate_call": CommandSpec(
        {"agent_interface": _interface, "number": _pattern(_NUMBER, "number")},
        {"caller_id": _text(80)}),
    # An outbound campaign's call (campaigns/): digits only, they end up in a Local channel name.
    "campaign_originate": CommandSpec(
        {"attempt": _pattern(_ATTEMPT, "attempt"),
         "number": _pattern(_DIGITS_NUMBER, "number"), "ring_timeout_s": _ring_timeout}, {}),
    # A keep-my-place callback's placeholder (line_callback/): the queue half waits at
    # `position` with the resident's number; the agent who answers it has the resident dialled.
    "callback_originate": CommandSpec(
        {"attempt": _pattern(_ATTEMPT, "attempt"), "callid": _pattern(_CALLID, "callid"),
         "number": _pattern(_DIGITS_NUMBER, "number"), "queue": _queue,
         "position": _small_number(10000), "original_callid": _pattern(_CALLID, "callid"),
         "number_of_attempt": _small_number(9), "ring_timeout_s": _ring_timeout}, {}),
    "spy": CommandSpec(
        {"supervisor_interface": _interface, "spyee_channel": _pattern(_CHANNEL, "channel")},
        {"mode": _mode}),
    # hangup, hold, retrieve, transfers, DTMF on the agent's own channel
    **{name: CommandSpec(required, optional)
       for name, (required, optional) in call_control.SPECS.items()},
}


def validate(name: Any, args: Any) -> dict:
    """Checked arguments of command `name` (None values dropped); CommandError if bad."""
    spec = COMMANDS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise CommandError(f"unknown command {name!r}; known: {', '.join(sorted(COMMANDS))}")
    if not isinstance(args, dict):
        raise CommandError(f"{name}: arguments must be an object")
    args = {key: value for key, value in args.items() if value is not None}
    missing = sorted(set(spec.required) - set(args))
    unexpected = sorted(set(args) - set(spec.required) - set(spec.optional))
    if missing or unexpected:
        raise CommandError(f"{name}: missing {missing or 'nothing'}, unexpected "
                           f"{unexpected or 'nothing'}")
    checks = {**spec.required, **spec.optional}
    try:
        return {key: checks[key](value) for key, value in args.items()}
    except CommandError as error:
        raise CommandError(f"{name}: {error}") from None


# ---- the console's side -------------------------------------------------------------

class CommandClient:
    """Used by the console: `call("queue_pause", interface=..., paused=True)`."""

    def __init__(self, redis_url: str, bridge: str = "main", client: redis.Redis | None = None,
                 *, command_key: bytes):
        self.bridge = bridge
        self.command_key = command_key
        self.redis = client or redis.Redis.from_url(redis_url, socket_timeout=30,
                                                    socket_connect_timeout=3)

    def call(self, name: str, timeout: float = 5, **args) -> dict:
        try:
            args = validate(name, args)
        except CommandError as error:
            return {"ok": False, "message": str(error)}
        request_id = uuid.uuid4().hex
        now = time.time()
        request = signed(self.command_key, {
            "id": request_id, "bridge": self.bridge, "name": name, "args": args,
            "issued": now, "deadline": now + timeout})
        try:
            self.redis.rpush(request_list_key(self.bridge), json.dumps(request))
            reply = self.redis.blpop([reply_key(request_id)], timeout=max(timeout, 0.01))
        except redis.RedisError as error:
            log.warning("command %s: Redis unavailable: %s", name, error)
            return {"ok": False, "message": f"Redis unavailable: {error}"}
        if reply is None:
            return {"ok": False, "message": NOT_ANSWERING}
        return json.loads(reply[1])


# ---- the bridge's side ----------------------------------------------------------------

class CommandExecutor:
    """Run by the bridge: Redis requests -> AMI actions -> replies."""

    def __init__(self, redis_url: str, ami_connection, bridge: str = "main",
                 outbound_context: str = "agents", ami_timeout: float = 5.0,
                 client: redis.Redis | None = None, *, default_queue: str, command_key: bytes):
        """`default_queue` is settings.queue_name (hotline.bridge_root passes it)."""
        self.ami = ami_connection
        self.bridge = bridge
        self.default_queue = default_queue
        self.outbound_context = outbound_context
        self.ami_timeout = ami_timeout
        self.redis = client or redis.Redis.from_url(redis_url, socket_timeout=10,
                                                    socket_connect_timeout=3)
        self.verifier = RequestVerifier(command_key, bridge)
        self.heartbeat = Heartbeat(self.redis, bridge)
        self.refusals: collections.deque[Refusal] = collections.deque(maxlen=REFUSALS_KEPT)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        try:
            self.heartbeat.beat()  # running as soon as start() returns, not a loop later
        except redis.RedisError as error:
            log.warning("bridge %s not marked running yet (%s)", self.bridge, error)
        self._thread = threading.Thread(target=self.run, name="bridge-commands", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=3)
        try:
            self.heartbeat.stop()
        except redis.RedisError as error:
            log.warning("bridge %s still marked running until its key lapses (%s)",
                        self.bridge, error)

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.heartbeat.beat()
                item = self.redis.blpop([request_list_key(self.bridge)], timeout=1)
            except redis.RedisError as error:
                log.warning("command queue unreachable (%s); retrying", error)
                self._stopping.wait(1.0)
                continue
            if item is None:
                continue
            try:
                self.handle_raw(item[1])
            except redis.RedisError as error:
                log.warning("command reply not written (%s); the console will time out", error)
            except Exception:  # noqa: BLE001 - one request must not stop the executor
                log.exception("command request %r failed", item[1][:200])

    def handle_raw(self, raw: bytes | str) -> dict | None:
        """One request from Redis: execute and reply. Returns the reply (tests)."""
        try:
            request = json.loads(raw)
            request_id = request["id"]
            if not isinstance(request_id, str) or not re.fullmatch(r"[0-9a-f]{32}", request_id):
                raise ValueError("bad request id")
        except (ValueError, KeyError, TypeError) as error:
            log.warning("dropped a malformed command request %r: %s", raw[:200], error)
            return None
        refusal = self.verifier.refusal(request)
        if refusal is not None:
            # No reply either: a forged request gets nothing written on its behalf.
            self.refusals.append(Refusal(request_id, str(request.get("name"))[:40], refusal))
            log.warning("refused command %r %s: %s; not executed",
                        str(request.get("name"))[:40], request_id, refusal)
            return None
        deadline = request.get("deadline")
        if isinstance(deadline, (int, float)) and time.time() > deadline:
            log.warning("command %s %s expired before it was read; not executed",
                        request.get("name"), request_id)
            return None
        reply = self.execute(request.get("name"), request.get("args"))
        pipe = self.redis.pipeline()
        pipe.rpush(reply_key(request_id), json.dumps(reply))
        pipe.expire(reply_key(request_id), REPLY_TTL_S)
        pipe.execute()
        return reply

    def execute(self, name: Any, args: Any) -> dict:
        """Validate, send the AMI action, and describe the outcome."""
        try:
            checked = validate(name, args)
            if name in call_control.SPECS:
                # Some controls are several actions (DTMF codes digit by digit):
                # all but the last must succeed for the next to be sent.
                *first, fields = call_control.actions(name, checked)
                for earlier in first:
                    refused = self._send(name, earlier)
                    if not refused["ok"]:
                        return refused
            else:
                fields = self.ami_action(name, checked)
        except CommandError as error:
            return {"ok": False, "message": str(error)}
        return self._send(name, fields)

    def _send(self, name: str, fields: dict) -> dict:
        try:
            response = self.ami.send_action(fields, timeout=self.ami_timeout)
        except AmiTimeoutError as error:
            return {"ok": False, "message": f"Asterisk did not answer: {error}"}
        except AmiConnectionError as error:
            return {"ok": False, "message": f"Asterisk not reachable: {error}"}
        except TelephonyError as error:
            return {"ok": False, "message": str(error)}
        except Exception as error:  # noqa: BLE001 - the console gets an answer, not a timeout
            log.exception("command %s failed unexpectedly", name)
            return {"ok": False, "message": f"bridge error: {type(error).__name__}: {error}"}
        log.info("command %s -> %s: %s %s", name, fields["Action"],
                 response.message.response, response.text)
        return {"ok": response.ok, "message": response.text or response.message.response or "",
                "action_id": response.action_id}

    def ami_action(self, name: str, args: dict) -> dict:
        """The AMI fields for a validated command."""
        return getattr(self, f"_{name}")(**args)

    def _queue_add(self, interface, queue=None, member_name=None, state_interface=None,
                   paused=False) -> dict:
        fields = {"Action": "QueueAdd", "Queue": queue or self.default_queue,
                  "Interface": interface, "Paused": paused}
        if member_name:
            fields["MemberName"] = member_name
        if state_interface:
            fields["StateInterface"] = state_interface
        return fields

    def _queue_remove(self, interface, queue=None) -> dict:
        return {"Action": "QueueRemove", "Queue": queue or self.default_queue,
                "Interface": interface}

    def _queue_pause(self, interface, paused, reason="", queue=None) -> dict:
        # Without Queue, Asterisk pauses the member in every queue: what "pause" means
        # to an agent at the console.
        fields = {"Action": "QueuePause", "Interface": interface, "Paused": paused}
        if reason:
            fields["Reason"] = reason
        if queue:
            fields["Queue"] = queue
        return fields

    def _originate_call(self, agent_interface, number, caller_id="") -> dict:
        # The agent's phone rings first; once answered, the dialplan dials the household.
        fields = {"Action": "Originate", "Channel": agent_interface,
                  "Context": self.outbound_context, "Exten": number, "Priority": 1,
                  "Async": True, "Timeout": 30000}
        if caller_id:
            fields["CallerID"] = caller_id
        return fields

    def _campaign_originate(self, attempt, number, ring_timeout_s) -> dict:
        # [campaign-outbound] dials the resident (the Local channel's ;2 half, whose
        # hangup handler reports the DIALSTATUS); the answered ;1 half runs the
        # campaign IVR at [campaign-ivr]. Originate outlasts the Dial, so the Dial
        # decides between no answer and busy. ChannelId names the call in the CDR.
        return {"Action": "Originate",
                "Channel": f"Local/{attempt}*{number}*{ring_timeout_s}@campaign-outbound/n",
                "Context": "campaign-ivr", "Exten": attempt, "Priority": 1, "Async": True,
                "Timeout": (ring_timeout_s + 15) * 1000, "ChannelId": f"campaign-{attempt}",
                "OtherChannelId": f"campaign-{attempt}-dial"}

    def _callback_originate(self, attempt, callid, number, queue, position, original_callid,
                            number_of_attempt, ring_timeout_s) -> dict:
        # The Local channel's ;2 half runs [hotline-callback-queue] (the queue call, its
        # Uniqueid the placeholder's callid, OtherChannelId); the queue answers it only
        # when an agent answers, and then the ;1 half goes on to [hotline-callback-dial],
        # which dials the resident. The Timeout covers the wait in the queue: Asterisk's
        # own queue timeout ends a longer one.
        return {"Action": "Originate",
                "Channel": f"Local/{attempt}*{number}*{position}@hotline-callback-queue/n",
                "Context": "hotline-callback-dial", "Exten": f"{attempt}*{number}*{ring_timeout_s}",
                "Priority": 1, "Async": True, "Timeout": CALLBACK_WAIT_MS,
                "CallerID": f"<{number}>",
                # Not the callid with a tail: Asterisk takes an id for in use when an
                # existing one starts with it, and ;1 is made first.
                "ChannelId": f"callback-{attempt}",
                "OtherChannelId": callid,
                "Variable": [f"HOTLINE_CALLBACK_CALLID={callid}",
                             f"HOTLINE_CALLBACK_OF={original_callid}",
                             f"HOTLINE_CALLBACK_TRY={number_of_attempt}",
                             f"HOTLINE_CALLBACK_QUEUE={queue}"]}

    def _spy(self, supervisor_interface, spyee_channel, mode="listen") -> dict:
        # u: the spec is a full channel name, not a prefix (PJSIP/100 would match
        # PJSIP/1001-...); q: no beep; E: end when the spied channel hangs up.
        return {"Action": "Originate", "Channel": supervisor_interface,
                "Application": "ChanSpy",
                "Data": f"{spyee_channel},uqE{_SPY_OPTIONS[mode]}",
                "CallerID": f'"Supervision ({mode})" <spy>', "Async": True, "Timeout": 30000}
