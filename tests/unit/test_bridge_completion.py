"""Answered calls whose AgentComplete never came get their talk time from queue_log.

Found by bench/load: under load Asterisk 22 wrote COMPLETECALLER to queue_log
for about 1 % of answered calls without raising AgentComplete on any AMI
session; the records then had no talk time and disagreed with queue_log.
"""
from __future__ import annotations

import dataclasses
import time

from sqlalchemy import select

import models
from hotline.settings import get_settings
from models.calls import Call
from models.session import make_engine
from telephony.bridge import Bridge
from telephony.resync import REFINISH_WINDOW_S, reconcile_open_calls

CALLID = "1795451134.120"
QUEUE_LOG = (f"1795451134|{CALLID}|hotline|NONE|ENTERQUEUE||13800000001|1\n"
             f"1795451135|{CALLID}|hotline|agent07|CONNECT|1|1795451135.121|1\n"
             f"1795451139|{CALLID}|hotline|agent07|COMPLETECALLER|1|4|1\n")


ENDED_AT = 1795451139.3
# What the state machine stored: answered, then the caller's channel hung up.
STORED_WITHOUT_TALK = {"callid": CALLID, "queue": "hotline", "outcome": "answered",
                       "answered_at": 1795451135.2, "ended_at": ENDED_AT,
                       "agent_member": "agent07", "closed": True, "attempts": []}


def _bridge(tmp_path, clock=time.time):
    url = f"sqlite:///{tmp_path / 'completion.sqlite3'}"
    engine = make_engine(url)
    models.Base.metadata.create_all(engine)
    (tmp_path / "queue_log").write_text(QUEUE_LOG)
    settings = dataclasses.replace(get_settings(), database_url=url, state_dir=tmp_path,
                                   queue_log_path=tmp_path / "queue_log",
                                   recordings_dir=tmp_path / "recordings")
    bridge = Bridge(settings, engine, sinks=[], connection_factory=lambda *args: None,
                    clock=clock)
    return bridge, engine


def _rows(engine) -> dict[str, dict]:
    with engine.connect() as connection:
        return {row["callid"]: dict(row)
                for row in connection.execute(select(Call.__table__)).mappings()}


def test_talk_time_and_who_hung_up_come_from_queue_log(tmp_path):
    bridge, engine = _bridge(tmp_path)
    try:
        bridge.writer.submit([STORED_WITHOUT_TALK])
        bridge.finish_call(CALLID, "answered")
        assert bridge.writer.flush()
    finally:
        bridge.stop()
    row = _rows(engine)[CALLID]
    assert (row["outcome"], row["talk_s"], row["hung_up_by"]) == ("answered", 4, "caller")


def test_a_restarted_bridge_finishes_calls_closed_just_before_it_died(tmp_path):
    """Found by test_faults' PostgreSQL test: the bridge was SIGKILLed one second
    after the call ended, before its deferred finishing pass ran; the spooled
    record reached the database without a talk time and nothing completed it."""
    old_callid = "1795440000.5"
    bridge, engine = _bridge(tmp_path, clock=lambda: ENDED_AT + 60)
    try:
        bridge.writer.submit([
            STORED_WITHOUT_TALK,
            dict(STORED_WITHOUT_TALK, callid=old_callid,  # long over: not looked at again
                 answered_at=ENDED_AT - REFINISH_WINDOW_S - 30,
                 ended_at=ENDED_AT - REFINISH_WINDOW_S - 20)])
        assert bridge.writer.flush()
        counts = reconcile_open_calls(bridge, alive=set())
        bridge.run_due_tasks(now=time.monotonic() + 60)
        assert bridge.writer.flush()
    finally:
        bridge.stop()
    rows = _rows(engine)
    assert (rows[CALLID]["talk_s"], rows[CALLID]["hung_up_by"]) == (4, "caller")
    assert rows[old_callid]["talk_s"] is None
    assert counts["finished_again"] == 1
