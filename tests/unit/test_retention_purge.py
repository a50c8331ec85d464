"""The retention purge on SQLite and PostgreSQL: the dry run changes nothing and lists
what the purge then takes; the purge leaves every statistic and every record
queue_log is checked against as it was, and logs the run."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from call_queue.stats.report import compute_stats, make_period
from maintenance.errors import RetentionPolicyError
from maintenance.policy import DEFAULT_POLICY_FILE, load_policy
from maintenance.purge import find, purge
from models.calls import Call
from models.households import Person
from models.ivr import IvrSession
from models.night_log import NightLogEntry
from models.retention import PurgedRecording, PurgeRun
from models.session import make_engine
from models.supervision import AuditLog
from telephony.cli import stored_calls
from tests.support.maintenance_data import (PURGE_NOW, fill_for_purge, files_under,
                                            table_contents)

PERIOD = (dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc),
          dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc))


@pytest.fixture
def filled(db_url, tmp_path):
    return fill_for_purge(db_url, tmp_path / "monitor")


@pytest.fixture
def policy():
    return load_policy(DEFAULT_POLICY_FILE)


def _session(url):
    return sessionmaker(make_engine(url), expire_on_commit=False)()


def _statistics(url, settings) -> dict:
    with _session(url) as session:
        period = make_period(*PERIOD, "day", zone="Asia/Shanghai")
        return compute_stats(session, period, settings)


def _kinds(results) -> dict:
    return {result.kind: result.count for result in results}


def test_dry_run_changes_nothing_and_lists_what_would_go(db_url, filled, policy):
    before, files = table_contents(db_url), files_under(filled.recordings_dir)
    with _session(db_url) as session:
        results = find(session, policy, PURGE_NOW)
    assert table_contents(db_url) == before
    assert files_under(filled.recordings_dir) == files
    # Six March 2026 calls and an IVR session and a night-log entry of that month;
    # the tenant who moved out; the 2024 audit row.
    assert _kinds(results) == {"recordings": 2, "caller_numbers": 8, "identity_numbers": 1,
                               "audit_log": 1}
    recordings = results[0]
    assert recordings.oldest < recordings.newest < dt.datetime(2026, 3, 11, tzinfo=dt.timezone.utc)
    assert recordings.cutoff == PURGE_NOW - dt.timedelta(days=180)


def test_purge_keeps_statistics_and_queue_log_records(db_url, filled, policy, settings):
    stats_before = _statistics(db_url, settings)
    calls_before = stored_calls(make_engine(db_url), None, None)
    with _session(db_url) as session:
        run = purge(session, policy, filled.recordings_dir, PURGE_NOW, "tester")
    assert _statistics(db_url, settings) == stats_before
    calls_after = stored_calls(make_engine(db_url), None, None)
    personal = {"caller_number_raw", "caller_number", "caller_number_full", "caller_name",
                "recording_path"}
    assert calls_after.keys() == calls_before.keys()
    for callid, row in calls_before.items():
        assert {k: v for k, v in calls_after[callid].items() if k not in personal} == \
            {k: v for k, v in row.items() if k not in personal}
    assert {kind.kind: kind.count for kind in run.kinds} == {
        "recordings": 2, "caller_numbers": 8, "identity_numbers": 1, "audit_log": 1}


def test_purge_takes_exactly_what_is_past_its_period(db_url, filled, policy):
    with _session(db_url) as session:
        purge(session, policy, filled.recordings_dir, PURGE_NOW, "tester")
    with _session(db_url) as session:
        calls = {call.callid: call for call in session.scalars(select(Call))}
        purged = {row.callid: row for row in session.scalars(select(PurgedRecording))}
        people = {person.id: person for person in session.scalars(select(Person))}
        audit = session.scalars(select(AuditLog.target)).all()
        ivr = dict(session.execute(select(IvrSession.callid, IvrSession.caller_number)).all())
        night = session.scalars(select(NightLogEntry.caller_number)).all()
    assert set(purged) == filled.expired_recordings
    for callid in filled.expired_recordings:
        assert calls[callid].recording_path is None
        assert not (filled.recordings_dir / purged[callid].path).exists()
    for callid in filled.evidence_recordings | {filled.recent_callid}:
        assert (filled.recordings_dir / calls[callid].recording_path).is_file()
    assert calls["d1.1"].caller_number == "138********"
    assert calls["d1.1"].caller_number_raw == "138********"
    recent = calls[filled.recent_callid]
    assert (recent.caller_number, recent.caller_name) == ("13911112222", "张三")
    assert ivr == {"d1.3": "139********", "recent.1": "13911112222"}
    assert night == ["136********"]
    assert people[filled.moved_out_tenant_id].identity_number == "1101**********1234"
    assert people[filled.current_tenant_id].identity_number == "310101198805051111"
    assert people[filled.owner_id].identity_number == "320101197001012222"
    assert audit == ["recent.1"]


def test_a_second_purge_finds_nothing_and_both_runs_are_logged(db_url, filled, policy):
    with _session(db_url) as session:
        purge(session, policy, filled.recordings_dir, PURGE_NOW, "tester")
        again = purge(session, policy, filled.recordings_dir,
                      PURGE_NOW + dt.timedelta(minutes=1), "tester")
    assert set(_kinds(again.kinds).values()) == {0}
    with _session(db_url) as session:
        runs = session.scalars(select(PurgeRun).order_by(PurgeRun.id)).all()
        assert [run.run_by for run in runs] == ["tester", "tester"]
        assert runs[0].finished_at is not None
        assert runs[0].policy_file == str(DEFAULT_POLICY_FILE)
        recordings = [kind for kind in runs[0].kinds if kind.kind == "recordings"][0]
        assert recordings.retention_days == 180 and recordings.count == 2


def test_policy_file_errors_name_the_setting(tmp_path, policy):
    path = tmp_path / "retention.ini"
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    path.write_text(text.replace("caller_numbers_days = 365", "caller_numbers_days = a year"))
    with pytest.raises(RetentionPolicyError, match="caller_numbers_days = 'a year'"):
        load_policy(path)
    path.write_text(text.replace("referenced_recordings_days = 1095",
                                 "referenced_recordings_days = 30"))
    with pytest.raises(RetentionPolicyError, match="at least recordings_days"):
        load_policy(path)
    path.write_text(text + "\nrecording_days = 5\n")
    with pytest.raises(RetentionPolicyError, match="unknown setting recording_days"):
        load_policy(path)
    assert dataclasses.replace(policy, source="") == dataclasses.replace(
        load_policy(DEFAULT_POLICY_FILE), source="")
