"""The automatic call-back of a lost call on the real Asterisk (issue 16.5): the real
bridge with HOTLINE_LOST_CALL_AUTO_CALLBACK=yes. A resident calls the line's queue
while no agent is logged in and gives up after waiting: a lost call, and nothing is
booked while there is no agent. An agent logs in: the engine books the lost call's
request and places its placeholder at the end of the (empty) line, the agent's phone
rings and answers first, then the resident (a SIPp UAS on 127.0.0.30) is dialled and
answers. The request completes in one attempt and the lost call counts as recovered,
in the list and in the statistics."""
from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select

from call_queue.stats import report as stats
from line_callback.figures import database_figures
from models.line_callbacks import CallbackRequest, CallbackRequestAttempt
from telephony.queue_log import read_queue_log
from tests import labtools
from tests.support.lab_calls import calls_by_id, hang_up_calls_from, local, set_lab_phone
from tests.support.line_callback_lab import CallbackStack, answering_resident
from tests.support.line_lab import lab_switch, line_members, place_call
from workflow import abandoned as rules

pytestmark = pytest.mark.lab

AGENT = "8044"
CALLER = "13900430001"  # callbacklab/13900430 routes the call-back to 127.0.0.30
RESIDENT = "127.0.0.30"


def _requests(factory):
    with factory() as session:
        return session.scalars(select(CallbackRequest)).all()


def test_a_lost_call_is_called_back_once_an_agent_is_free(lab, control, redis_server, tmp_path):
    queue = f"{lab.queue}-line"
    set_lab_phone(control, AGENT, ring="1", talk="6")
    since = time.time()
    resident = answering_resident(control, tmp_path, CALLER[:8], address=RESIDENT)
    stack = CallbackStack(lab, redis_server.url, tmp_path,
                          {"HOTLINE_LOST_CALL_AUTO_CALLBACK": "yes"})
    try:
        with line_members(control, queue) as members, lab_switch(control, "line"):
            # Greeting then the queue with nobody in it; the resident gives up at 45 s.
            lost, _ = place_call(control, lab, CALLER, patience_s=45)
            labtools.wait_queue_log(lab, lost, "ABANDON", timeout_s=90)
            labtools.wait_until(lambda: calls_by_id(stack.engine, {lost}).get(lost, {})
                                .get("outcome") == "abandoned", 20, "the lost call stored")
            time.sleep(3)  # a few engine ticks with no agent: nothing booked
            assert _requests(stack.factory) == []
            members.add(local(AGENT), "cb-8044")

            def completed():
                requests = _requests(stack.factory)
                return requests and requests[0].state == "completed"
            labtools.wait_until(completed, 90, "the automatic call-back reaching the resident")
    finally:
        hang_up_calls_from(control, CALLER)
        resident.stop()
        control.send_action({"Action": "DBDel", "Family": "callbacklab", "Key": CALLER[:8]})
        log_text = stack.stop()
    (request,) = _requests(stack.factory)
    assert (request.callid, request.source, request.attempts, request.queue) == (
        lost, "lost_call", 1, queue), log_text[-3000:]
    with stack.factory() as session:
        (attempt,) = session.scalars(select(CallbackRequestAttempt)).all()
    entries = [e for e in read_queue_log(lab.queue_log_path) if e.time >= since - 1]
    placeholder = attempt.callid
    assert [e.field(0) for e in entries if e.verb == "CALLBACK"
            and e.callid == placeholder] == [lost]
    # The agent's phone first (the placeholder connects to it), then the resident.
    connect = next(e for e in entries if e.verb == "CONNECT" and e.callid == placeholder)
    dialled = [e for e in entries if e.verb == "CALLBACKDIAL" and e.callid == placeholder]
    assert [e.field(0) for e in dialled] == ["ANSWER"] and connect.time <= dialled[0].time
    enter = next(e for e in entries if e.verb == "ENTERQUEUE" and e.callid == placeholder)
    assert enter.field(1) == CALLER  # the agent's pop: the resident's number
    assert (attempt.outcome, attempt.dial_status) == ("reached", "ANSWER")
    with stack.factory() as session:
        now = dt.datetime.now(dt.timezone.utc)
        calls = rules.lost_calls_between(session, now - dt.timedelta(hours=1), now,
                                         lab.settings.short_abandon_s)
        (item,) = [item for item in rules.with_status(session, calls, {})
                   if item.call.callid == lost]
        assert (item.status, item.auto_callback) == ("recovered", "reached")
        period = stats.make_period(now - dt.timedelta(hours=1), now, "day")
        total = stats.flat_values(stats.compute_stats(session, period, lab.settings)["total"])
        assert (total["lost"], total["lost_recovered"]) == (1, 1)
        figures = database_figures(session, period, offer_s=60)
        assert (figures.accepted, figures.completed, figures.failed) == (0, 0, 0)
