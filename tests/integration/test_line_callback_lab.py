"""The keep-my-place callback on the real Asterisk (issue 16.2), in the lab's line queue
(<queue>-line: announcements, the callback offered after 4 s): one agent (a lab phone
talking 8 s), the real bridge (callback engine, FastAGI, its own SQLite and Redis).
Two residents call and wait, a SIPp resident calls next and presses 1 (RFC 2833)
while waiting, hangs up; a fourth calls after. The two ahead are served first, then
the placeholder (the agent answers it with the resident's number, then the bridge's
dialplan dials the resident, a SIPp UAS on 127.0.0.40, who answers), then the one
who came after. queue_log's whole path (EXITWITHKEY, CALLBACK, the placeholder's
ENTERQUEUE/CONNECT/COMPLETE, CALLBACKDIAL ANSWER) agrees with the stored records:
`hotline stats verify` finds no difference, callbacks included."""
from __future__ import annotations

import dataclasses
import os
import time

import pytest
from sqlalchemy import select

import models
from call_queue.stats import queue_log_check
from models.line_callbacks import CallbackRequest, CallbackRequestAttempt
from models.session import make_engine, session_factory
from telephony.queue_log import compare_calls, read_queue_log, summarize_calls
from tests import labtools
from tests.support.campaigns import CampaignBridge
from tests.support.ivr_lab_calls import lab_runs_this_ivr
from tests.support.lab_calls import calls_by_id, hang_up_calls_from, local, set_lab_phone
from tests.support.line_callback_lab import answering_resident, callback_caller, lab_runs_this_queue
from tests.support.line_lab import lab_switch, line_members, place_call

pytestmark = pytest.mark.lab

AGENT = "8044"
PREFIX = "1390044"
CALLER = "13900449001"  # the one who presses 1; callbacklab/13900449 routes the callback


def test_a_callback_keeps_its_place_in_line(lab, control, redis_server, tmp_path):
    settings = lab_runs_this_ivr(lab)
    lab_runs_this_queue(lab, settings)
    queue = f"{lab.queue}-line"
    url = f"sqlite:///{tmp_path / 'callback.sqlite3'}"
    engine = make_engine(url)
    models.Base.metadata.create_all(engine)
    factory = session_factory(url)
    env = dict(os.environ, HOTLINE_DATABASE_URL=url, HOTLINE_REDIS_URL=redis_server.url,
               HOTLINE_STATE_DIR=str(tmp_path), HOTLINE_CALLBACK_OFFER_S="4",
               HOTLINE_CALLBACK_RETRY_SPACING_S="5", HOTLINE_CALLBACK_RING_S="10",
               HOTLINE_AMI_SECRET_FILE=str(lab.settings.ami_secret_file),
               HOTLINE_FASTAGI_BIND=f"{settings.fastagi_host}:{settings.fastagi_port}")
    set_lab_phone(control, AGENT, ring="1", talk="8")
    since = time.time()
    resident = answering_resident(control, tmp_path, CALLER[:8])
    bridge = CampaignBridge(env, tmp_path / "bridge.log")
    caller = None
    try:
        labtools.wait_until(lambda: bridge.running() and "callback engine running"
                            in bridge.log_text(), 30, "the bridge and its callback engine")
        with line_members(control, queue) as members, lab_switch(control, "line"):
            members.add(local(AGENT), "cb-8044")
            first, _ = place_call(control, lab, f"{PREFIX}0001", patience_s=120)
            time.sleep(1)
            second, _ = place_call(control, lab, f"{PREFIX}0002", patience_s=120)
            time.sleep(1)
            # 17 s after the greeting answered: in the queue (greeting 11 s, its key 2 s),
            # behind the second caller; pressed again in case the first fell in a prompt.
            caller = callback_caller(lab, tmp_path, CALLER, (17000, 1500))
            time.sleep(4)
            after, _ = place_call(control, lab, f"{PREFIX}0003", patience_s=120)
            assert caller.wait(60) == 0, caller.log_path.read_text(errors="replace")
            labtools.wait_queue_log(lab, after, "COMPLETEAGENT", timeout_s=90)
    finally:
        hang_up_calls_from(control, PREFIX)
        if caller is not None:
            caller.stop()
        resident.stop()
        control.send_action({"Action": "DBDel", "Family": "callbacklab", "Key": CALLER[:8]})
        log_text = bridge.log_text()
        bridge.stop()
    entries = [e for e in read_queue_log(lab.queue_log_path) if e.time >= since - 1]
    pressed = [e for e in entries if e.verb == "EXITWITHKEY" and e.field(0) == "1"]
    assert len(pressed) == 1, log_text[-3000:]
    original = pressed[0].callid
    (placeholder,) = [e.callid for e in entries if e.verb == "CALLBACK" and e.field(0) == original]
    connected = {e.callid: e.time for e in entries if e.verb == "CONNECT"}
    order = sorted((c for c in (first, second, placeholder, after) if c in connected),
                   key=connected.get)
    assert order == [first, second, placeholder, after], (order, connected)
    dialled = [e for e in entries if e.verb == "CALLBACKDIAL" and e.callid == placeholder]
    assert [e.field(0) for e in dialled] == ["ANSWER"]
    enter = next(e for e in entries if e.verb == "ENTERQUEUE" and e.callid == placeholder)
    assert enter.field(1) == CALLER  # the agent's pop: the resident's number
    with factory() as session:
        request = session.scalars(select(CallbackRequest)).one()
        attempt = session.scalars(select(CallbackRequestAttempt)).one()
    assert (request.callid, request.state, request.attempts) == (original, "completed", 1)
    assert (attempt.callid, attempt.outcome, attempt.dial_status) == (placeholder, "reached",
                                                                     "ANSWER")
    mine = {first, second, original, placeholder, after}
    labtools.wait_until(lambda: all(calls_by_id(engine, mine).get(c, {}).get("outcome")
                                    for c in mine), 20, "every call stored and closed")
    # Call by call first: the stored records against queue_log's (the oracle).
    # (an unanswered call's exit reason is refined from queue_log after it closed).
    logged = summarize_calls(e for e in entries if e.callid in mine)
    problems = []

    def agreed() -> bool:
        problems[:] = compare_calls(calls_by_id(engine, mine), logged)
        return not problems
    try:
        labtools.wait_until(agreed, 30, "the stored calls agreeing with queue_log")
    except AssertionError:
        raise AssertionError(problems) from None
    check = dataclasses.replace(lab.settings, callback_offer_s=4)
    with factory() as session:
        result = queue_log_check.verify(session, check, lab.queue_log_path, callids=mine)
    print({k: result["queue_log"][k] for k in result["queue_log"] if k.startswith("callbacks")})
    assert result["differences"] == [], result
    assert result["queue_log"]["callbacks_accepted"] == 1
    assert result["queue_log"]["callbacks_completed"] == 1
    assert result["queue_log"]["callbacks_failed"] == 0
    assert result["queue_log"]["callbacks_offered"] >= 1
