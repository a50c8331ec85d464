"""queue_log recomputation: the oracle on the shared sample, and agreement with SQL
for the same calls replayed from the real AMI transcripts through telephony."""
from __future__ import annotations

import datetime as dt

import pytest

from call_queue.stats import queue_log_check
from call_queue.errors import QueueLogError
from models.calls import Call
from telephony import normalizer
from telephony.ami.protocol import parse_stream
from telephony.queue_log import read_queue_log
from tests.support.settings import make_settings
from tests.support.transcripts import state_machine


def queue_settings():
    """Real settings with the thresholds the sample's figures below are worked out for."""
    return make_settings(service_level_s=5, short_abandon_s=2, ring_cadence_s=5.0,
                         fcr_window_days=7, wrapup_s=30)


TIME_COLUMNS = ("entered_queue_at", "answered_at", "ended_at")


def replay_transcripts(shared_ami_dir) -> list[dict]:
    machine = state_machine(ring_cadence_s=5.0, wrapup_s=30)
    records: dict[str, dict] = {}
    for name in ("local-channels-two-answered.ami", "queue-pause-answer-abandon.ami"):
        clock = 1_795_445_000.0
        for message in parse_stream((shared_ami_dir / name).read_bytes()):
            clock += 0.01
            machine.apply_all(normalizer.normalize(message, arrived_at=clock))
            for record in machine.take_changed():
                records[record.callid] = record
    return list(records.values())


def store(session_factory, records: list[dict]) -> None:
    columns = set(Call.__table__.columns.keys())
    with session_factory.begin() as session:
        for record in records:
            row = {key: value for key, value in record.column_values().items() if key in columns}
            for key in TIME_COLUMNS:
                if row.get(key) is not None:
                    row[key] = dt.datetime.fromtimestamp(row[key], dt.timezone.utc)
            session.add(Call(**row))


def test_oracle_on_the_sample(shared_ami_dir):
    calls = queue_log_check.calls_in(read_queue_log(shared_ami_dir / "queue_log.sample"))
    values = queue_log_check.recompute(calls, queue_settings())
    # 9 calls entered; two abandoned after 2 s (short at a 2 s threshold); seven answered
    # with waits 3, 6, 3, 6, 10, 4, 8 (SL 5 s: 3 within); five completed.
    assert (values["received"], values["offered"], values["answered"]) == (9, 7, 7)
    assert (values["abandoned"], values["short_abandoned"]) == (0, 2)
    assert values["service_level"] == pytest.approx(3 / 7)
    assert values["asterisk_sl"] == pytest.approx(3 / 7)
    assert values["asterisk_sl2"] == pytest.approx(5 / 9)
    assert values["asa_s"] == pytest.approx(40 / 7)
    assert values["avg_ring_s"] == pytest.approx(25 / 7)
    assert values["avg_talk_s"] == pytest.approx((5 + 4 + 4 + 53 + 50) / 5)


def test_sql_agrees_with_queue_log_for_the_recorded_calls(session_factory, shared_ami_dir):
    records = replay_transcripts(shared_ami_dir)
    store(session_factory, records)
    log_calls = queue_log_check.calls_in(read_queue_log(shared_ami_dir / "queue_log.sample"))
    # The transcripts hold the AMI side of some of the sample's calls: compare those.
    common = {record.callid for record in records} & {call.callid for call in log_calls}
    assert len(common) >= 4
    with session_factory() as session:
        result = queue_log_check.verify(
            session, queue_settings(), shared_ami_dir / "queue_log.sample",
            start=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
            end=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc),
            callids=common)
    assert result["calls"] == len(common)
    assert result["differences"] == []
    assert result["missing_in_database"] == result["missing_in_queue_log"] == []


def test_a_wrong_figure_is_reported(session_factory, shared_ami_dir):
    records = replay_transcripts(shared_ami_dir)
    for record in records:
        if record.callid == "1795445475.1":
            record.wait_s = 30  # the database now says this call waited 30 s
    store(session_factory, records)
    with session_factory() as session:
        result = queue_log_check.verify(
            session, queue_settings(), shared_ami_dir / "queue_log.sample",
            start=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
            end=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc),
            callids={record.callid for record in records})
    differing = {difference["measure"] for difference in result["differences"]}
    assert {"asa_s", "service_level", "asterisk_sl"} <= differing


def test_calls_the_database_lacks_are_named(session_factory, shared_ami_dir):
    store(session_factory, replay_transcripts(shared_ami_dir))  # 5 of the sample's 9
    with session_factory() as session:
        result = queue_log_check.verify(
            session, queue_settings(), shared_ami_dir / "queue_log.sample",
            start=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
            end=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc))
    assert result["missing_in_database"] == ["1795445525.9", "1795445615.12", "1795445615.13",
                                             "1795445616.15"]
    assert result["missing_in_queue_log"] == []
    assert any(d["measure"] == "received" for d in result["differences"])


def test_missing_or_empty_queue_log_is_a_clear_error(session_factory, tmp_path):
    with session_factory() as session:
        with pytest.raises(QueueLogError, match="cannot read"):
            queue_log_check.verify(session, queue_settings(), tmp_path / "nope")
        junk = tmp_path / "queue_log"
        junk.write_text("not a queue log\n1795445461|NONE|NONE|NONE|QUEUESTART|\n")
        with pytest.raises(QueueLogError, match="no whole queue call"):
            queue_log_check.verify(session, queue_settings(), junk)


def test_each_host_s_queue_log_is_checked_against_that_host_s_calls(session_factory,
                                                                    shared_ami_dir):
    records = replay_transcripts(shared_ami_dir)
    store(session_factory, records)
    with session_factory.begin() as session:
        for call in session.query(Call):
            call.host = "b"
        # Another host's call in the same minutes: not in b's queue_log, not b's to answer for.
        session.add(Call(callid="c-1795445480.1", host="c", queue="hotline",
                         entered_queue_at=dt.datetime.fromtimestamp(1795445480, dt.timezone.utc),
                         outcome="abandoned", wait_s=9))
    log_calls = queue_log_check.calls_in(read_queue_log(shared_ami_dir / "queue_log.sample"))
    common = {record.callid for record in records} & {call.callid for call in log_calls}
    window = dict(start=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
                  end=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc))
    with session_factory() as session:
        on_b = queue_log_check.verify(session, queue_settings(),
                                      shared_ami_dir / "queue_log.sample", host="b", **window)
        on_c = queue_log_check.verify(session, queue_settings(),
                                      shared_ami_dir / "queue_log.sample", host="c", **window)
        anywhere = queue_log_check.verify(session, queue_settings(),
                                          shared_ami_dir / "queue_log.sample", **window)
    assert on_b["host"] == "b" and "c-1795445480.1" not in on_b["missing_in_queue_log"]
    assert set(on_b["missing_in_database"]) == {c.callid for c in log_calls} - common
    assert on_c["missing_in_queue_log"] == ["c-1795445480.1"]
    assert "c-1795445480.1" in anywhere["missing_in_queue_log"]
