"""`hotline verify-queue-log` and `hotline recordings prune` as commands (subprocess)."""
from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

from models.session import make_engine
from telephony.call_writer import write_records
from tests.support.transcripts import replay

HOTLINE = str(Path(sys.executable).with_name("hotline"))


def _run(args, **env):
    return subprocess.run([HOTLINE, *args], env={**os.environ, **env}, capture_output=True,
                          text=True, timeout=60)


def _store_replayed_calls(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        write_records(connection, engine, list(replay().values()))


def test_verify_passes_where_the_calls_agree(sqlite_url, shared_ami_dir):
    _store_replayed_calls(sqlite_url)
    result = _run(["verify-queue-log", str(shared_ami_dir / "queue_log.sample"),
                   "--since", "1795445475", "--until", "2026-11-23T14:51:16"],
                  HOTLINE_DATABASE_URL=sqlite_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("2 stored calls, 2 in queue_log, 0 mismatches")


def test_verify_prints_every_mismatch_and_exits_1(sqlite_url, shared_ami_dir):
    _store_replayed_calls(sqlite_url)
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE calls SET talk_s = 50 WHERE callid = '1795445475.1'")
    result = _run(["verify-queue-log", str(shared_ami_dir / "queue_log.sample")],
                  HOTLINE_DATABASE_URL=sqlite_url)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "1795445475.1: talk_s 50 != queue_log 5" in lines
    # Calls of queue_log.sample that no transcript recorded: missing on our side.
    for callid in ("1795445525.9", "1795445615.12", "1795445615.13", "1795445616.15"):
        assert any(line.startswith(f"{callid}: in queue_log") for line in lines)
    assert not any(line.startswith("1795445683.18") for line in lines)


def test_verify_rejects_a_bad_time(sqlite_url, shared_ami_dir):
    result = _run(["verify-queue-log", str(shared_ami_dir / "queue_log.sample"),
                   "--since", "yesterday"], HOTLINE_DATABASE_URL=sqlite_url)
    assert result.returncode == 2 and "yesterday" in result.stderr


def test_recordings_prune_command(sqlite_url, tmp_path):
    import dataclasses
    import time

    from hotline.settings import get_settings
    from telephony.recordings import recording_path

    monitor = tmp_path / "monitor"
    settings = dataclasses.replace(get_settings(), recordings_dir=monitor,
                                   stereo_recording=False)
    old = recording_path(settings, f"{int(time.time()) - 60 * 86400}.18")  # 60 days old
    old.parent.mkdir(parents=True)
    with wave.open(str(old), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(8000)
    env = {"HOTLINE_DATABASE_URL": sqlite_url, "HOTLINE_RECORDINGS_DIR": str(monitor)}
    dry = _run(["recordings", "prune", "--older-than", "30d", "--dry-run"], **env)
    assert dry.returncode == 0 and "would delete 1 recordings" in dry.stdout and old.exists()
    done = _run(["recordings", "prune", "--older-than", "30d"], **env)
    assert done.returncode == 0 and "deleted 1 recordings" in done.stdout
    assert not old.exists()
    bad = _run(["recordings", "prune", "--older-than", "soon"], **env)
    assert bad.returncode == 2 and "180d" in bad.stderr
