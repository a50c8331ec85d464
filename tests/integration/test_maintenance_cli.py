"""hotline backup, restore and purge as the real program an operator or a timer runs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.maintenance_data import fill, migrated_database

HOTLINE = Path(sys.executable).with_name("hotline")


def _run(tmp_path, url, *args):
    env = dict(os.environ, HOTLINE_DATABASE_URL=url, HOTLINE_STATE_DIR=str(tmp_path),
               HOTLINE_RECORDINGS_DIR=str(tmp_path / "monitor"),
               HOTLINE_OFFICE_TIMEZONE="Asia/Shanghai")
    return subprocess.run([str(HOTLINE), *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_backup_restore_and_a_refused_restore_from_the_command_line(tmp_path):
    source = migrated_database("sqlite", tmp_path, "source")
    fill(source, tmp_path / "monitor")
    backup = _run(tmp_path, source, "backup", "--out", str(tmp_path / "b"))
    assert backup.returncode == 0, backup.stderr
    assert "6 calls" in backup.stdout and "4 recordings (checksums only)" in backup.stdout
    refused = _run(tmp_path, source, "restore", str(tmp_path / "b"), "--database-url", source)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines()[-1].startswith(
        f"hotline: {source} is not empty (")
    assert "Traceback" not in refused.stderr
    target = f"sqlite:///{tmp_path / 'new' / 'hotline.sqlite3'}"
    restored = _run(tmp_path, source, "restore", str(tmp_path / "b"), "--database-url", target)
    assert restored.returncode == 0, restored.stderr
    assert "recordings: 4 verified, 0 put back, 0 missing" in restored.stdout


def test_purge_dry_run_from_the_command_line(tmp_path):
    source = migrated_database("sqlite", tmp_path, "source")
    fill(source, tmp_path / "monitor")
    dry = _run(tmp_path, source, "purge", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    # The call list's March 2026 recordings are past 180 days; two of the four are
    # evidence of an order or a score, kept three years.
    assert lines[0].startswith("would purge recordings: 2 older than 180 days")
    assert lines[1].startswith("would purge caller_numbers: ")
    assert lines[-1] == "dry run: nothing was changed"
    bad = tmp_path / "bad.ini"
    bad.write_text("[retention]\nrecordings_days = soon\n")
    refused = _run(tmp_path, source, "purge", "--policy", str(bad))
    assert refused.returncode == 2 and "recordings_days = 'soon'" in refused.stderr
