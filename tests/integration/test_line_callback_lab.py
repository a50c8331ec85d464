"""The keep-my-place callback on the real Asterisk (issue 16.2), in the lab's line queue
(<queue>-line: announcements, the callback offered after 60 s, 1 taken at any time): one
agent (a lab phone talking 8 s), the real bridge (callback engine, FastAGI, its own SQLite and Redis).
Two residents call and wait, a SIPp resident calls next and presses 1 (RFC 2833)
while waiting, hangs up; a fourth calls after. The two ahead are served first, then
the placeholder (the agent answers it with the resident's number, then the bridge's
dialplan dials the resident, a SIPp UAS on 127.0.0.40, who answers), then the one
who came after. queue_log's whole path (EXITWITHKEY, CALLBACK, the placeholder's
ENTERQUEUE/CONNECT/COMPLETE, CALLBACKDIAL ANSWER) agrees with the stored records:
`hotline stats verify` finds no difference, callbacks included."""
from __future__ import annotations

import dataclasses
import time

import pytest
from sqlalchemy import select

from call_queue.stats import queue_log_check
from hotline.line_values import LAB_LINE
from line_callback import store
from models.line_callbacks import CallbackRequest, CallbackRequestAttempt
from telephony.queue_log import compare_calls, read_queue_log, summarize_calls
from tests import labtools
from tests.support.lab_calls import calls_by_id, hang_up_calls_from, local, set_lab_phone
from tests.support.line_callback_lab import (
    CallbackStack, answering_resident, callback_caller,
)
from tests.support.line_lab import lab_switch, line_members, place_call

pytestmark = pytest.mark.lab

AGENT = "8044"
PREFIX = "1390044"
CALLER = "13900449001"  # the one who presses 1; callbacklab/13900449 routes the callback


def test_a_callback_keeps_its_place_in_line(lab, control, redis_server, tmp_path):
    queue = f"{lab.queue}-line"
    set_lab_phone(control, AGENT, ring="1", talk="8")
    since = time.time()
    resident = answering_resident(control, tmp_path, CALLER[:8])
    stack = CallbackStack(lab, redis_server.url, tmp_path)
    engine, factory = stack.engine, stack.factory
    caller = None
    try:
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
        log_text = stack.stop()
    entries = [e for e in read_queue_log(lab.queue_log_path) if e.time >= since - 1]
    pressed = [e for e in entries if e.verb == "EXITWITHKEY" and e.field(0) == "1"]
    assert len(pressed) == 1, log_text[-3000:]
    original = pressed[0].callid
    (placeholder,) = [e.callid for e in entries if e.verb == "CALLBACK" and e.field(0) == original]
    assert {e.queue for e in entries if e.verb in ("CALLBACK", "CALLBACKDIAL")} == {queue}
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
    check = dataclasses.replace(lab.settings,
                                callback_offer_s=LAB_LINE["callback_offer_s"])
    with factory() as session:
        result = queue_log_check.verify(session, check, lab.queue_log_path, callids=mine)
    print({k: result["queue_log"][k] for k in result["queue_log"] if k.startswith("callbacks")})
    assert result["differences"] == [], result
    assert result["queue_log"]["callbacks_accepted"] == 1
    assert result["queue_log"]["callbacks_completed"] == 1
    assert result["queue_log"]["callbacks_failed"] == 0
    assert result["queue_log"]["callbacks_offered"] >= 1


BUSY_CALLER = "13900447001"  # callbacklab/13900447: a resident who is busy


def test_a_busy_resident_is_tried_twice_more_then_listed_for_an_agent(lab, control,
                                                                     redis_server, tmp_path):
    queue = f"{lab.queue}-line"
    set_lab_phone(control, AGENT, ring="1", talk="8")
    since = time.time()
    resident = answering_resident(control, tmp_path, BUSY_CALLER[:8], busy=True,
                                  address="127.0.0.41")
    stack = CallbackStack(lab, redis_server.url, tmp_path)
    caller = None
    try:
        with line_members(control, queue) as members, lab_switch(control, "line"):
            members.add(local(AGENT), "cb-8044")
            ahead, _ = place_call(control, lab, f"{PREFIX}0011", patience_s=120)
            time.sleep(1)
            caller = callback_caller(lab, tmp_path, BUSY_CALLER, (17000, 1500))
            assert caller.wait(60) == 0, caller.log_path.read_text(errors="replace")

            def tried_three_times() -> bool:
                with stack.factory() as session:
                    request = session.scalars(select(CallbackRequest)).first()
                    return request is not None and request.state == "failed"
            labtools.wait_until(tried_three_times, 120, "three attempts and the request failed")
    finally:
        hang_up_calls_from(control, PREFIX)
        if caller is not None:
            caller.stop()
        resident.stop()
        control.send_action({"Action": "DBDel", "Family": "callbacklab",
                             "Key": BUSY_CALLER[:8]})
        stack.stop()
    entries = [e for e in read_queue_log(lab.queue_log_path) if e.time >= since - 1]
    (original,) = [e.callid for e in entries if e.verb == "EXITWITHKEY" and e.field(0) == "1"]
    placeholders = [e.callid for e in entries if e.verb == "CALLBACK" and e.field(0) == original]
    assert [e.field(1) for e in entries if e.verb == "CALLBACK"] == ["1", "2", "3"]
    assert [e.field(0) for e in entries if e.verb == "CALLBACKDIAL"] == ["BUSY"] * 3
    with stack.factory() as session:
        attempts = session.scalars(select(CallbackRequestAttempt)
                                   .order_by(CallbackRequestAttempt.number)).all()
        failed = store.failed_requests(session)
    assert [(a.callid, a.outcome, a.position) for a in attempts] == [
        (placeholders[0], "busy", attempts[0].position), (placeholders[1], "busy", 1),
        (placeholders[2], "busy", 1)]
    assert [r.callid for r in failed] == [original]
    mine = {ahead, original, *placeholders}
    labtools.wait_until(lambda: all(calls_by_id(stack.engine, mine).get(c, {}).get("outcome")
                                    for c in mine), 20, "every call stored and closed")
    check = dataclasses.replace(lab.settings,
                                callback_offer_s=LAB_LINE["callback_offer_s"])
    with stack.factory() as session:
        result = queue_log_check.verify(session, check, lab.queue_log_path, callids=mine)
    assert result["differences"] == [], result
    assert (result["queue_log"]["callbacks_accepted"], result["queue_log"]["callbacks_failed"],
            result["queue_log"]["callbacks_completed"]) == (1, 1, 0)
