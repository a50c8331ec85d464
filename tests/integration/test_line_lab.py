"""The hotline queue's announcements and cap on the real Asterisk (issue 16.1, 16.8),
in the lab's twin queue <queue>-line (the same options the production queue gets):
one agent (a lab phone talking 6 s), five residents calling a second apart. The
first is answered; the next three wait and hear, in Mandarin, their place and the
estimated wait (the prompt files app_queue played on each caller's channel, from
Asterisk's verbose log), the fifth finds the queue full (maxlen 3): refused, told
so, and logged as BLOCKED in queue_log. The estimate app_queue holds afterwards is
exactly call_queue/wait_estimate's replay of the waits in queue_log, and the
estimates each caller was given are set beside what they then waited.

The emergency key: three residents ahead (one talking, two waiting), a fourth
presses 9 in the greeting and is answered next, before the two; the emergency
order is pre-created with the caller's household, dispatched, and the supervisors
alerted."""
from __future__ import annotations

import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import models

from call_queue.blocked import blocked_figures
from call_queue.wait_estimate import estimate_quality, replay_holdtime, wait_promises
from models.console import User, WorkOrder
from models.notifications import Notification
from models.session import make_engine, session_factory
from telephony.emergency_line import EmergencyScript
from telephony.line_prompts import L
from telephony.queue_log import read_queue_log
from tests import labtools
from tests.support.ivr_lab_calls import lab_runs_this_ivr
from tests.support.demo import demo_data, one_household_number
from tests.support.lab_calls import hang_up_calls_from, local, set_lab_phone
from tests.support.line_lab import (
    VerboseLog, channel_of, fastagi_on_the_lab_port, lab_switch, line_members, place_call,
    place_calls, press, queue_holdtime,
)

pytestmark = pytest.mark.lab

PREFIX = "1390017"
AGENT = "8049"


def test_waiting_callers_hear_place_and_wait_and_a_full_queue_refuses(lab, control):
    lab_runs_this_ivr(lab)  # the prompts built, this checkout's dialplan
    queue = f"{lab.queue}-line"
    since = time.time()
    before = queue_holdtime(control, queue)
    set_lab_phone(control, AGENT, ring="1", talk="6")
    numbers = [f"{PREFIX}{n:04d}" for n in range(1, 6)]
    with line_members(control, queue) as members, lab_switch(control, "line"), \
            VerboseLog(lab, f"h16-line-{int(since)}.log") as verbose:
        members.add(local(AGENT), "line-8049")
        try:
            callids = place_calls(control, lab, numbers, patience_s=60, gap_s=1.5)
            for callid in callids[:4]:
                labtools.wait_queue_log(lab, callid, "COMPLETEAGENT", timeout_s=60)
        finally:
            hang_up_calls_from(control, PREFIX)
        played = verbose.played()
    entries = [e for e in read_queue_log(lab.queue_log_path) if e.time >= since - 1]
    mine = [e for e in entries if e.callid in callids]

    # The fifth caller: refused by the full queue, told so, counted as blocked.
    blocked = [e for e in mine if e.verb == "BLOCKED"]
    assert [e.callid for e in blocked] == [callids[4]] and blocked[0].field(0) == numbers[4]
    assert not any(e.verb == "ENTERQUEUE" and e.callid == callids[4] for e in mine)
    assert any(f == L.QUEUE_FULL for _, f, _ in played)
    figures = blocked_figures(mine)[queue]
    assert (figures.entered, figures.blocked, figures.blocked_pct) == (4, 1, 20.0)

    # The waiting callers heard their place (in Mandarin, the hotline's files).
    heard = {f for _, f, lang in played if lang == "zh"}
    assert {L.QUEUE_THERE_ARE, L.QUEUE_CALLS_WAITING, L.QUEUE_THANK_YOU} <= heard, heard
    told_place = {channel.split(";")[0] for channel, f, _ in played if f == L.QUEUE_THERE_ARE}
    assert len(told_place) >= 2, played

    # app_queue's estimate is the replay of the waits queue_log holds.
    expected = before
    for entry in mine:
        if entry.verb == "CONNECT":
            expected = replay_holdtime(expected, int(entry.field(0)))
    assert queue_holdtime(control, queue) == expected
    waits = [int(e.field(0)) for e in mine if e.verb == "CONNECT"]
    assert len(waits) == 4 and waits[3] >= 12, waits
    promises = wait_promises(mine, queue, initial={queue: before})
    assert [p.waited_s for p in promises] == waits
    quality = estimate_quality(promises)
    print(f"waits {waits}; estimates {[p.estimated_s for p in promises]}; {quality}")


@pytest.fixture
def emergency_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'emergency.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    factory = session_factory(url)
    with factory() as session:
        demo_data(session, 5)
        session.add(User(username="boss", password_hash="-", role="supervisor"))
        session.commit()
    return url, factory


def test_the_emergency_key_jumps_the_callers_already_waiting(lab, control, emergency_db):
    settings = lab_runs_this_ivr(lab)
    url, factory = emergency_db
    resident, household_id = one_household_number(url)
    queue = f"{lab.queue}-line"
    set_lab_phone(control, AGENT, ring="1", talk="8")
    script = EmergencyScript(factory, settings.local_area_code, ZoneInfo(settings.office_timezone))
    waiting = [f"{PREFIX}{n:04d}" for n in range(11, 14)]
    with line_members(control, queue) as members, lab_switch(control, "line"), \
            VerboseLog(lab, f"h16-emergency-{int(time.time())}.log") as verbose, \
            fastagi_on_the_lab_port(settings, {"emergency": script}):
        members.add(local(AGENT), "line-8049")
        try:
            callids = place_calls(control, lab, waiting, patience_s=90, gap_s=1.0)
            # The second and third callers are waiting behind the first's 8 s call.
            labtools.wait_queue_log(lab, callids[2], "ENTERQUEUE", timeout_s=20)
            emergency, own_half = place_call(control, lab, resident, patience_s=90)
            time.sleep(2.5)  # into the greeting
            press(control, channel_of(control, own_half), "9")
            order_of = {}
            for callid in [*callids, emergency]:
                order_of[callid] = labtools.wait_queue_log(lab, callid, "CONNECT", timeout_s=60)
        finally:
            hang_up_calls_from(control, PREFIX)
            hang_up_calls_from(control, resident)
        played = verbose.played()
    answered = sorted(order_of, key=lambda c: int(order_of[c][0]))
    # The first caller was already talking; the emergency went before the two waiting.
    assert answered.index(emergency) == 1, {c: order_of[c][0] for c in order_of}
    entered = {c: int(labtools.wait_queue_log(lab, c, "ENTERQUEUE")[0]) for c in order_of}
    assert entered[emergency] > entered[callids[2]]
    assert any(f == L.GREETING_EMERGENCY for _, f, _ in played)
    assert any(f == L.EMERGENCY_TO_AGENT for _, f, _ in played)
    with factory() as session:
        order = session.scalars(select(WorkOrder).where(WorkOrder.callid == emergency)).one()
        alerts = session.scalars(select(Notification).where(
            Notification.kind == "emergency_order")).all()
    assert (order.urgency, order.household_id, order.status) == ("emergency", household_id,
                                                                 "dispatched")
    assert alerts
