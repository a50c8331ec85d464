"""Hostile or refused call records never wedge the writer (SQLite and PostgreSQL).

Over-long texts from AMI are cut to their columns; a row the database refuses
for good is set aside in dead_letters and the rest is written; only an outage
sends records to the spool; a poisoned batch already in a spool file drains.
"""
from __future__ import annotations

import time

from click.testing import CliRunner
from sqlalchemy import select, update

from models.calls import Call, RingAttempt
from models.dead_letters import DeadLetter
from models.session import make_engine
from telephony import cli
from telephony.call_writer import MARKER, CallWriter
from telephony.dead_letters import list_dead_letters
from telephony.spool import Spool, dumps
from tests.support.outage import unreachable_url
from tests.support.settings import make_settings

HOSTILE_NUMBER = "1" * 75  # PJSIP takes a From user part of up to 79 characters


def _record(callid: str, **values) -> dict:
    record = {"callid": callid, "queue": "hotline", "entered_queue_at": 1795445475.0,
              "caller_number_raw": "13800138000", "caller_number": "13800138000",
              "outcome": "abandoned", "closed": True,
              "attempts": [{"callid": callid, "attempt_key": f"PJSIP/8001-{callid}",
                            "interface": "PJSIP/8001", "outcome": "no_answer"}]}
    record.update(values)
    return record


def _calls(engine) -> dict[str, dict]:
    with engine.connect() as connection:
        return {row["callid"]: dict(row)
                for row in connection.execute(select(Call.__table__)).mappings()}


def _attempt_keys(engine) -> set:
    with engine.connect() as connection:
        return {row.attempt_key for row in connection.execute(select(RingAttempt.__table__))}


def _wait(predicate, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _write(engine, *batches) -> CallWriter:
    writer = CallWriter(engine, retry_delays=(0.05,))
    for batch in batches:
        writer.submit(batch)
    assert writer.flush(timeout=5), "the writer wedged"
    writer.close()
    return writer


def test_over_long_caller_texts_are_cut_to_their_columns_and_kept_whole(db_url):
    engine = make_engine(db_url)
    name = "攻" * 300
    hostile = _record("1795445475.2", caller_number_raw=HOSTILE_NUMBER,
                      caller_number=HOSTILE_NUMBER, caller_name=name,
                      dialled_number="9" * 70, channel="PJSIP/" + "x" * 200)
    writer = _write(engine, [_record("1795445475.1"), hostile, _record("1795445475.3")])
    calls = _calls(engine)
    assert sorted(calls) == ["1795445475.1", "1795445475.2", "1795445475.3"]
    row = calls["1795445475.2"]
    for column, value in (("caller_number_raw", HOSTILE_NUMBER), ("caller_number", HOSTILE_NUMBER),
                          ("caller_name", name), ("dialled_number", "9" * 70),
                          ("channel", "PJSIP/" + "x" * 200)):
        limit = Call.__table__.c[column].type.length
        assert row[column] == value[:limit - 1] + MARKER, column
    assert row["caller_number_full"] == HOSTILE_NUMBER
    assert calls["1795445475.1"]["caller_number_full"] is None
    assert writer.dead_letters == 0 and list_dead_letters(engine) == []


def test_a_row_the_database_refuses_is_set_aside_and_the_rest_written(db_url):
    engine = make_engine(db_url)
    refused = _record("1795445475.5", outcome="not-an-outcome")  # violates the CHECK
    writer = _write(engine, [_record("1795445475.4"), refused, _record("1795445475.6")],
                    [_record("1795445475.7")])
    assert sorted(_calls(engine)) == ["1795445475.4", "1795445475.6", "1795445475.7"]
    assert "PJSIP/8001-1795445475.5" not in _attempt_keys(engine)
    [letter] = list_dead_letters(engine)
    assert (letter.kind, letter.record_key, letter.attempts) == (
        "call_record", "1795445475.5", 1)
    assert letter.error_class.startswith("IntegrityError")
    assert letter.records == [refused]
    assert writer.dead_letters == 1


def test_a_value_postgresql_cannot_hold_is_set_aside_there(db_url):
    """Keys are never cut (two calls would merge) and numbers are not texts: PostgreSQL
    refuses them (DataError) and the call is set aside; SQLite, which checks neither,
    stores them."""
    engine = make_engine(db_url)
    long_key = "1795445478." + "1" * 80  # callid is VARCHAR(64)
    _write(engine, [_record("1795445478.1"), _record(long_key),
                    _record("1795445478.2", position=2 ** 40), _record("1795445478.3")])
    letters = list_dead_letters(engine)
    stored = set(_calls(engine))
    assert {"1795445478.1", "1795445478.3"} <= stored
    if db_url.startswith("postgresql"):
        assert stored == {"1795445478.1", "1795445478.3"}
        assert sorted(letter.record_key for letter in letters) == sorted(
            ["1795445478.2", long_key])
        assert {letter.error_class.split("/")[0] for letter in letters} == {"DataError"}
    else:
        assert len(stored) == 4 and letters == []


def test_the_same_refused_records_again_are_one_dead_letter(db_url):
    engine = make_engine(db_url)
    refused = _record("1795445475.5", outcome="not-an-outcome")
    _write(engine, [refused])
    _write(engine, [_record("1795445475.4"), refused])  # e.g. a spool replayed after a crash
    [letter] = list_dead_letters(engine)
    assert letter.attempts == 2


def test_an_outage_spools_even_a_poisoned_batch_and_it_drains_afterwards(db_url, tmp_path):
    """Nothing is judged while the database is away; once back, the bad call is set aside."""
    path = tmp_path / "spool.sqlite3"
    refused = _record("1795445475.9", outcome="not-an-outcome")
    down = CallWriter(make_engine(unreachable_url(db_url, tmp_path)),
                      spool=Spool(path, retry_interval_s=0.05))
    down.submit([_record("1795445475.8"), refused])
    assert down.flush(timeout=5)
    assert down.spool.pending == 1 and down.dead_letters == 0
    down.close()
    down.spool.close()

    engine = make_engine(db_url)
    assert list_dead_letters(engine) == []  # the outage set nothing aside
    restarted = CallWriter(engine, spool=Spool(path, retry_interval_s=0.05))
    assert _wait(lambda: restarted.spool.pending == 0), "poisoned spool wedged"
    restarted.close()
    assert sorted(_calls(engine)) == ["1795445475.8"]
    assert [letter.record_key for letter in list_dead_letters(engine)] == ["1795445475.9"]


def test_a_poisoned_batch_left_in_a_spool_file_drains(db_url, tmp_path):
    """The file an earlier bridge left: its bad batch wedged every later call."""
    path = tmp_path / "spool.sqlite3"
    earlier = Spool(path)
    earlier.append([_record("1795445476.1"), _record("1795445476.2", outcome="not-an-outcome"),
                    _record("1795445476.3", caller_number_raw=HOSTILE_NUMBER)])
    earlier.append([_record("1795445476.4")])
    earlier.close()

    engine = make_engine(db_url)
    writer = CallWriter(engine, spool=Spool(path, retry_interval_s=0.05))
    writer.submit([_record("1795445476.5")])
    assert writer.flush(timeout=5) and writer.spool.pending == 0
    writer.close()
    assert sorted(_calls(engine)) == ["1795445476.1", "1795445476.3", "1795445476.4",
                                      "1795445476.5"]
    assert [letter.record_key for letter in list_dead_letters(engine)] == ["1795445476.2"]


def _run_cli(monkeypatch, db_url, *args):
    settings = make_settings(database_url=db_url)
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    return CliRunner().invoke(cli.dead_letters_group, list(args))


def test_dead_letters_list_and_replay_from_the_command_line(db_url, monkeypatch):
    engine = make_engine(db_url)
    refused = _record("1795445477.1", outcome="not-an-outcome")
    _write(engine, [refused, _record("1795445477.2")])
    listed = _run_cli(monkeypatch, db_url, "list")
    assert listed.exit_code == 0, listed.output
    [letter] = list_dead_letters(engine)
    assert f"{letter.id}\tcall_record\t1795445477.1" in listed.output
    assert "IntegrityError" in listed.output and "1 dead letters" in listed.output

    still_bad = _run_cli(monkeypatch, db_url, "replay", str(letter.id))
    assert still_bad.exit_code == 1 and "still refused" in still_bad.output
    [letter] = list_dead_letters(engine)
    assert letter.attempts == 2 and letter.resolved_at is None

    # The operator corrects the record; the replay writes it and it leaves the list.
    fixed = dumps([dict(refused, outcome="abandoned")])
    with engine.begin() as connection:
        connection.execute(update(DeadLetter).where(DeadLetter.id == letter.id)
                           .values(payload=fixed))
    replayed = _run_cli(monkeypatch, db_url, "replay")
    assert replayed.exit_code == 0, replayed.output
    assert "1 written, 0 still refused" in replayed.output
    assert _calls(engine)["1795445477.1"]["outcome"] == "abandoned"
    assert list_dead_letters(engine) == []
    assert [d.resolved_at is not None for d in list_dead_letters(engine, include_resolved=True)] \
        == [True]
    assert "no open dead letter 999" in _run_cli(monkeypatch, db_url, "replay", "999").output


def test_dead_letters_commands_name_a_missing_table(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = _run_cli(monkeypatch, url, "list")
    assert result.exit_code == 1 and "hotline db upgrade" in result.output
