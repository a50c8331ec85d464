"""Call controls from the console: only the agent's own call, valid numbers and keys;
the transfer's context reaches the receiving agent and nobody else.

The console's commands go through the test Redis to a real CommandExecutor (signed
with the settings' command key); its AMI is a recorder, the lab test
(tests/integration/test_call_control_lab.py) runs the same actions on Asterisk.
"""
from __future__ import annotations

import pytest

from agent_console.live import AgentLiveStore
from call_queue import transfer_context
from tests.support.console_client import csrf_token_from, log_in
from tests.support.recording_ami import bridge_commands

CALLID = "1796000000.101"
ALICE_CHANNEL = "PJSIP/8001-0000002a"
BOB_CHANNEL = "PJSIP/8002-0000002b"


def seed_call(redis_client, interface: str, channel: str, callid: str = CALLID) -> None:
    AgentLiveStore(redis_client).put(interface, call={
        "callid": callid, "queue": "hotline", "interface": interface, "agent_channel": channel,
        "caller_number": "13800138000", "caller_name": "", "answered_at": 1796000000.0})


def control(client, action: str, callid: str = CALLID, **form):
    token = csrf_token_from(client, "/console")
    return client.post(f"/api/calls/{callid}/control",
                       data={"action": action, "csrf_token": token, **form})


def test_hold_acts_on_the_agents_own_channel(agent_client, console_redis, ami):
    seed_call(console_redis, "PJSIP/8001", ALICE_CHANNEL)
    answer = control(agent_client, "hold", channel=ALICE_CHANNEL)
    assert answer.status_code == 200 and answer.json["ok"], answer.json
    assert answer.json["message"] == "The caller is on hold (music)."
    assert ami.sent == [{"Action": "PlayDTMF", "Channel": ALICE_CHANNEL, "Digit": "C",
                         "Receive": "yes"}]


def test_another_agents_channel_is_refused_and_nothing_is_sent(
        agent_client, console_redis, ami):
    seed_call(console_redis, "PJSIP/8001", ALICE_CHANNEL)
    seed_call(console_redis, "PJSIP/8002", BOB_CHANNEL, callid="1796000000.102")
    forged = control(agent_client, "hangup", channel=BOB_CHANNEL)
    assert forged.status_code == 403 and forged.json["code"] == "not_yours"
    # Bob's call id with no channel named: Alice's phone is not in it.
    other_call = control(agent_client, "blind_transfer", callid="1796000000.102", exten="8003")
    assert other_call.status_code == 403
    assert ami.sent == []


def test_a_phone_with_no_call_gets_a_clear_refusal(other_agent_client, console_redis, ami):
    seed_call(console_redis, "PJSIP/8001", ALICE_CHANNEL)
    answer = control(other_agent_client, "hangup")
    assert answer.status_code == 403 and answer.json["message"] == "Your phone has no call now."
    assert ami.sent == []


@pytest.mark.parametrize("action, form, code", [
    ("blind_transfer", {"exten": "8002&PJSIP/8003"}, "bad_number"),
    ("consult", {"exten": ""}, "bad_number"),
    ("dtmf", {"digits": "C"}, "bad_digits"),
    ("dtmf", {"digits": "1" * 21}, "bad_digits"),
    ("reboot", {}, "bad_request"),
    ("blind_transfer", {"exten": "8002", "note": "x" * 501}, "bad_note"),
])
def test_bad_input_is_refused_and_nothing_is_sent(agent_client, console_redis, ami,
                                                  action, form, code):
    seed_call(console_redis, "PJSIP/8001", ALICE_CHANNEL)
    answer = control(agent_client, action, **form)
    assert answer.status_code == 400 and answer.json["code"] == code, answer.json
    assert ami.sent == []
    assert transfer_context.load(console_redis, CALLID) is None


def test_a_transfer_carries_household_and_note_to_the_receiver_only(
        agent_client, other_agent_client, supervisor_client, console_redis, ami):
    seed_call(console_redis, "PJSIP/8001", ALICE_CHANNEL)
    order_form = f"/work-orders/new?callid={CALLID}"
    assert other_agent_client.get(order_form).status_code == 404  # not Bob's call yet
    answer = control(agent_client, "blind_transfer", exten="8002", household_id="7",
                     note="漏水，已报修 / leak, order opened", work_order_id=["11", "12"])
    assert answer.json["ok"], answer.json
    assert ami.sent == [{"Action": "BlindTransfer", "Channel": ALICE_CHANNEL,
                         "Context": "hotline-transfer", "Exten": "8002"}]
    context = transfer_context.load(console_redis, CALLID)
    assert (context.from_user, context.target_interface, context.household_id,
            context.work_order_ids, context.kind) == ("alice", "PJSIP/8002", 7, (11, 12), "blind")
    assert 0 < console_redis.ttl(transfer_context.key_for(CALLID)) <= transfer_context.TTL_S

    received = other_agent_client.get(f"/api/transfers/{CALLID}")
    assert received.status_code == 200, received.json
    assert (received.json["note"], received.json["from_user"], received.json["household_id"]) \
        == ("漏水，已报修 / leak, order opened", "Alice", 7)  # her display name
    # Bob files the order on the same call, for the household Alice chose.
    form = other_agent_client.get(order_form)
    assert form.status_code == 200 and f'value="{CALLID}"' in form.get_data(as_text=True)
    # Neither the sender nor a third phone reads it.
    assert agent_client.get(f"/api/transfers/{CALLID}").status_code == 404
    assert supervisor_client.get(f"/api/transfers/{CALLID}").status_code == 404


def test_asterisks_refusal_becomes_a_catalogue_message(agent_client, console_redis,
                                                       console_settings):
    with bridge_commands(console_settings, message="Channel not found"):
        seed_call(console_redis, "PJSIP/8001", ALICE_CHANNEL)
        answer = control(agent_client, "retrieve")
    assert answer.status_code == 409
    assert answer.json["message"] == "The call has already ended."
    assert "Channel" not in answer.json["message"]


def test_the_call_bar_has_the_controls_and_their_shortcuts(agent_client):
    page = agent_client.get("/console").get_data(as_text=True)
    for control in ("hold", "retrieve", "transfer", "dtmf", "hangup"):
        assert f'data-control="{control}"' in page
    assert "<kbd>F6</kbd>" in page and "<kbd>F7</kbd>" in page
    assert "call_controls.js" in page


def test_transfer_targets_are_queue_agents_and_supervisors_not_oneself(
        agent_client, other_agent, supervisor, make_user, console_redis):
    make_user("carol", "agent", "PJSIP/8003")  # not logged in to the queue
    AgentLiveStore(console_redis).put("PJSIP/8002", state={"state": "ready"})
    targets = agent_client.get("/api/transfer-targets").json["targets"]
    assert [(t["exten"], t["role"]) for t in targets] == [("8099", "supervisor"),
                                                         ("8002", "agent")]


def test_a_transfer_to_a_softphone_agent_pops_in_their_browser_not_at_the_desk_phone(
        app, agent_client, make_user, console_redis, ami, monkeypatch):
    """Carol works on the console's softphone: logged in to the queue on
    PJSIP/webrtc-8003, her pop is addressed there (the dialplan rings that too);
    a desk phone's user of the same number reads nothing."""
    carol = make_user("carol", "agent", "PJSIP/webrtc-8003")
    desk = make_user("dora", "agent", "PJSIP/8003")
    AgentLiveStore(console_redis).put(carol.phone_interface, state={"present": True})
    emitted = []
    socketio = app.extensions["socketio"]
    monkeypatch.setattr(socketio, "emit", lambda *args, **kwargs: emitted.append((args, kwargs)))
    seed_call(console_redis, "PJSIP/8001", ALICE_CHANNEL)
    answer = control(agent_client, "blind_transfer", exten="8003", note="交给陈静")
    assert answer.json["ok"], answer.json
    assert ami.sent[-1]["Exten"] == "8003"  # the number queue_log and the call keep
    assert transfer_context.load(console_redis, CALLID).target_interface == "PJSIP/webrtc-8003"
    assert [kwargs["to"] for args, kwargs in emitted if args[0] == "transfer_pop"] == [
        "agent:PJSIP/webrtc-8003"]
    carol_client, desk_client = app.test_client(), app.test_client()
    assert log_in(carol_client, carol.username).status_code == 302
    assert log_in(desk_client, desk.username).status_code == 302
    assert carol_client.get(f"/api/transfers/{CALLID}").json["note"] == "交给陈静"
    assert desk_client.get(f"/api/transfers/{CALLID}").status_code == 404


def test_a_softphone_agent_who_logged_out_is_transferred_to_at_the_desk_phone(
        agent_client, make_user, console_redis, ami):
    make_user("carol", "agent", "PJSIP/webrtc-8003")
    AgentLiveStore(console_redis).put("PJSIP/webrtc-8003", state={"present": False})
    seed_call(console_redis, "PJSIP/8001", ALICE_CHANNEL)
    assert control(agent_client, "blind_transfer", exten="8003").json["ok"]
    assert transfer_context.load(console_redis, CALLID).target_interface == "PJSIP/8003"


def test_a_softphone_agent_is_a_transfer_target_by_their_number(
        agent_client, make_user, console_redis):
    make_user("carol", "agent", "PJSIP/webrtc-8003")
    AgentLiveStore(console_redis).put("PJSIP/webrtc-8003", state={"present": True})
    targets = agent_client.get("/api/transfer-targets").json["targets"]
    assert [(t["exten"], t["role"]) for t in targets] == [("8003", "agent")]
