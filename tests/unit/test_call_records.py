"""Typed call records: a misspelt field fails where the record is built, the fields
are the columns, and spool files of older bridges (plain JSON objects) still drain."""
from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy import select

import models
from models.calls import Call, RingAttempt
from models.session import make_engine
from telephony.call_record import ATTEMPT_FIELDS, COLUMN_FIELDS, CallRecord, RingAttemptRecord
from telephony.call_writer import CallWriter
from telephony.dead_letters import list_dead_letters
from telephony.spool import Spool, dumps, loads

# Written by the call writer from the record, never given by a producer.
WRITER_COLUMNS = {"id", "updated_at", "caller_number_full", "host"}
# A batch exactly as the bridge before typed records spooled it (its dict records).
OLD_SPOOL_ROW = (
    '[{"callid": "1795445475.1", "linkedid": "1795445475.0", "channel": "PJSIP/trunk-1", '
    '"caller_number_raw": "13800138000", "caller_number": "13800138000", '
    '"caller_name": "张三", "dialled_number": "88880000", "queue": "hotline", "position": 1, '
    '"entered_queue_at": 1795445475.5, "answered_at": null, "agent_interface": null, '
    '"agent_member": null, "agent_channel": null, "ring_s": null, "rings": null, '
    '"wait_s": 2, "talk_s": null, "hold_s": null, "wrapup_s": null, '
    '"ended_at": {"__datetime__": "2026-11-23T06:51:17.500000+00:00"}, '
    '"hung_up_by": null, "outcome": "abandoned", "transfer_target": null, '
    '"attempts": [{"callid": "1795445475.1", "attempt_key": "PJSIP/8001-00000001", '
    '"member_name": "agent01", "interface": "PJSIP/8001", "agent_channel": '
    '"PJSIP/8001-00000001", "started_at": 1795445476.0, "ended_at": null, '
    '"outcome": null, "ring_ms": null}], "closed": true}, '
    '{"callid": "1795445475.1", "recording_path": "2026/11/23/1795445475.1.wav", '
    '"recording_size_bytes": 44, "recording_duration_s": 0.0}]')


def _rows(engine, model) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(model.__table__)).mappings()]


def _wait(predicate, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_the_record_fields_are_the_columns():
    assert set(COLUMN_FIELDS) == {c.name for c in Call.__table__.columns} - WRITER_COLUMNS
    assert set(ATTEMPT_FIELDS) == {c.name for c in RingAttempt.__table__.columns} - {"id"}


def test_a_misspelt_field_is_a_type_error_where_the_record_is_built():
    with pytest.raises(TypeError, match="outcom"):
        CallRecord(callid="1.1", outcom="answered")
    with pytest.raises(TypeError, match="ring_sm"):
        RingAttemptRecord(callid="1.1", attempt_key="k", ring_sm=3)
    with pytest.raises(TypeError, match="talks"):
        CallRecord.from_json({"callid": "1.1", "talks": 5})
    with pytest.raises(AttributeError):
        CallRecord(callid="1.1").outcom = "answered"  # slots: no new attribute either


def test_the_writer_refuses_a_mapping_with_a_key_that_is_no_column(sqlite_url):
    """Before typed records the writer picked known keys out of a dict: this call was
    stored with no outcome and nothing said why."""
    engine = make_engine(sqlite_url)
    writer = CallWriter(engine)
    try:
        with pytest.raises(TypeError, match="outcom"):
            writer.submit([{"callid": "1.1", "queue": "q", "outcom": "abandoned"}])
        writer.submit([{"callid": "1.2", "queue": "q", "outcome": "abandoned"}])
        assert writer.flush()
    finally:
        writer.close()
    assert [(row["callid"], row["outcome"]) for row in _rows(engine, Call)] == [
        ("1.2", "abandoned")]


def test_json_round_trip_keeps_every_known_value():
    record = CallRecord(callid="1.1", queue="q", entered_queue_at=1795445475.25, closed=False,
                        attempts=(RingAttemptRecord("1.1", "k", outcome="busy", ring_ms=0),))
    [back] = [CallRecord.from_json(data) for data in loads(dumps([record]))]
    assert back == record
    assert CallRecord(callid="1.1").as_json() == {"callid": "1.1"}  # None is not said


def test_a_spool_file_of_an_older_bridge_drains_into_the_database(tmp_path):
    path = tmp_path / "spool.sqlite3"
    Spool(path).close()
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO pending (spooled_at, records) VALUES (?, ?)",
                    ("2026-11-23T06:51:18+00:00", OLD_SPOOL_ROW))
    engine = make_engine(f"sqlite:///{tmp_path / 'calls.sqlite3'}")
    models.Base.metadata.create_all(engine)
    writer = CallWriter(engine, spool=Spool(path, retry_interval_s=0.05))
    try:
        assert _wait(lambda: writer.spool.pending == 0), "the old batch did not drain"
    finally:
        writer.close()
    [row] = _rows(engine, Call)
    assert (row["callid"], row["caller_name"], row["outcome"], row["wait_s"]) == (
        "1795445475.1", "张三", "abandoned", 2)
    assert row["ended_at"].isoformat() == "2026-11-23T06:51:17.500000+00:00"
    assert row["recording_path"] == "2026/11/23/1795445475.1.wav"
    [attempt] = _rows(engine, RingAttempt)
    # closed: the ring no event ended was cancelled, as the old writer did.
    assert (attempt["member_name"], attempt["outcome"]) == ("agent01", "cancelled")
    assert list_dead_letters(engine) == []


def test_a_spooled_record_with_an_unknown_key_is_set_aside_not_half_written(tmp_path):
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path)
    spool.append([{"callid": "1.1", "queue": "q", "outcome": "abandoned", "closed": True},
                  {"callid": "1.2", "queue": "q", "colour": "red"}])
    spool.close()
    engine = make_engine(f"sqlite:///{tmp_path / 'calls.sqlite3'}")
    models.Base.metadata.create_all(engine)
    writer = CallWriter(engine, spool=Spool(path, retry_interval_s=0.05))
    try:
        assert _wait(lambda: writer.spool.pending == 0), "one bad record blocked the spool"
    finally:
        writer.close()
    assert [row["callid"] for row in _rows(engine, Call)] == ["1.1"]
    [letter] = list_dead_letters(engine)
    assert letter.record_key == "1.2" and "colour" in letter.error
    assert letter.records == [{"callid": "1.2", "queue": "q", "colour": "red"}]

