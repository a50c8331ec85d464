"""Backup, restore and purge timings on a sizeable hotline (issue 19.5).

For SQLite and PostgreSQL in turn: N calls (default 10,000) with work orders,
follow-ups, agent spans, QA scores and IVR sessions (bench/stats_data), R of the
calls with a recording on disk (8 kHz 16-bit WAV of S seconds); then, timed:
`hotline backup` (checksums only, and with the recordings copied) while a writer
keeps adding calls, `hotline restore` into an empty database with every recording
verified, and the retention purge (dry run, then the purge) a year and a half on.

    .venv/bin/python -m bench.backup [--calls 10000] [--orders 2000] [--recordings 500]
        [--seconds 10] [--postgres-url URL]   (default: $HOTLINE_TEST_POSTGRES_URL)
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import tempfile
import threading
import time
import wave
from pathlib import Path

from alembic import command
from sqlalchemy import text

from bench import stats_data
from maintenance.backup import take_backup
from maintenance.policy import load_policy
from maintenance.purge import find, purge
from maintenance.restore import restore_backup
from models.migrate import alembic_config
from models.session import (create_postgres_database, drop_postgres_database, engine_for,
                            make_engine, session_factory)


def _recordings(url: str, folder: Path, count: int, seconds: float) -> int:
    """Give the first `count` answered calls a recording; returns the bytes written."""
    engine = make_engine(url)
    with engine.begin() as connection:
        callids = connection.execute(text(
            "SELECT callid FROM calls WHERE answered_at IS NOT NULL ORDER BY id LIMIT :n"),
            {"n": count}).scalars().all()
        frames = os.urandom(int(seconds * 8000) * 2)
        total = 0
        for callid in callids:
            relative = f"2025/01/01/{callid}.wav"
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with wave.open(str(path), "wb") as file:
                file.setnchannels(1)
                file.setsampwidth(2)
                file.setframerate(8000)
                file.writeframes(frames)
            total += path.stat().st_size
            connection.execute(text("UPDATE calls SET recording_path = :p WHERE callid = :c"),
                               {"p": relative, "c": callid})
    engine.dispose()
    return total


class _Writer:
    """A call a millisecond or so from its own connection, as the bridge would write."""

    def __init__(self, url: str):
        self.engine, self.stop, self.count = make_engine(url), threading.Event(), 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        while not self.stop.is_set():
            with self.engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO calls (callid, queue, entered_queue_at, outcome, wait_s, "
                    "updated_at) VALUES (:c, 'hotline', :t, 'abandoned', 5, :t)"),
                    {"c": f"w{self.count}", "t": now})
            self.count += 1
            self.stop.wait(0.001)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.engine.dispose()


def _one(kind: str, source: str, target_url, args, folder: Path) -> None:
    began = time.perf_counter()
    stats_data.load(source, args.calls, args.orders, 12)
    command.stamp(alembic_config(source), "head")
    size = _recordings(source, folder / "monitor", args.recordings, args.seconds)
    print(f"{kind}: loaded {args.calls:,} calls, {args.orders:,} orders, "
          f"{args.recordings} recordings ({size / 1e6:.1f} MB) in "
          f"{time.perf_counter() - began:.1f} s")
    with _Writer(source) as writer:
        plain = take_backup(source, folder / "monitor", folder / "backup")
        copied = take_backup(source, folder / "monitor", folder / "backup-copy",
                             with_recordings=True)
    database_mb = (folder / "backup" / plain.manifest.database_file).stat().st_size / 1e6
    print(f"{kind}: backup {plain.seconds:.2f} s (database file {database_mb:.1f} MB, "
          f"{plain.manifest.row_counts['calls']:,} calls); with the recordings copied "
          f"{copied.seconds:.2f} s; {writer.count} calls written meanwhile")
    for name, backup in (("backup", plain), ("backup-copy", copied)):
        with target_url(name) as target:
            home = folder / "monitor" if name == "backup" else folder / f"monitor-{name}"
            restored = restore_backup(folder / name, target, home)
            print(f"{kind}: restore of {name} {restored.seconds:.2f} s, "
                  f"{restored.recordings_ok} recordings verified, "
                  f"{restored.recordings_copied} put back, {len(restored.missing)} missing")
    policy = load_policy()
    later = dt.datetime(2026, 7, 1, tzinfo=dt.timezone.utc)
    with session_factory(source)() as session:
        started = time.perf_counter()
        found = find(session, policy, later)
        dry = time.perf_counter() - started
        started = time.perf_counter()
        purge(session, policy, folder / "monitor", later, "bench")
        took = time.perf_counter() - started
    counts = ", ".join(f"{result.count:,} {result.kind}" for result in found)
    print(f"{kind}: purge dry run {dry:.2f} s, purge {took:.2f} s ({counts})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=2_000)
    parser.add_argument("--recordings", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--postgres-url", default=os.environ.get("HOTLINE_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hotline-bench-backup-") as name:
        folder = Path(name)
        os.chmod(folder, 0o700)

        class _SqliteTarget:
            def __init__(self, label):
                self.url = f"sqlite:///{folder / label / 'restored.sqlite3'}"

            def __enter__(self):
                return self.url

            def __exit__(self, *exc):
                return None
        _one("sqlite", f"sqlite:///{folder / 'source.sqlite3'}", _SqliteTarget, args,
             folder / "sqlite")
        if not args.postgres_url:
            print("postgresql: skipped (no --postgres-url, no HOTLINE_TEST_POSTGRES_URL)")
            return
        server = args.postgres_url
        pid = os.getpid()

        class _PgTarget:
            def __init__(self, label):
                self.name = f"hotline_bench_{label.replace('-', '_')}_{pid}"

            def __enter__(self):
                return create_postgres_database(server, self.name)

            def __exit__(self, *exc):
                engine_for.cache_clear()
                drop_postgres_database(server, self.name)
        source_name = f"hotline_bench_source_{pid}"
        source = create_postgres_database(server, source_name)
        try:
            _one("postgresql", source, _PgTarget, args, folder / "postgresql")
        finally:
            engine_for.cache_clear()
            drop_postgres_database(server, source_name)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
