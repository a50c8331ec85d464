"""The durable spool: call records the database could not take wait in a local file."""
from __future__ import annotations

import datetime as dt
import sqlite3
import time

import pytest
from sqlalchemy import select

import models
from models.calls import Call, RingAttempt
from models.session import make_engine
from telephony.call_writer import CallWriter
from telephony.errors import SpoolError
from telephony.spool import Spool, dumps, loads, spool_path
from tests.support.outage import unreachable_url
from tests.support.transcripts import replay


def _rows(engine, model) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(model.__table__)).mappings()]


def _wait(predicate, timeout_s: float = 5.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_batches_survive_a_reopen_in_order_with_their_types(tmp_path):
    path = tmp_path / "spool.sqlite3"
    first = Spool(path)
    moment = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.timezone.utc)
    first.append([{"callid": "1.1", "answered_at": moment, "talk_s": 3, "closed": True,
                   "caller_name": "张三", "attempts": [{"attempt_key": "k", "ring_ms": 7}]}])
    first.append([{"callid": "1.2", "entered_queue_at": 1795445475.25, "outcome": None}])
    first.close()  # the process dies; the file is what is left

    again = Spool(path)
    assert again.pending == 2
    [(seq1, batch1), (seq2, batch2)] = again.batches()
    assert seq1 < seq2
    assert batch1[0]["answered_at"] == moment and batch1[0]["caller_name"] == "张三"
    assert batch1[0]["attempts"] == [{"attempt_key": "k", "ring_ms": 7}]
    assert batch2 == [{"callid": "1.2", "entered_queue_at": 1795445475.25, "outcome": None}]


def test_write_goes_straight_to_the_database_when_it_answers(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite3")
    committed = []
    assert spool.write([{"callid": "1.1"}], lambda records: committed.append(records) or True)
    assert committed == [[{"callid": "1.1"}]] and spool.pending == 0


def test_while_anything_waits_new_batches_queue_behind_it_in_order(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite3")
    database_up = False
    committed: list = []

    def commit(records):
        if database_up:
            committed.extend(record["callid"] for record in records)
        return database_up

    assert not spool.write([{"callid": "a"}], commit)
    assert not spool.write([{"callid": "b"}], commit)
    assert spool.pending == 2 and committed == []
    database_up = True
    # Even when the database is back, a new batch must not overtake the spooled ones.
    assert not spool.write([{"callid": "c"}], commit)
    assert committed == ["a", "b", "c"] and spool.pending == 0


def test_a_failed_drain_keeps_every_batch(tmp_path):
    spool = Spool(tmp_path / "spool.sqlite3")
    for callid in ("a", "b", "c"):
        spool.append([{"callid": callid}])
    assert spool.drain(lambda records: False) == 0
    assert [batch[0]["callid"] for _, batch in spool.batches()] == ["a", "b", "c"]


def test_an_unreadable_row_is_skipped_and_the_rest_written(tmp_path, caplog):
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path)
    spool.append([{"callid": "a"}])
    with sqlite3.connect(path) as raw:  # a torn write from some earlier crash
        raw.execute("INSERT INTO pending (spooled_at, records) VALUES ('x', '[{\"callid\": ')")
    spool.append([{"callid": "b"}])
    spool = Spool(path)
    written: list = []
    spool.drain(lambda records: written.extend(r["callid"] for r in records) or True)
    assert written == ["a", "b"] and spool.pending == 0
    assert "not readable" in caplog.text


def test_a_spool_that_cannot_be_created_names_its_file(tmp_path):
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(SpoolError, match="state"):
        Spool(blocker / "spool" / "call-records.sqlite3")


def test_values_json_cannot_hold_are_refused_not_mangled():
    with pytest.raises(TypeError):
        dumps([{"callid": "1.1", "raw": object()}])
    assert loads(dumps([{"x": float("1.5")}])) == [{"x": 1.5}]


def test_spool_lives_under_the_state_folder(tmp_path, make_settings):
    assert spool_path(make_settings(state_dir=tmp_path)).is_relative_to(tmp_path)


def test_writer_spools_during_an_outage_and_writes_once_it_is_over(db_url, tmp_path):
    """The database goes away, the bridge is killed, restarts: every call stored once."""
    records = list(replay().values())
    path = tmp_path / "spool.sqlite3"
    down = CallWriter(make_engine(unreachable_url(db_url, tmp_path)),
                      spool=Spool(path, retry_interval_s=0.05))
    down.submit(records[:3])
    down.submit(records)  # the same calls again, later in their lives
    assert down.flush(timeout=5)  # the writer never blocks on the outage
    assert down.spool.pending >= 1  # one batch, or two if the writer was quick
    # SIGKILL: no close(), nothing else survives but the spool file.

    engine = make_engine(db_url)
    restarted = CallWriter(engine, spool=Spool(path, retry_interval_s=0.05))
    assert _wait(lambda: restarted.spool.pending == 0), "spool not drained"
    assert restarted.flush()
    restarted.submit(records)  # and a replay after the drain changes nothing
    assert restarted.flush()
    restarted.close()
    calls = {row["callid"]: row for row in _rows(engine, Call)}
    assert sorted(calls) == sorted(record.callid for record in records)
    for record in records:
        assert calls[record.callid]["outcome"] == record.outcome
        assert calls[record.callid]["caller_name"] == record.caller_name
    keys = [(row["callid"], row["attempt_key"]) for row in _rows(engine, RingAttempt)]
    assert len(keys) == len(set(keys)) == sum(len(r.attempts) for r in records)


def test_writer_drains_when_idle_once_the_database_is_back(tmp_path):
    url = f"sqlite:///{tmp_path / 'late.sqlite3'}"
    engine = make_engine(url)  # no tables yet: every commit fails
    writer = CallWriter(engine, spool=Spool(tmp_path / "spool.sqlite3", retry_interval_s=0.05))
    writer.submit([{"callid": "1.1", "queue": "q", "attempts": []}])
    assert _wait(lambda: writer.spool.pending == 1)
    models.Base.metadata.create_all(engine)  # the database is back; no new call arrives
    assert _wait(lambda: writer.spool.pending == 0), "idle writer never retried the spool"
    writer.close()
    assert [row["callid"] for row in _rows(engine, Call)] == ["1.1"]


def test_flush_writes_what_waits_when_the_database_answers(tmp_path):
    url = f"sqlite:///{tmp_path / 'late.sqlite3'}"
    engine = make_engine(url)
    writer = CallWriter(engine, spool=Spool(tmp_path / "spool.sqlite3", retry_interval_s=60))
    writer.submit([{"callid": "1.1", "queue": "q", "attempts": []}])
    assert writer.flush() and writer.spool.pending == 1
    models.Base.metadata.create_all(engine)
    assert writer.flush() and writer.spool.pending == 0  # resync reads a complete database
    writer.close()
