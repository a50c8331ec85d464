"""Answered calls whose AgentComplete never came get their talk time from queue_log.

Found by bench/load: under load Asterisk 22 wrote COMPLETECALLER to queue_log
for about 1 % of answered calls without raising AgentComplete on any AMI
session; the records then had no talk time and disagreed with queue_log.
"""
from __future__ import annotations

import dataclasses

from sqlalchemy import select

import models
from hotline.settings import get_settings
from models.calls import Call
from models.session import make_engine
from telephony.bridge import Bridge

CALLID = "1795451134.120"
QUEUE_LOG = (f"1795451134|{CALLID}|hotline|NONE|ENTERQUEUE||13800000001|1\n"
             f"1795451135|{CALLID}|hotline|agent07|CONNECT|1|1795451135.121|1\n"
             f"1795451139|{CALLID}|hotline|agent07|COMPLETECALLER|1|4|1\n")


def test_talk_time_and_who_hung_up_come_from_queue_log(tmp_path):
    url = f"sqlite:///{tmp_path / 'completion.sqlite3'}"
    engine = make_engine(url)
    models.Base.metadata.create_all(engine)
    (tmp_path / "queue_log").write_text(QUEUE_LOG)
    settings = dataclasses.replace(get_settings(), database_url=url, state_dir=tmp_path,
                                   queue_log_path=tmp_path / "queue_log",
                                   recordings_dir=tmp_path / "recordings")
    bridge = Bridge(settings, engine, sinks=[], connection_factory=lambda *args: None)
    try:
        # What the state machine stored: answered, then the caller's channel hung up.
        bridge.writer.submit([{"callid": CALLID, "queue": "hotline", "outcome": "answered",
                               "answered_at": 1795451135.2, "ended_at": 1795451139.3,
                               "agent_member": "agent07", "closed": True, "attempts": []}])
        bridge.finish_call(CALLID, "answered")
        assert bridge.writer.flush()
    finally:
        bridge.stop()
    with engine.connect() as connection:
        row = connection.execute(select(Call.__table__)).mappings().one()
    assert (row["outcome"], row["talk_s"], row["hung_up_by"]) == ("answered", 4, "caller")
