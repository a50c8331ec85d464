"""A SIP caller ID longer than any column does not stop the bridge storing calls.

Found on PostgreSQL (SQLite does not enforce lengths): a From user part of 75
digits made every commit fail with "value too long for type character
varying(64)" and no later call was stored. Now the number is stored cut to its
column (ending in '…', whole in caller_number_full), the next call is stored too,
and `hotline verify-queue-log` agrees with Asterisk's queue_log.
Run under the lab lock.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from models import migrate
from models.calls import Call
from models.session import make_engine
from telephony.call_writer import MARKER
from telephony.dead_letters import list_dead_letters
from tests import labtools
from tests.support.postgres import postgres_url
from tests.support.lab_calls import Members, control_connection, hang_up_calls_from
from tests.support.lab_bridge import start_bridge

pytestmark = pytest.mark.lab

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "hostile-caller-id"
HOSTILE = "1390015" + "7" * 68  # 75 digits; PJSIP takes up to 79
NORMAL = "13900150001"
PREFIX = "1390015"


@pytest.fixture
def postgres_engine():
    """The process's PostgreSQL test database, emptied and migrated to head."""
    url = postgres_url()
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    migrate.upgrade(url)
    yield engine
    engine.dispose()


@pytest.fixture
def quiet_queue(lab):
    """Nobody answers meanwhile: both callers give up in the queue (ABANDON)."""
    control = control_connection(lab)
    members = Members(control, lab.queue)
    members.pause_foreign()
    yield control
    hang_up_calls_from(control, PREFIX)
    members.restore()
    control.close()


def _verify(settings, since: int) -> subprocess.CompletedProcess:
    hotline = Path(sys.executable).with_name("hotline")
    env = {**os.environ, "HOTLINE_DATABASE_URL": settings.database_url}
    return subprocess.run(
        [str(hotline), "verify-queue-log", str(settings.queue_log_path), "--since", str(since)],
        env=env, capture_output=True, text=True, timeout=60)


def _mine(engine) -> dict[str, dict]:
    with engine.connect() as connection:
        rows = connection.execute(Call.__table__.select()).mappings().all()
    return {row["callid"]: dict(row) for row in rows
            if (row["caller_number_full"] or row["caller_number_raw"] or "").startswith(PREFIX)}


def test_a_75_digit_caller_id_is_stored_cut_and_the_next_call_too(
        lab, postgres_engine, quiet_queue, tmp_path):
    bridge, _watcher = start_bridge(lab, postgres_engine, tmp_path / "state")
    since = int(time.time())
    try:
        csv = tmp_path / "callers.csv"
        csv.write_text(f"SEQUENTIAL\n{HOSTILE};Hostile;\n{NORMAL};Normal;\n", encoding="utf-8")
        callers = labtools.Sipp("caller_abandon_uac.xml", [
            "127.0.0.1:5060", "-i", "127.0.0.1", "-p", "5095", "-s", lab.hotline_number,
            "-inf", str(csv), "-m", "2", "-l", "1", "-r", "1", "-mp", "17300"], ARTIFACTS)
        code = callers.wait(40)
        assert code == 0, callers.log_path.read_text(errors="replace")[-3000:]
        mine = labtools.wait_until(
            lambda: (lambda calls: calls if len(calls) == 2
                     and all(c["outcome"] for c in calls.values()) else None)(
                _mine(postgres_engine)), 30, "both calls stored and closed")
        assert bridge.writer.flush()
    finally:
        bridge.stop()

    by_number = {call["caller_number_full"] or call["caller_number_raw"]: call
                 for call in mine.values()}
    hostile, normal = by_number[HOSTILE], by_number[NORMAL]
    limit = Call.__table__.c.caller_number_raw.type.length
    assert hostile["caller_number_raw"] == HOSTILE[:limit - 1] + MARKER
    assert hostile["outcome"] == normal["outcome"] == "abandoned"
    assert normal["caller_number_raw"] == NORMAL and normal["caller_number_full"] is None
    # queue_log holds the caller's number whole; it is the one kept beside the row.
    enter = labtools.wait_queue_log(lab, hostile["callid"], "ENTERQUEUE")
    assert enter[6] == HOSTILE, enter
    assert list_dead_letters(postgres_engine) == []  # cut, not refused

    result = _verify(bridge.settings, since)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 mismatches" in result.stdout
