"""`hotline backup`: the database at one moment, and the recordings it refers to.

SQLite goes through the online backup API (sqlite3.Connection.backup): one
consistent copy while the bridge keeps writing (WAL: the copy reads, writers go
on). PostgreSQL goes through the server's own pg_dump in custom format, inside a
snapshot this module exports, so the manifest's row counts and recording list are
those of the dump itself and not of a moment later.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import sqlite3
import time
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from maintenance.databases import POSTGRESQL, SQLITE, Target, run_tool, server_tool, target_of
from maintenance.errors import BackupError
from maintenance.files import copy_private, create_private, private_dir, sha256_of
from maintenance.manifest import (COUNTED_TABLES, FORMAT, Manifest, RecordingEntry,
                                  write_manifest)
from maintenance.recording_files import on_disk
from models.session import make_engine

log = logging.getLogger(__name__)

SQLITE_FILE, PG_DUMP_FILE = "database.sqlite3", "database.pgdump"
RECORDINGS_FOLDER = "recordings"


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """What the backed-up database itself says, read in the backup's snapshot."""
    schema_revision: str
    row_counts: dict[str, int]
    recordings: tuple[tuple[str, str], ...]  # (callid, recording_path)


@dataclasses.dataclass(frozen=True)
class BackupResult:
    folder: Path
    manifest: Manifest
    seconds: float


def take_backup(database_url: str, recordings_dir: Path, out_dir: Path,
                with_recordings: bool = False) -> BackupResult:
    started = time.monotonic()
    target = target_of(database_url)
    folder = _empty_folder(out_dir)
    taken_at = dt.datetime.now(dt.timezone.utc)
    if target.kind == SQLITE:
        database_file = folder / SQLITE_FILE
        _sqlite_backup(target, database_file)
        snapshot = _read_snapshot(database_file)
    else:
        database_file = folder / PG_DUMP_FILE
        snapshot = _pg_dump(target, database_file)
    recordings = _recordings(snapshot.recordings, Path(recordings_dir),
                             folder / RECORDINGS_FOLDER if with_recordings else None)
    manifest = Manifest(FORMAT, taken_at, target.kind, database_file.name,
                        sha256_of(database_file), snapshot.schema_revision,
                        snapshot.row_counts, recordings, with_recordings)
    write_manifest(folder, manifest)
    log.info("backup of %s in %s: %d calls, %d recordings", target.shown, folder,
             snapshot.row_counts.get("calls", 0), len(recordings))
    return BackupResult(folder, manifest, time.monotonic() - started)


def _empty_folder(out_dir: Path) -> Path:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise BackupError(f"{out_dir} is not an empty folder: a backup never overwrites another")
    return private_dir(out_dir)


def _sqlite_backup(target: Target, database_file: Path) -> None:
    if not target.sqlite_path.is_file():
        raise BackupError(f"{target.sqlite_path}: no such SQLite database")
    create_private(database_file).close()  # 0600 before sqlite writes a page into it
    source = sqlite3.connect(f"file:{target.sqlite_path}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(database_file)
    try:
        # All pages in one step: a step-wise copy restarts whenever the bridge writes.
        source.backup(copy)
        # The copy is one file at rest: no -wal or -shm beside it in the backup folder.
        copy.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise BackupError(f"SQLite backup of {target.sqlite_path} failed: {error}") from None
    finally:
        copy.close()
        source.close()


def _pg_dump(target: Target, dump_file: Path) -> Snapshot:
    pg_dump = server_tool(target.url, "pg_dump")
    engine = make_engine(target.url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            snapshot = _snapshot_of(connection)
            with create_private(dump_file) as file:
                # The exporting transaction stays open until pg_dump has its snapshot.
                # Level 1: a ninth of the default's time (1.6 s against 13.9 s for a
                # year of agent spans) for a file a quarter bigger (bench/backup.py).
                run_tool([pg_dump, "--format=custom", "--compress=1", f"--snapshot={snapshot_id}",
                          "--no-owner", "--no-privileges"], target.url, stdout=file)
            connection.rollback()
    finally:
        engine.dispose()
    return snapshot


def _read_snapshot(database_file: Path) -> Snapshot:
    # A plain engine: models.session's would switch the copy back to WAL.
    engine = create_engine(f"sqlite:///{database_file}")
    try:
        with engine.connect() as connection:
            return _snapshot_of(connection)
    finally:
        engine.dispose()


def _snapshot_of(connection) -> Snapshot:
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" not in tables:
        raise BackupError("the database has no alembic_version: not a hotline schema "
                          "(run `hotline db upgrade`)")
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    counts = {name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
              for name in COUNTED_TABLES if name in tables}
    rows = connection.execute(text(
        "SELECT callid, recording_path FROM calls WHERE recording_path IS NOT NULL "
        "ORDER BY callid")).all() if "calls" in tables else []
    return Snapshot(revision, counts, tuple((row[0], row[1]) for row in rows))


def _recordings(rows, recordings_dir: Path, copy_to: Path | None) -> tuple[RecordingEntry, ...]:
    entries = []
    if copy_to is not None:
        private_dir(copy_to)
    for callid, stored in rows:
        path = on_disk(stored, recordings_dir)
        if path is None:
            log.warning("recording of %s missing on disk: %s", callid, stored)
            entries.append(RecordingEntry(callid, stored, None, None))
            continue
        size = path.stat().st_size
        digest = (copy_private(path, copy_to / path.relative_to(recordings_dir.resolve()))
                  if copy_to is not None else sha256_of(path))
        entries.append(RecordingEntry(callid, stored, size, digest))
    return tuple(entries)
