"""The statistics agree exactly with Asterisk's queue_log for mixed real calls.

Run under the lab lock: `flock /tmp/hotline-lab.lock .venv/bin/pytest -m lab ...`.
The bridge runs in-process with its own SQLite database (as in
test_bridge_lab.py); calls are Local-channel calls placed by AMI Originate:
answered within the service level, answered after it, abandoned after it, a
short abandon, and one a member let ring unanswered (RINGNOANSWER) until the
caller gave up. The service level here is 5 s and short abandons 2 s (on both
sides of the comparison), to keep the test well under a minute.
"""
from __future__ import annotations

import dataclasses
import time

import pytest
from sqlalchemy.orm import sessionmaker

from call_queue.stats import queue_log_check
from telephony.queue_log import read_queue_log
# test_wallboard_*_lab still import `local` and `originate` from here (issue 12:
# they should take them from tests.support.lab_calls).
from tests.support.lab_calls import calls_by_id, local, set_lab_phone
from tests.support.lab_calls import originate_patient_caller as originate
from tests.labtools import wait_until

pytestmark = pytest.mark.lab

FAST, SLOW, DEAF = "8071", "8072", "8073"


def closed_in_queue_log(lab, callids: list[str]) -> bool:
    enders = {"COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY",
              "EXITWITHKEY", "BLINDTRANSFER", "ATTENDEDTRANSFER"}
    ended = {entry.callid for entry in read_queue_log(lab.queue_log_path, tail_bytes=1 << 20)
             if entry.verb in enders}
    return set(callids) <= ended


def answered(engine, callid: str) -> bool:
    return bool(calls_by_id(engine, [callid]).get(callid, {}).get("answered_at"))


def test_sql_statistics_agree_with_queue_log(lab, lab_bridge, control, members):
    bridge, _sink, engine = lab_bridge
    set_lab_phone(control, FAST, ring="1", talk="3")
    set_lab_phone(control, SLOW, ring="8", talk="3")
    set_lab_phone(control, DEAF, ring="never", talk="1")
    mine = []

    members.add(local(FAST), "verify-fast")
    mine.append(originate(control, lab, "13800138071", "快接", patience_s=60))
    wait_until(lambda: answered(engine, mine[-1]), 15, "the fast phone answered")
    members.act("QueuePause", local(FAST), Paused="true", Reason="verify test")

    members.add(local(SLOW), "verify-slow")
    mine.append(originate(control, lab, "13800138072", "慢接", patience_s=60))
    wait_until(lambda: answered(engine, mine[-1]), 20, "the slow phone answered")
    members.act("QueuePause", local(SLOW), Paused="true", Reason="verify test")

    members.add(local(DEAF), "verify-deaf")
    mine.append(originate(control, lab, "13800138073", "没人接", patience_s=20))
    time.sleep(0.5)  # first in line: the deaf phone rings for this one
    mine.append(originate(control, lab, "13800138074", "等不及", patience_s=7))
    mine.append(originate(control, lab, "13800138075", "挂得快", patience_s=1))

    wait_until(lambda: closed_in_queue_log(lab, mine), 45, "queue_log closed every call")
    wait_until(lambda: all(record.get("outcome") for record in
                         calls_by_id(engine, mine).values()) and
             len(calls_by_id(engine, mine)) == len(mine), 15, "every call stored closed")

    settings = dataclasses.replace(bridge.settings, service_level_s=5, short_abandon_s=2)
    with sessionmaker(engine)() as session:
        result = queue_log_check.verify(session, settings, lab.queue_log_path,
                                        callids=set(mine))
    assert result["calls"] == len(mine)
    assert result["differences"] == [], result
    figures = result["database"]
    # The mix really happened: two answered (one inside 5 s, one after), a short
    # abandon, two long ones (one after an unanswered ring).
    assert (figures["received"], figures["answered"], figures["short_abandoned"],
            figures["abandoned"]) == (5, 2, 1, 2)
    assert figures["asterisk_sl"] == 0.5
    no_answer = [entry for entry in read_queue_log(lab.queue_log_path, tail_bytes=1 << 20)
                 if entry.callid == mine[2] and entry.verb == "RINGNOANSWER"]
    assert no_answer, "the deaf phone should have rung out unanswered"
