"""The call writer on SQLite and PostgreSQL: idempotent upserts keyed by callid."""
from __future__ import annotations

from sqlalchemy import func, select

from models.calls import Call, RingAttempt
from models.session import make_engine
from telephony.call_record import CallRecord, RingAttemptRecord
from telephony.call_writer import CallWriter, write_records
from tests.support.transcripts import replay


def _rows(engine, model):
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(model.__table__)).mappings()]


def test_replayed_calls_are_stored_once_however_often_written(db_url):
    engine = make_engine(db_url)
    records = list(replay().values())
    writer = CallWriter(engine)
    for _ in range(3):
        writer.submit(records)
    assert writer.flush()
    writer.close()
    calls = {row["callid"]: row for row in _rows(engine, Call)}
    assert len(calls) == 5
    answered = calls["1795445475.1"]
    assert (answered["outcome"], answered["wait_s"], answered["talk_s"]) == ("answered", 3, 5)
    assert answered["entered_queue_at"].tzinfo is not None
    assert calls["1795445683.18"]["caller_name"] == "张三"
    assert calls["1795445683.18"]["outcome"] is None  # still talking when recorded
    attempts = _rows(engine, RingAttempt)
    assert len(attempts) == 4 and {a["outcome"] for a in attempts} == {"answered"}


def test_a_partial_record_completes_a_row_without_blanking_it(db_url):
    engine = make_engine(db_url)
    full = replay()["1795445683.18"]
    with engine.begin() as connection:
        write_records(connection, engine, [full])
        # After a bridge restart only the end of the call is known.
        write_records(connection, engine, [CallRecord(
            callid="1795445683.18", outcome="answered", talk_s=40,
            ended_at=full.answered_at + 40, hung_up_by="caller", closed=True,
            attempts=(RingAttemptRecord(callid="1795445683.18", attempt_key="PJSIP/agent9-1",
                                        interface="PJSIP/agent9"),))])
    [row] = _rows(engine, Call)
    assert (row["caller_name"], row["wait_s"], row["ring_s"]) == ("张三", 4, 4)
    assert (row["outcome"], row["talk_s"], row["hung_up_by"]) == ("answered", 40, "caller")
    outcomes = {a["attempt_key"]: a["outcome"] for a in _rows(engine, RingAttempt)}
    # A ring no event ended before the call closed is counted as cancelled.
    assert outcomes == {"PJSIP/agent1-00000008": "answered", "PJSIP/agent9-1": "cancelled"}


def test_writer_batches_and_times_commits(db_url):
    engine = make_engine(db_url)
    writer = CallWriter(engine, keep_latencies=True)
    import time

    for index in range(300):
        writer.submit([CallRecord(callid=f"1800000000.{index}", queue="hotline",
                                  outcome="abandoned", closed=True)],
                      time.perf_counter())
    assert writer.flush()
    writer.close()
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Call)).scalar() == 300
    assert len(writer.latencies) == 300 and writer.commits <= 300
    assert writer.calls_written == 300


def test_writer_retries_when_the_database_is_away(tmp_path):
    import models

    url = f"sqlite:///{tmp_path / 'late.sqlite3'}"
    engine = make_engine(url)
    writer = CallWriter(engine, retry_delays=(0.05,))
    writer.submit([CallRecord(callid="1.1", queue="q")])
    assert not writer.flush(timeout=0.3)  # no tables yet: nothing committed, nothing lost
    models.Base.metadata.create_all(engine)
    assert writer.flush(timeout=5)
    writer.close()
    assert [row["callid"] for row in _rows(engine, Call)] == ["1.1"]


def test_a_partial_update_in_the_same_batch_keeps_the_call_closed(db_url):
    """A recording's record says nothing of `closed` (None): the ring still open when
    the call closed is cancelled all the same."""
    engine = make_engine(db_url)
    ring = RingAttemptRecord(callid="1.1", attempt_key="PJSIP/8001-1", interface="PJSIP/8001")
    with engine.begin() as connection:
        write_records(connection, engine, [CallRecord(callid="1.1", queue="q", attempts=(ring,))])
    with engine.begin() as connection:
        write_records(connection, engine, [
            CallRecord(callid="1.1", outcome="abandoned", closed=True),
            CallRecord(callid="1.1", recording_path="x/1.1.wav")])
    [row] = _rows(engine, Call)
    assert (row["outcome"], row["queue"], row["recording_path"]) == ("abandoned", "q", "x/1.1.wav")
    assert [a["outcome"] for a in _rows(engine, RingAttempt)] == ["cancelled"]


def test_each_writer_stamps_its_host_and_a_later_replay_does_not_move_a_call(db_url):
    engine = make_engine(db_url)
    lab_writer, b_writer = CallWriter(engine, host="lab"), CallWriter(engine, host="b")
    lab_writer.submit([CallRecord(callid="1796164084.2", queue="hotline")])
    b_writer.submit([CallRecord(callid="b-1796164084.2", queue="hotline")])
    for writer in (lab_writer, b_writer):
        assert writer.flush()
        writer.close()
    with engine.begin() as connection:
        # A dead letter replayed with the default host completes b's call, keeps it on b.
        write_records(connection, engine, [CallRecord(callid="b-1796164084.2", talk_s=7)])
    hosts = {row["callid"]: (row["host"], row["talk_s"]) for row in _rows(engine, Call)}
    assert hosts == {"1796164084.2": ("lab", None), "b-1796164084.2": ("b", 7)}
