"""hotline backup / restore on SQLite and PostgreSQL (Debian's pg_dump and pg_restore):
a filled hotline backed up while calls keep arriving, restored into an empty database,
every call, order, follow-up and recording found again."""
from __future__ import annotations

import json
import stat

import pytest

from maintenance.backup import take_backup
from maintenance.errors import BackupError, RestoreError
from maintenance.restore import restore_backup
from tests.support.maintenance_data import (CallWriter, empty_database, fill, find_all,
                                            migrated_database)


@pytest.fixture(params=["sqlite", "postgresql"])
def kind(request) -> str:
    return request.param


@pytest.fixture
def source(kind, tmp_path) -> str:
    return migrated_database(kind, tmp_path, "source")


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_while_writing_restores_every_record(kind, source, tmp_path):
    recordings = tmp_path / "monitor"
    filled = fill(source, recordings)
    with CallWriter(source) as writer:
        result = take_backup(source, recordings, tmp_path / "backup")
        during = len(writer.written)
    assert during > 5  # the writer went on while the backup ran
    folder = result.folder
    assert _mode(folder) == 0o700
    assert {path.name for path in folder.iterdir()} == {result.manifest.database_file,
                                                        "manifest.json"}
    assert all(_mode(path) == 0o600 for path in folder.iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["schema_revision"] and manifest["database_kind"] == kind
    assert {entry["callid"]: entry["sha256"] for entry in manifest["recordings"]} == \
        filled.recordings

    with empty_database(kind, tmp_path, "restored") as target:
        restored = restore_backup(folder, target, recordings)
        found = find_all(target)
    assert filled.callids <= found.callids  # every call before the backup
    assert len(found.callids) == result.manifest.row_counts["calls"]
    assert found.callids <= find_all(source).callids  # and none made up
    assert found.order_ids == filled.order_ids and found.follow_up_ids == filled.follow_up_ids
    assert set(found.recording_paths) == set(filled.recordings)
    assert restored.recordings_ok == len(filled.recordings)
    assert restored.missing == () and restored.damaged == () and not restored.needs_upgrade


def test_recordings_copied_are_put_back_and_a_lost_one_reported(kind, source, tmp_path):
    recordings = tmp_path / "monitor"
    filled = fill(source, recordings)
    result = take_backup(source, recordings, tmp_path / "backup", with_recordings=True)
    copies = result.folder / "recordings"
    assert _mode(copies) == 0o700 and _mode(copies / "2026" / "03" / "10") == 0o700
    assert all(_mode(path) == 0o600 for path in copies.rglob("*.wav"))
    lost = "d1.2"
    (copies / "2026" / "03" / "10" / f"{lost}.wav").unlink()  # gone from the backup too
    new_home = tmp_path / "new-monitor"
    with empty_database(kind, tmp_path, "copied") as target:
        restored = restore_backup(result.folder, target, new_home)
    assert restored.recordings_copied == len(filled.recordings) - 1
    assert [entry.callid for entry in restored.missing] == [lost]
    assert (new_home / "2026/03/10/d1.1.wav").read_bytes() == \
        (recordings / "2026/03/10/d1.1.wav").read_bytes()


def test_a_changed_recording_is_reported_by_its_checksum(kind, source, tmp_path):
    recordings = tmp_path / "monitor"
    fill(source, recordings)
    result = take_backup(source, recordings, tmp_path / "backup")
    (recordings / "2026/03/10/d1.4.wav").write_bytes(b"RIFF not the same")
    with empty_database(kind, tmp_path, "changed") as target:
        restored = restore_backup(result.folder, target, recordings)
    assert [entry.callid for entry in restored.damaged] == ["d1.4"]


def test_restore_refuses_a_database_that_is_not_empty(kind, source, tmp_path):
    recordings = tmp_path / "monitor"
    fill(source, recordings)
    result = take_backup(source, recordings, tmp_path / "backup")
    before = find_all(source)
    with pytest.raises(RestoreError, match=r"is not empty \(\d+ tables, e\.g\. \w+\): "
                                           r"restore only into a new, empty database"):
        restore_backup(result.folder, source, recordings)
    assert find_all(source) == before


def test_restore_refuses_an_unknown_revision_and_a_damaged_dump(kind, source, tmp_path):
    recordings = tmp_path / "monitor"
    result = take_backup(source, recordings, tmp_path / "backup")
    manifest_path = result.folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    with empty_database(kind, tmp_path, "refused") as target:
        manifest_path.write_text(json.dumps({**manifest, "schema_revision": "9999_future"}))
        with pytest.raises(RestoreError, match="9999_future is not one this hotline knows"):
            restore_backup(result.folder, target, recordings)
        manifest_path.write_text(json.dumps(manifest))
        with (result.folder / result.manifest.database_file).open("ab") as dump:
            dump.write(b"x")
        with pytest.raises(RestoreError, match="does not match its checksum"):
            restore_backup(result.folder, target, recordings)


def test_backup_never_writes_into_a_used_folder(source, tmp_path):
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    with pytest.raises(BackupError, match="not an empty folder"):
        take_backup(source, tmp_path / "monitor", used)
    assert [path.name for path in used.iterdir()] == ["keep.txt"]
