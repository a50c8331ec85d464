"""Call controls end to end against the lab: CommandClient -> Redis -> CommandExecutor
(the bridge's AMI user) -> Asterisk 22, with the bridge storing the calls.
Run under `flock /tmp/hotline/lab.lock`.

Agent A is a simulated phone (Local/3NNNN@lab-phones: answers after 1 s); agent
B, the transfer target, is a SIPp UAS playing the lab phone PJSIP/8047 (8046
for the consult).
"""
from __future__ import annotations

import os
import random
import time
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

import models
from call_queue.stats import queue_log_check
from models.calls import Call
from models.session import make_engine
from telephony.commands import CommandClient, CommandExecutor
from telephony.ami.client import AmiConnection
from tests import labtools
from tests.support.call_control_lab import AmiWatcher
from tests.support.lab_calls import Members
from tests.support.lab_bridge import start_bridge

pytestmark = pytest.mark.lab

# A fresh simulated phone per test: the queue's wrap-up time keeps a member that
# just finished a call from being rung again for 30 s.
AGENT_PHONE_RANGE = (30000, 39999)
CALLER_PREFIX = "1390013"
PHONES = ("PJSIP/8044-", "PJSIP/8045-", "PJSIP/8046-", "PJSIP/8047-")


@pytest.fixture
def watcher(lab):
    watching = AmiWatcher(lab)
    # Music on hold comes from res_musiconhold, which a lab started before
    # features.conf existed has not loaded ("hotline lab up" starts it now).
    lab.cli("module load res_musiconhold.so")
    yield watching
    for event in watching.matching(lambda e: e.get("Event") == "Newchannel"):
        if (event.get("CallerIDNum") or "").startswith(CALLER_PREFIX) or \
                (event.get("Channel") or "").startswith(PHONES):
            watching.act({"Action": "Hangup", "Channel": event["Channel"]})
    watching.close()


@pytest.fixture
def members(lab, watcher):
    extension = str(random.randint(*AGENT_PHONE_RANGE))
    for key, value in (("ring", "1"), ("talk", "600")):
        assert watcher.act({"Action": "DBPut", "Family": "labphone",
                            "Key": f"{extension}/{key}", "Val": value}).ok
    tracker = Members(watcher.connection, lab.queue)
    tracker.pause_foreign()
    tracker.add(f"Local/{extension}@lab-phones/n", "call-control-a")
    yield tracker
    tracker.restore()


@pytest.fixture
def stored(lab, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'calls.sqlite3'}")
    models.Base.metadata.create_all(engine)
    bridge, _watcher = start_bridge(lab, engine, tmp_path / "state")
    yield bridge, engine
    bridge.stop()


@pytest.fixture
def client(lab):
    connection = AmiConnection(lab.ami_host, lab.ami_port, lab.bridge_ami_user,
                               lab.bridge_ami_secret, lambda message: None, events=())
    connection.start()
    assert connection.wait_connected(10)
    name = f"call-control-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    executor = CommandExecutor(lab.redis_url, connection, bridge=name, default_queue=lab.queue,
                               command_key=lab.settings.command_key)
    executor.start()
    yield CommandClient(lab.redis_url, bridge=name, command_key=lab.settings.command_key)
    executor.stop()
    connection.close()


def answered_call(lab, watcher, number_suffix: str) -> tuple[str, str, str]:
    """A resident's call answered by agent A: (callid, caller channel, A's channel)."""
    callid, fields = labtools.lab_call_action(lab.hotline_number, CALLER_PREFIX + number_suffix,
                                              "转接测试", patience_s=120)
    assert watcher.act(fields).ok
    connect = watcher.wait_for(lambda e: e.get("Event") == "AgentConnect"
                               and e.get("Uniqueid") == callid, 20, "agent A answers")
    return callid, connect["Channel"], connect["DestChannel"]


def second_leg(engine, callid: str, kind: str, interface: str) -> Call:
    """B's leg as stored: the phone that took the caller, from the transfer on."""
    labtools.wait_until(lambda: (stored_call(engine, callid) or Call()).transfer_answered_at,
                        10, "the bridge stores B's leg")
    call = stored_call(engine, callid)
    assert (call.transfer_kind, call.transfer_interface) == (kind, interface)
    assert call.transfer_channel.startswith(interface + "-")
    assert call.transfer_answered_at >= call.answered_at
    return call


def stored_call(engine, callid: str) -> Call | None:
    with sessionmaker(engine)() as session:
        return session.scalars(select(Call).where(Call.callid == callid)).first()


def test_hold_retrieve_dtmf_then_blind_transfer_to_another_agents_phone(
        lab, watcher, members, stored, client, tmp_path):
    bridge, engine = stored
    phone_b = labtools.sipp_agent_phone("8047", tmp_path / "sipp")
    try:
        callid, caller, agent = answered_call(lab, watcher, "0001")
        bridge_id = watcher.channel(caller)["BridgeId"]

        held = client.call("hold", channel=agent)
        assert held["ok"], held
        watcher.wait_for(lambda e: e.get("Event") == "MusicOnHoldStart"
                         and e.get("Channel") == caller, 5, "the caller hears music on hold")
        on_hold = watcher.channel(caller)
        # Still in the queue's bridge with A: the queue call goes on.
        assert on_hold["Context"] == "hotline-hold" and on_hold["BridgeId"] == bridge_id

        retrieved = client.call("retrieve", channel=agent)
        assert retrieved["ok"], retrieved
        watcher.wait_for(lambda e: e.get("Event") == "MusicOnHoldStop"
                         and e.get("Channel") == caller, 5, "the music stops")
        labtools.wait_until(lambda: watcher.channel(caller)["Application"] != "Wait", 3,
                            "the hold loop is over")
        assert watcher.channel(caller)["BridgeId"] == bridge_id

        sent = client.call("dtmf", channel=agent, digits="5#")
        assert sent["ok"], sent
        caller_side = caller.rsplit(";", 1)[0] + ";1"  # the resident's half of the Local pair
        labtools.wait_until(lambda: [e["Digit"] for e in watcher.matching(
            lambda e: e.get("Event") == "DTMFEnd" and e.get("Channel") == caller_side)]
            == ["5", "#"], 5, "the resident receives 5 then # (# starts no transfer)")

        moved = client.call("blind_transfer", channel=agent, exten="8047")
        assert moved["ok"], moved
        watcher.wait_for(lambda e: e.get("Event") == "Newstate"
                         and e.get("Channel", "").startswith("PJSIP/8047-")
                         and e.get("ChannelStateDesc") == "Up", 10, "B's phone answers")
        line = labtools.wait_queue_log(lab, callid, "BLINDTRANSFER")
        assert line[3] == "call-control-a" and line[5:7] == ["8047", "hotline-transfer"]
        labtools.wait_until(lambda: (stored_call(engine, callid) or Call()).outcome, 10,
                            "the bridge stores the call's end")
        call = stored_call(engine, callid)
        assert (call.outcome, call.transfer_target, call.agent_member) == (
            "transferred", "8047", "call-control-a")
        second_leg(engine, callid, "blind", "PJSIP/8047")
        with sessionmaker(engine)() as session:
            result = queue_log_check.verify(session, bridge.settings, lab.queue_log_path,
                                            callids={callid})
        assert result["calls"] == 1 and result["differences"] == [], result
        assert result["database"]["transfer_rate"] == 1.0
    finally:
        phone_b.stop()


def test_attended_transfer_consults_then_completes(lab, watcher, members, stored, client,
                                                   tmp_path):
    _bridge, engine = stored
    phone_b = labtools.sipp_agent_phone("8046", tmp_path / "sipp")
    try:
        callid, caller, agent = answered_call(lab, watcher, "0002")
        consult = client.call("attended_transfer", channel=agent, exten="8046")
        assert consult["ok"], consult
        watcher.wait_for(lambda e: e.get("Event") == "MusicOnHoldStart"
                         and e.get("Channel") == caller, 5, "the caller waits on hold")
        watcher.wait_for(lambda e: e.get("Event") == "Newstate"
                         and e.get("Channel", "").startswith("PJSIP/8046-")
                         and e.get("ChannelStateDesc") == "Up", 15, "B answers the consult")
        assert labtools.queue_log_lines(lab, callid)[-1][4] == "CONNECT"  # nothing ended yet

        completed = client.call("attended_complete", channel=agent)
        assert completed["ok"], completed
        transfer = watcher.wait_for(lambda e: e.get("Event") == "AttendedTransfer", 10,
                                    "the transfer completes")
        assert transfer["Result"] == "Success" and transfer["TransfereeChannel"] == caller
        labtools.wait_queue_log(lab, callid, "ATTENDEDTRANSFER")
        labtools.wait_until(lambda: (stored_call(engine, callid) or Call()).outcome, 10,
                            "the bridge stores the call's end")
        assert stored_call(engine, callid).outcome == "transferred"
        second_leg(engine, callid, "attended", "PJSIP/8046")
    finally:
        phone_b.stop()


def test_attended_transfer_cancelled_returns_to_the_caller(lab, watcher, members, client,
                                                          tmp_path):
    phone_b = labtools.sipp_agent_phone("8045", tmp_path / "sipp")
    try:
        callid, caller, agent = answered_call(lab, watcher, "0003")
        assert client.call("attended_transfer", channel=agent, exten="8045")["ok"]
        watcher.wait_for(lambda e: e.get("Event") == "Newstate"
                         and e.get("Channel", "").startswith("PJSIP/8045-")
                         and e.get("ChannelStateDesc") == "Up", 15, "B answers the consult")
        assert client.call("attended_cancel", channel=agent)["ok"]
        watcher.wait_for(lambda e: e.get("Event") == "MusicOnHoldStop"
                         and e.get("Channel") == caller, 10, "the caller is taken off hold")
        labtools.wait_until(lambda: (watcher.channel(agent) or {}).get("BridgeId")
                            == (watcher.channel(caller) or {}).get("BridgeId") != "", 5,
                            "A and the caller share a bridge again")
        verbs = [fields[4] for fields in labtools.queue_log_lines(lab, callid)]
        assert "ATTENDEDTRANSFER" not in verbs and verbs[-1] == "CONNECT"
    finally:
        phone_b.stop()


def test_hangup_ends_the_agents_call_on_a_sip_phone(lab, watcher, members, stored, client,
                                                    tmp_path):
    _bridge, engine = stored
    phone_a = labtools.sipp_agent_phone("8044", tmp_path / "sipp")
    members.remove(members.added[0])  # A is the SIPp phone this time
    members.add("PJSIP/8044", "call-control-sip")
    try:
        callid, caller, agent = answered_call(lab, watcher, "0004")
        assert agent.startswith("PJSIP/8044-")
        watcher.wait_for(lambda e: e.get("Event") == "BridgeEnter"
                         and e.get("Channel") == agent, 5, "A joins the caller's bridge")
        time.sleep(1.5)  # they talk a moment
        ended = client.call("hangup", channel=agent)
    finally:
        phone_a.stop()
    assert ended["ok"], ended
    labtools.wait_until(lambda: labtools.queue_log_lines(lab, callid)[-1][4].startswith(
        "COMPLETE"), 10, "queue_log closes the call")
    # Asterisk 22's app_queue logs an AMI Hangup of the agent's channel as
    # COMPLETECALLER (the bridge hangs the caller up in the same instant); a BYE
    # from the phone gives COMPLETEAGENT. The stored call must say the same.
    verb = labtools.queue_log_lines(lab, callid)[-1][4]
    # The caller's Hangup closes the stored call (outcome "answered"); who hung up
    # comes with AgentComplete, which app_queue raises after it has handled the
    # hangup, so under load it arrives after the Hangup (without the caller's
    # fields: telephony.state_machine finds the call by its member), or from
    # queue_log's pass 2 s later if it never comes. Wait for that, not the outcome.
    labtools.wait_until(lambda: (stored_call(engine, callid) or Call()).hung_up_by, 10,
                        "the bridge stores who hung up")
    call = stored_call(engine, callid)
    assert (call.outcome, call.agent_member) == ("answered", "call-control-sip")
    assert call.hung_up_by == {"COMPLETECALLER": "caller", "COMPLETEAGENT": "agent"}[verb]
    # After COMPLETEAGENT the caller's channel returns from Queue() and runs the
    # dialplan's Hangup(): gone a moment later, not in the same instant.
    labtools.wait_until(lambda: (watcher.channel(agent), watcher.channel(caller)) == (None, None),
                        5, "both channels hung up")


def test_a_control_on_a_channel_that_is_gone_is_refused(lab, client):
    reply = client.call("hold", channel="PJSIP/8049-0000ffff")
    # PlayDTMF on a missing channel: Asterisk says so; nothing else happens.
    assert reply["ok"] is False and reply["message"]
    reply = client.call("blind_transfer", channel="PJSIP/8049-0000ffff", exten="8047")
    assert reply["ok"] is False and reply["message"]


def test_the_receiving_phone_holds_and_consults_after_a_blind_transfer(
        lab, watcher, members, stored, client, tmp_path):
    """B, who took a transferred call, has the same controls as A: hold, retrieve,
    and an attended transfer on to C (the transfer target's Dial gives B's channel
    the hold feature and the transfer features)."""
    _bridge, engine = stored
    phone_b = labtools.sipp_agent_phone("8043", tmp_path / "sipp-b")
    phone_c = labtools.sipp_agent_phone("8042", tmp_path / "sipp-c")
    try:
        callid, caller, agent = answered_call(lab, watcher, "0005")
        assert client.call("blind_transfer", channel=agent, exten="8043")["ok"]
        up_b = watcher.wait_for(lambda e: e.get("Event") == "Newstate"
                                and e.get("Channel", "").startswith("PJSIP/8043-")
                                and e.get("ChannelStateDesc") == "Up", 10, "B's phone answers")
        b_channel = up_b["Channel"]
        labtools.wait_until(lambda: (watcher.channel(b_channel) or {}).get("BridgeId")
                            == (watcher.channel(caller) or {}).get("BridgeId") != "", 5,
                            "B and the caller share a bridge")

        held = client.call("hold", channel=b_channel)
        assert held["ok"], held
        watcher.wait_for(lambda e: e.get("Event") == "MusicOnHoldStart"
                         and e.get("Channel") == caller, 5, "B put the caller on hold")
        assert client.call("retrieve", channel=b_channel)["ok"]
        watcher.wait_for(lambda e: e.get("Event") == "MusicOnHoldStop"
                         and e.get("Channel") == caller, 5, "B took the caller back")

        assert client.call("attended_transfer", channel=b_channel, exten="8042")["ok"]
        c_channel = watcher.wait_for(lambda e: e.get("Event") == "Newstate"
                                     and e.get("Channel", "").startswith("PJSIP/8042-")
                                     and e.get("ChannelStateDesc") == "Up", 15,
                                     "C answers B's consult")["Channel"]
        assert client.call("attended_complete", channel=b_channel)["ok"]
        transfer = watcher.wait_for(lambda e: e.get("Event") == "AttendedTransfer", 10,
                                    "B's transfer completes")
        assert transfer["Result"] == "Success", transfer
        # The consult reached C through a Local channel (hotline-transfer): its
        # near half joins the caller's bridge, C stays bridged to its far half.
        assert transfer["TransfereeChannel"] == caller
        assert transfer["TransferTargetChannel"].startswith("Local/8042@hotline-transfer-")
        assert (watcher.channel(caller) or {}).get("BridgeId") == transfer["DestBridgeUniqueid"]
        assert (watcher.channel(c_channel) or {}).get("BridgeId")
        assert watcher.channel(b_channel) is None or not watcher.channel(b_channel)["BridgeId"]
        # queue_log saw one transfer (A's): the call left the queue then.
        verbs = [fields[4] for fields in labtools.queue_log_lines(lab, callid)]
        assert verbs.count("BLINDTRANSFER") == 1 and "ABANDON" not in verbs
        labtools.wait_until(lambda: (stored_call(engine, callid) or Call()).outcome, 10,
                            "the bridge stores the call's end")
        assert stored_call(engine, callid).outcome == "transferred"
    finally:
        phone_c.stop()
        phone_b.stop()
