"""Console commands: validation, the AMI action each becomes, the Redis round trip,
and the signature without which the bridge runs nothing."""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid

import pytest
import redis

from telephony.ami.adapter import AmiResponse
from telephony.ami.protocol import AmiMessage
from telephony.command_auth import MAX_AGE_S, RequestVerifier, signed
from telephony.commands import (NOT_ANSWERING, CommandClient, CommandExecutor,
                                request_list_key, reply_key)
from telephony.errors import AmiConnectionError, AmiTimeoutError

KEY = b"unit-test-command-key"


class FakeAmi:
    """Records the fields of each action; answers Success (or raises `failure`)."""

    def __init__(self, failure: Exception | None = None, response: str = "Success"):
        self.sent: list[dict] = []
        self.failure = failure
        self.response = response

    def send_action(self, fields, timeout=5):
        self.sent.append(dict(fields))
        if self.failure is not None:
            raise self.failure
        return AmiResponse(AmiMessage(Response=self.response, ActionID="a1",
                                      Message="Interface paused successfully"))


@pytest.fixture
def redis_url(redis_server) -> str:
    """The session's private Redis, emptied for each test."""
    client = redis_server.client()
    client.flushdb()
    client.close()
    return redis_server.url


@pytest.fixture
def bridge_name():
    return f"test-{time.monotonic_ns()}"


def executor(ami, redis_url="redis://127.0.0.1:1/0", **options):
    return CommandExecutor(redis_url, ami, default_queue="hotline", command_key=KEY, **options)


def client_of(redis_url, bridge="main", key=KEY):
    return CommandClient(redis_url, bridge=bridge, command_key=key)


def request_for(bridge, name="queue_remove", args=None, request_id=None, **fields):
    now = time.time()
    return {"id": request_id or uuid.uuid4().hex, "bridge": bridge, "name": name,
            "args": {"interface": "PJSIP/8001"} if args is None else args,
            "issued": now, "deadline": now + 5, **fields}


@pytest.mark.parametrize("name, args, fields", [
    ("queue_add", {"interface": "PJSIP/8001", "member_name": "Agent 1",
                   "state_interface": "PJSIP/8001"},
     {"Action": "QueueAdd", "Queue": "hotline", "Interface": "PJSIP/8001",
      "MemberName": "Agent 1", "StateInterface": "PJSIP/8001", "Paused": False}),
    ("queue_add", {"interface": "Local/8002@lab-phones/n", "queue": "other", "paused": True},
     {"Action": "QueueAdd", "Queue": "other", "Interface": "Local/8002@lab-phones/n",
      "Paused": True}),
    ("queue_remove", {"interface": "PJSIP/8001"},
     {"Action": "QueueRemove", "Queue": "hotline", "Interface": "PJSIP/8001"}),
    ("queue_pause", {"interface": "PJSIP/8001", "paused": True, "reason": "午饭 lunch"},
     {"Action": "QueuePause", "Interface": "PJSIP/8001", "Paused": True,
      "Reason": "午饭 lunch"}),
    ("queue_pause", {"interface": "PJSIP/8001", "paused": False, "queue": "hotline",
                     "reason": None},
     {"Action": "QueuePause", "Interface": "PJSIP/8001", "Paused": False, "Queue": "hotline"}),
    ("originate_call", {"agent_interface": "PJSIP/8001", "number": "13800138000",
                        "caller_id": '"Hotline" <4000>'},
     {"Action": "Originate", "Channel": "PJSIP/8001", "Context": "agents",
      "Exten": "13800138000", "Priority": 1, "Async": True, "Timeout": 30000,
      "CallerID": '"Hotline" <4000>'}),
])
def test_each_command_becomes_its_ami_action(name, args, fields):
    ami = FakeAmi()
    reply = executor(ami).execute(name, args)
    assert reply == {"ok": True, "message": "Interface paused successfully", "action_id": "a1"}
    assert ami.sent == [fields]


@pytest.mark.parametrize("mode, options", [("listen", "uqE"), ("whisper", "uqEw"),
                                           ("barge", "uqEB")])
def test_spy_originates_chanspy_on_the_full_channel_name(mode, options):
    ami = FakeAmi()
    executor(ami).execute("spy", {"supervisor_interface": "PJSIP/9001",
                                  "spyee_channel": "PJSIP/8001-0000000a", "mode": mode})
    [fields] = ami.sent
    assert fields["Channel"] == "PJSIP/9001"
    assert fields["Application"] == "ChanSpy"
    assert fields["Data"] == f"PJSIP/8001-0000000a,{options}"


def test_spy_defaults_to_listening():
    ami = FakeAmi()
    executor(ami).execute("spy", {"supervisor_interface": "PJSIP/9001",
                                  "spyee_channel": "Local/8001@lab-phones-00000001;1"})
    assert ami.sent[0]["Data"] == "Local/8001@lab-phones-00000001;1,uqE"


@pytest.mark.parametrize("name, args, complaint", [
    ("reboot", {}, "unknown command"),
    (None, {}, "unknown command"),
    ("queue_pause", {"interface": "PJSIP/8001"}, "missing ['paused']"),
    ("queue_pause", {"interface": "PJSIP/8001", "paused": "yes"}, "not true/false"),
    ("queue_pause", {"interface": "PJSIP/8001", "paused": True, "colour": "red"},
     "unexpected ['colour']"),
    ("queue_pause", {"interface": "PJSIP/8001\r\nAction: Logoff", "paused": True},
     "interface"),
    ("queue_pause", {"interface": "PJSIP/8001", "paused": True, "reason": "a\nb"}, "printable"),
    ("queue_add", {"interface": "PJSIP/8001", "queue": "hot line"}, "queue"),
    ("originate_call", {"agent_interface": "PJSIP/8001", "number": "138-0013"}, "number"),
    ("spy", {"supervisor_interface": "PJSIP/9001", "spyee_channel": "PJSIP/8001,B"},
     "channel"),
    ("spy", {"supervisor_interface": "PJSIP/9001", "spyee_channel": "PJSIP/8001-1",
             "mode": "shout"}, "mode"),
    ("queue_remove", ["PJSIP/8001"], "must be an object"),
])
def test_bad_commands_are_refused_and_nothing_is_sent(name, args, complaint):
    ami = FakeAmi()
    reply = executor(ami).execute(name, args)
    assert reply["ok"] is False and complaint in reply["message"]
    assert ami.sent == []


@pytest.mark.parametrize("failure, words", [
    (AmiTimeoutError("no answer in 5 s"), "did not answer"),
    (AmiConnectionError("AMI not connected"), "not reachable"),
])
def test_ami_failures_become_clear_replies(failure, words):
    reply = executor(FakeAmi(failure=failure)).execute(
        "queue_remove", {"interface": "PJSIP/8001"})
    assert reply["ok"] is False and words in reply["message"]


def test_asterisk_error_response_is_not_ok():
    ami = FakeAmi(response="Error")
    reply = executor(ami).execute("queue_remove", {"interface": "PJSIP/8001"})
    assert reply["ok"] is False


def test_client_refuses_bad_arguments_without_touching_redis():
    client = client_of("redis://127.0.0.1:1/0")  # nothing listens there
    reply = client.call("queue_pause", interface="PJSIP/8001", paused="maybe")
    assert reply == {"ok": False, "message": "queue_pause: 'maybe' is not true/false"}


def test_redis_down_is_a_clear_reply_not_an_exception():
    reply = client_of("redis://127.0.0.1:1/0").call("queue_remove", interface="PJSIP/8001")
    assert reply["ok"] is False and "Redis unavailable" in reply["message"]


def test_executor_survives_a_request_that_blows_up(redis_url, bridge_name):
    class ExplodingAmi(FakeAmi):
        def send_action(self, fields, timeout=5):
            if fields["Interface"] == "PJSIP/8666":
                raise RuntimeError("unexpected")
            return super().send_action(fields, timeout)

    ami = ExplodingAmi()
    running = executor(ami, redis_url, bridge=bridge_name)
    running.start()
    client = client_of(redis_url, bridge_name)
    try:
        first = client.call("queue_remove", timeout=1, interface="PJSIP/8666")
        second = client.call("queue_remove", interface="PJSIP/8001")
    finally:
        running.stop()
    assert first == {"ok": False, "message": "bridge error: RuntimeError: unexpected"}
    assert second["ok"] is True


def test_round_trip_through_redis(redis_url, bridge_name):
    ami = FakeAmi()
    running = executor(ami, redis_url, bridge=bridge_name)
    running.start()
    try:
        reply = client_of(redis_url, bridge_name).call(
            "queue_pause", interface="PJSIP/8001", paused=True, reason="lunch")
    finally:
        running.stop()
    assert reply["ok"] is True
    assert ami.sent[0]["Reason"] == "lunch"


def test_reply_key_expires(redis_url, bridge_name):
    client = redis.Redis.from_url(redis_url)
    request = signed(KEY, request_for(bridge_name, request_id="a" * 32))
    executor(FakeAmi(), redis_url, bridge=bridge_name).handle_raw(json.dumps(request))
    assert 0 < client.ttl(reply_key("a" * 32)) <= 60


def test_no_bridge_means_bridge_not_answering(redis_url, bridge_name):
    started = time.monotonic()
    reply = client_of(redis_url, bridge_name).call(
        "queue_remove", timeout=0.3, interface="PJSIP/8001")
    assert reply == {"ok": False, "message": NOT_ANSWERING}
    assert time.monotonic() - started < 2


def test_a_request_past_its_deadline_is_not_executed(redis_url, bridge_name):
    ami = FakeAmi()
    client_of(redis_url, bridge_name).call(
        "queue_remove", timeout=0.1, interface="PJSIP/8001")
    running = executor(ami, redis_url, bridge=bridge_name)
    running.start()
    time.sleep(0.5)
    running.stop()
    assert ami.sent == []


def test_malformed_requests_are_dropped_and_the_executor_carries_on(redis_url, bridge_name):
    ami = FakeAmi()
    client = redis.Redis.from_url(redis_url)
    for junk in (b"not json", b"{}", json.dumps({"id": "../../x"}), b"\xff\xfe"):
        client.rpush(request_list_key(bridge_name), junk)
    running = executor(ami, redis_url, bridge=bridge_name)
    running.start()
    try:
        reply = client_of(redis_url, bridge_name).call(
            "queue_remove", interface="PJSIP/8001")
    finally:
        running.stop()
    assert reply["ok"] is True and len(ami.sent) == 1


def test_unknown_command_reaching_the_executor_gets_an_answer(redis_url, bridge_name):
    client = redis.Redis.from_url(redis_url)
    request = signed(KEY, request_for(bridge_name, "format_disk", {}, "b" * 32))
    ami = FakeAmi()
    executor(ami, redis_url, bridge=bridge_name).handle_raw(json.dumps(request))
    _, raw = client.blpop([reply_key("b" * 32)], timeout=1)
    assert json.loads(raw)["ok"] is False and ami.sent == []


def test_concurrent_callers_each_get_their_own_reply(redis_url, bridge_name):
    ami = FakeAmi()
    running = executor(ami, redis_url, bridge=bridge_name)
    running.start()
    replies = []
    interfaces = [f"PJSIP/80{n:02d}" for n in range(10)]

    def call(interface):
        replies.append(client_of(redis_url, bridge_name).call(
            "queue_remove", interface=interface))

    threads = [threading.Thread(target=call, args=(i,)) for i in interfaces]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    running.stop()
    assert len(replies) == 10 and all(reply["ok"] for reply in replies)
    assert sorted(f["Interface"] for f in ami.sent) == interfaces


# ---- signatures: the bridge runs only what the console signed ----------------------

def _forged(bridge):
    return {**signed(b"not-the-key", request_for(bridge, "originate_call", {
        "agent_interface": "PJSIP/8001", "number": "13800138000"}))}


def _tampered(bridge):
    request = signed(KEY, request_for(bridge, "queue_pause",
                                      {"interface": "PJSIP/8001", "paused": False}))
    request["args"]["interface"] = "PJSIP/8002"
    return request


@pytest.mark.parametrize("make, reason", [
    (lambda bridge: request_for(bridge, "spy", {"supervisor_interface": "PJSIP/9001",
                                                "spyee_channel": "PJSIP/8001-00000001"}),
     "unsigned"),
    (_forged, "bad signature"),
    (_tampered, "bad signature"),
    (lambda bridge: signed(KEY, request_for("another-bridge")), "signed for bridge"),
    (lambda bridge: signed(KEY, request_for(bridge, issued=time.time() - MAX_AGE_S - 1,
                                            deadline=time.time() + 5)), "stale"),
    (lambda bridge: signed(KEY, request_for(bridge, issued="now")), "stale"),
])
def test_unsigned_forged_or_stale_requests_do_nothing_and_are_logged(
        redis_url, bridge_name, caplog, make, reason):
    ami = FakeAmi()
    running = executor(ami, redis_url, bridge=bridge_name)
    request = make(bridge_name)
    raw = json.dumps(request)
    with caplog.at_level(logging.WARNING, logger="telephony.commands"):
        assert running.handle_raw(raw) is None
    assert ami.sent == []
    [refusal] = running.refusals
    assert refusal.reason.startswith(reason) and refusal.request_id == request["id"]
    assert any("refused command" in r.getMessage() and reason in r.getMessage()
               for r in caplog.records)
    # Nothing is written on a refused request's behalf, not even a reply.
    assert redis.Redis.from_url(redis_url).exists(reply_key(request["id"])) == 0


def test_a_replayed_request_runs_once(redis_url, bridge_name, caplog):
    ami = FakeAmi()
    running = executor(ami, redis_url, bridge=bridge_name)
    raw = json.dumps(signed(KEY, request_for(bridge_name, request_id="c" * 32)))
    with caplog.at_level(logging.WARNING, logger="telephony.commands"):
        assert running.handle_raw(raw)["ok"] is True
        assert running.handle_raw(raw) is None
    assert len(ami.sent) == 1
    assert [r.reason for r in running.refusals] == ["replayed"]


def test_a_forged_request_pushed_on_the_list_does_nothing_and_a_signed_one_runs(
        redis_url, bridge_name):
    ami = FakeAmi()
    raw_client = redis.Redis.from_url(redis_url)
    raw_client.rpush(request_list_key(bridge_name), json.dumps(_forged(bridge_name)))
    running = executor(ami, redis_url, bridge=bridge_name)
    running.start()
    try:
        wrong_key = client_of(redis_url, bridge_name, key=b"guessed").call(
            "queue_remove", timeout=0.5, interface="PJSIP/8003")
        reply = client_of(redis_url, bridge_name).call("queue_remove", interface="PJSIP/8001")
    finally:
        running.stop()
    assert wrong_key == {"ok": False, "message": NOT_ANSWERING}
    assert reply["ok"] is True
    assert [fields["Interface"] for fields in ami.sent] == ["PJSIP/8001"]
    assert [r.reason for r in running.refusals] == ["bad signature", "bad signature"]


def test_verifier_forgets_ids_only_once_they_are_too_old_to_pass():
    now = [1000.0]
    verifier = RequestVerifier(KEY, "main", clock=lambda: now[0])
    request = signed(KEY, {"id": "d" * 32, "bridge": "main", "name": "x", "args": {},
                           "issued": 1000.0})
    assert verifier.refusal(request) is None
    now[0] = 1000.0 + MAX_AGE_S
    assert verifier.refusal(request) == "replayed"
    now[0] = 1000.0 + MAX_AGE_S + 1
    assert verifier.refusal(request).startswith("stale")


def test_signature_survives_non_ascii_arguments(redis_url, bridge_name):
    ami = FakeAmi()
    running = executor(ami, redis_url, bridge=bridge_name)
    running.start()
    try:
        reply = client_of(redis_url, bridge_name).call(
            "queue_add", interface="PJSIP/8001", member_name="张三 O'Brien")
    finally:
        running.stop()
    assert reply["ok"] is True and ami.sent[0]["MemberName"] == "张三 O'Brien"
    assert list(running.refusals) == []


def test_an_empty_command_key_is_refused_at_start():
    with pytest.raises(ValueError):
        CommandExecutor("redis://127.0.0.1:1/0", FakeAmi(), default_queue="hotline",
                        command_key=b"")


# ---- call controls (telephony.call_control) -------------------------------------------

AGENT_CHANNEL = "PJSIP/8001-0000002a"


@pytest.mark.parametrize("name, extra, sent", [
    ("hangup", {}, [{"Action": "Hangup", "Channel": AGENT_CHANNEL, "Cause": 16}]),
    ("hold", {}, [{"Action": "PlayDTMF", "Channel": AGENT_CHANNEL, "Digit": "C",
                   "Receive": "yes"}]),
    ("retrieve", {}, [{"Action": "Setvar", "Channel": AGENT_CHANNEL,
                       "Variable": "SHARED(HOTLINE_HOLD)", "Value": "no"}]),
    ("blind_transfer", {"exten": "8047"},
     [{"Action": "BlindTransfer", "Channel": AGENT_CHANNEL, "Context": "hotline-transfer",
       "Exten": "8047"}]),
    ("attended_transfer", {"exten": "62001234"},
     [{"Action": "Atxfer", "Channel": AGENT_CHANNEL, "Context": "hotline-transfer",
       "Exten": "62001234"}]),
    ("attended_complete", {}, [
        {"Action": "PlayDTMF", "Channel": AGENT_CHANNEL, "Digit": "D", "Receive": "yes"},
        {"Action": "PlayDTMF", "Channel": AGENT_CHANNEL, "Digit": "B", "Receive": "yes"}]),
    ("attended_cancel", {}, [
        {"Action": "PlayDTMF", "Channel": AGENT_CHANNEL, "Digit": "D", "Receive": "yes"},
        {"Action": "PlayDTMF", "Channel": AGENT_CHANNEL, "Digit": "A", "Receive": "yes"}]),
    ("dtmf", {"digits": "1*#"}, [
        {"Action": "PlayDTMF", "Channel": AGENT_CHANNEL, "Digit": digit, "Receive": "yes"}
        for digit in "1*#"]),
])
def test_each_call_control_becomes_its_ami_actions(name, extra, sent):
    ami = FakeAmi()
    reply = executor(ami).execute(name, {"channel": AGENT_CHANNEL, **extra})
    assert reply["ok"] is True
    assert ami.sent == sent


@pytest.mark.parametrize("name, args, complaint", [
    ("hangup", {}, "missing ['channel']"),
    ("hangup", {"channel": "PJSIP/8001-1\r\nAction: Logoff"}, "channel"),
    ("hold", {"channel": "/^PJSIP/.*/"}, "channel"),  # AMI treats /.../ as a regex
    ("blind_transfer", {"channel": AGENT_CHANNEL, "exten": "8047&PJSIP/8048"},
     "transfer number"),
    ("blind_transfer", {"channel": AGENT_CHANNEL, "exten": "+8613800138000"},
     "transfer number"),
    ("blind_transfer", {"channel": AGENT_CHANNEL}, "missing ['exten']"),
    ("attended_transfer", {"channel": AGENT_CHANNEL, "exten": "8"}, "transfer number"),
    ("dtmf", {"channel": AGENT_CHANNEL, "digits": "C"}, "DTMF digits"),  # the hold code
    ("dtmf", {"channel": AGENT_CHANNEL, "digits": "D" + "A"}, "DTMF digits"),
    ("dtmf", {"channel": AGENT_CHANNEL, "digits": "1" * 21}, "DTMF digits"),
    ("dtmf", {"channel": AGENT_CHANNEL, "digits": 5}, "DTMF digits"),
    ("retrieve", {"channel": AGENT_CHANNEL, "value": "yes"}, "unexpected ['value']"),
])
def test_bad_call_controls_are_refused_and_nothing_is_sent(name, args, complaint):
    ami = FakeAmi()
    reply = executor(ami).execute(name, args)
    assert reply["ok"] is False and complaint in reply["message"], reply
    assert ami.sent == []


def test_a_refused_first_digit_stops_the_sequence():
    ami = FakeAmi(response="Error")
    reply = executor(ami).execute("attended_cancel", {"channel": AGENT_CHANNEL})
    assert reply["ok"] is False
    assert [fields["Digit"] for fields in ami.sent] == ["D"]
