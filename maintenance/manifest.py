"""manifest.json of a backup: what was taken, when, at which schema revision, and the
recordings the database refers to (path, size, sha256)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from maintenance.errors import RestoreError
from maintenance.files import create_private

MANIFEST_NAME = "manifest.json"
FORMAT = "hotline-backup/1"
# Counted inside the backup's own snapshot, so a restore can be checked row for row.
COUNTED_TABLES = ("calls", "call_ring_attempts", "work_orders", "work_order_events",
                  "follow_ups", "households", "people", "payments", "charges", "audit_log")


@dataclasses.dataclass(frozen=True)
class RecordingEntry:
    callid: str
    path: str          # relative to the recordings folder, as calls.recording_path
    size: int | None   # None: missing on disk when the backup was taken
    sha256: str | None


@dataclasses.dataclass(frozen=True)
class Manifest:
    format: str
    taken_at: dt.datetime
    database_kind: str
    database_file: str
    database_sha256: str
    schema_revision: str
    row_counts: dict[str, int]
    recordings: tuple[RecordingEntry, ...]
    recordings_copied: bool

    @property
    def missing_recordings(self) -> tuple[RecordingEntry, ...]:
        return tuple(entry for entry in self.recordings if entry.sha256 is None)


def write_manifest(folder: Path, manifest: Manifest) -> Path:
    data = dataclasses.asdict(manifest)
    data["taken_at"] = manifest.taken_at.isoformat()
    path = folder / MANIFEST_NAME
    with create_private(path) as file:
        file.write(json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    return path


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RestoreError(f"{folder}: no {MANIFEST_NAME}, not a hotline backup") from None
    except (OSError, ValueError) as error:
        raise RestoreError(f"{path}: unreadable ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RestoreError(f"{path}: not a {FORMAT} manifest")
    try:
        return Manifest(
            format=data["format"], taken_at=dt.datetime.fromisoformat(data["taken_at"]),
            database_kind=data["database_kind"], database_file=data["database_file"],
            database_sha256=data["database_sha256"], schema_revision=data["schema_revision"],
            row_counts={str(k): int(v) for k, v in data["row_counts"].items()},
            recordings=tuple(RecordingEntry(**entry) for entry in data["recordings"]),
            recordings_copied=bool(data["recordings_copied"]))
    except (KeyError, TypeError, ValueError) as error:
        raise RestoreError(f"{path}: damaged manifest ({error})") from None
