"""`hotline restore`: a backup into an EMPTY database, checked against its manifest.

Never into a database with tables: a restore over live data would mix two
histories, so the operator makes a new database and points the hotline at it.
"""
from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url

from maintenance.backup import RECORDINGS_FOLDER
from maintenance.databases import SQLITE, Target, run_tool, server_tool, table_names, target_of
from maintenance.errors import RestoreError
from maintenance.files import copy_private, create_private, private_parents, sha256_of
from maintenance.manifest import Manifest, RecordingEntry, read_manifest
from maintenance.recording_files import expected_place
from models.migrate import alembic_config
from models.session import make_engine

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class RestoreResult:
    manifest: Manifest
    head_revision: str
    recordings_ok: int
    recordings_copied: int
    missing: tuple[RecordingEntry, ...]      # not on disk (and not in the backup)
    damaged: tuple[RecordingEntry, ...]      # on disk with another checksum
    seconds: float

    @property
    def needs_upgrade(self) -> bool:
        return self.manifest.schema_revision != self.head_revision


def restore_backup(folder: Path, database_url: str, recordings_dir: Path) -> RestoreResult:
    started = time.monotonic()
    manifest = read_manifest(folder)
    target = target_of(database_url)
    head = _check_revision(manifest, database_url)
    if manifest.database_kind != target.kind:
        raise RestoreError(f"the backup is of a {manifest.database_kind} database; "
                           f"{target.shown} is {target.kind}")
    _refuse_non_empty(target)
    database_file = folder / manifest.database_file
    if not database_file.is_file() or sha256_of(database_file) != manifest.database_sha256:
        raise RestoreError(f"{database_file} is missing or does not match its checksum "
                           "in the manifest: the backup is damaged")
    if target.kind == SQLITE:
        _sqlite_restore(database_file, target)
    else:
        run_tool([server_tool(target.url, "pg_restore"), "--exit-on-error",
                  "--single-transaction", "--no-owner", "--no-privileges",
                  f"--dbname={_dbname(target)}", str(database_file)], target.url)
    _check_counts(manifest, database_url)
    copied, ok, missing, damaged = _recordings(manifest, folder / RECORDINGS_FOLDER,
                                               Path(recordings_dir))
    log.info("restored %s into %s", folder, target.shown)
    return RestoreResult(manifest, head, ok, copied, missing, damaged,
                         time.monotonic() - started)


def _dbname(target: Target) -> str:
    return make_url(target.url).database


def _check_revision(manifest: Manifest, database_url: str) -> str:
    scripts = ScriptDirectory.from_config(alembic_config(database_url))
    if manifest.schema_revision not in {script.revision for script in scripts.walk_revisions()}:
        raise RestoreError(f"the backup's schema revision {manifest.schema_revision} is not "
                           "one this hotline knows: restore it with the hotline that took it")
    return scripts.get_current_head()


def _refuse_non_empty(target: Target) -> None:
    tables = table_names(target.url)
    if tables:
        raise RestoreError(f"{target.shown} is not empty ({len(tables)} tables, e.g. "
                           f"{tables[0]}): restore only into a new, empty database")


def _sqlite_restore(database_file: Path, target: Target) -> None:
    path = target.sqlite_path
    private_parents(path)
    if not path.exists():
        create_private(path).close()
    source = sqlite3.connect(f"file:{database_file}?mode=ro", uri=True)
    into = sqlite3.connect(path)
    try:
        source.backup(into)
    except sqlite3.Error as error:
        raise RestoreError(f"SQLite restore into {path} failed: {error}") from None
    finally:
        into.close()
        source.close()


def _check_counts(manifest: Manifest, database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            found = {name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one()
                     for name in manifest.row_counts}
    finally:
        engine.dispose()
    wrong = [f"{name} {found[name]} (backup {count})"
             for name, count in manifest.row_counts.items() if found[name] != count]
    if wrong:
        raise RestoreError("the restored rows differ from the backup's: " + ", ".join(wrong))


def _recordings(manifest: Manifest, copies: Path, recordings_dir: Path):
    """Put back what the backup carries and is not in place; check every checksum."""
    copied = ok = 0
    missing, damaged = [], []
    root = recordings_dir.resolve()
    for entry in manifest.recordings:
        place = expected_place(entry.path, root)
        copy = copies / place.relative_to(root)
        if entry.sha256 is None:
            missing.append(entry)
            continue
        if not place.is_file() and manifest.recordings_copied and copy.is_file():
            copy_private(copy, place)
            copied += 1
        if not place.is_file():
            missing.append(entry)
        elif sha256_of(place) != entry.sha256:
            damaged.append(entry)
        else:
            ok += 1
    return copied, ok, tuple(missing), tuple(damaged)
