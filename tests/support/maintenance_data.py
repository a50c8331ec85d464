"""A filled hotline for the backup, restore and purge tests: the call list's calls and
the report month's orders and follow-ups (tests.support builders), a recording on disk
for some calls, and a writer that keeps adding calls while a backup runs."""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import itertools
import os
import threading
import wave
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from models import migrate
from models.calls import Call
from models.console import FollowUp, WorkOrder
from models.session import create_postgres_database, drop_postgres_database, engine_for
from models.session import make_engine
from tests.support.call_list_data import seed_call_list
from tests.support.postgres import postgres_url
from tests.support.report_data import seed_november

RECORDED_CALLS = ("d0.1", "d1.1", "d1.2", "d1.4")


@dataclasses.dataclass(frozen=True)
class Filled:
    callids: frozenset[str]
    order_ids: frozenset[int]
    follow_up_ids: frozenset[int]
    recordings: dict[str, str]  # callid -> sha256 of its file


@dataclasses.dataclass(frozen=True)
class Found:
    callids: frozenset[str]
    order_ids: frozenset[int]
    follow_up_ids: frozenset[int]
    recording_paths: dict[str, str]  # callid -> recording_path


def write_wav(path: Path, seconds: float) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(8000)
        file.writeframes(os.urandom(int(seconds * 8000) * 2))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def migrated_database(kind: str, folder: Path, name: str) -> str:
    """A database at the head revision: a SQLite file in `folder`, or this process's
    PostgreSQL test database (emptied first)."""
    url = f"sqlite:///{folder / (name + '.sqlite3')}" if kind == "sqlite" else postgres_url()
    if kind == "postgresql":
        _empty_postgres(url)
    migrate.upgrade(url)
    return url


def _empty_postgres(url: str) -> None:
    from sqlalchemy import text

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@contextlib.contextmanager
def empty_database(kind: str, folder: Path, name: str):
    """A database with no tables to restore into (a second PostgreSQL database)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / name / 'restored.sqlite3'}"
        return
    server = os.environ["HOTLINE_TEST_POSTGRES_URL"]
    database = f"hotline_{name}_{os.getpid()}"
    url = create_postgres_database(server, database)
    try:
        yield url
    finally:
        engine_for.cache_clear()
        drop_postgres_database(server, database)


def fill(url: str, recordings_dir: Path) -> Filled:
    with sessionmaker(engine_for(url), expire_on_commit=False)() as session:
        seed_call_list(session)
        seed_november(session)
        recordings = {}
        for callid in RECORDED_CALLS:
            relative = f"2026/03/10/{callid}.wav"
            recordings[callid] = write_wav(recordings_dir / relative, 0.5)
            call = session.scalars(select(Call).where(Call.callid == callid)).one()
            call.recording_path = relative
        session.commit()
        found = find_all(url)
    return Filled(found.callids, found.order_ids, found.follow_up_ids, recordings)


def find_all(url: str) -> Found:
    engine = make_engine(url)
    try:
        with sessionmaker(engine)() as session:
            return Found(
                frozenset(session.scalars(select(Call.callid))),
                frozenset(session.scalars(select(WorkOrder.id))),
                frozenset(session.scalars(select(FollowUp.id))),
                dict(session.execute(select(Call.callid, Call.recording_path)
                                     .where(Call.recording_path.is_not(None))).all()))
    finally:
        engine.dispose()


class CallWriter:
    """Adds a call every few milliseconds from its own engine, as the bridge would."""

    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.stop = threading.Event()
        self.written: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "CallWriter":
        self.thread.start()
        while len(self.written) < 5:  # the writes are under way before the backup starts
            self.stop.wait(0.01)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(10)
        self.engine.dispose()

    def _run(self) -> None:
        factory = sessionmaker(self.engine)
        start = dt.datetime(2026, 3, 11, 8, tzinfo=dt.timezone.utc)
        for number in itertools.count():
            if self.stop.is_set():
                return
            callid = f"live.{number}"
            with factory() as session:
                session.add(Call(callid=callid, caller_number="13700000000", queue="hotline",
                                 entered_queue_at=start + dt.timedelta(seconds=number),
                                 outcome="answered", wait_s=3, talk_s=40))
                session.commit()
            self.written.append(callid)
            self.stop.wait(0.002)


# ---- the retention purge: the call list's March 2026 calls seen from June 2027
PURGE_NOW = dt.datetime(2027, 6, 1, 2, tzinfo=dt.timezone.utc)
RECENT = PURGE_NOW - dt.timedelta(days=10)


@dataclasses.dataclass(frozen=True)
class PurgeData:
    recordings_dir: Path
    expired_recordings: frozenset[str]   # past 180 days, no order or score
    evidence_recordings: frozenset[str]  # a work order's or a QA score's: kept
    recent_callid: str
    moved_out_tenant_id: int
    current_tenant_id: int
    owner_id: int


def fill_for_purge(url: str, recordings_dir: Path) -> PurgeData:
    from models.households import Household, Occupancy, Person, PersonRole
    from models.ivr import IvrSession
    from models.night_log import NightLogEntry
    from models.supervision import AuditLog

    filled = fill(url, recordings_dir)
    with sessionmaker(engine_for(url), expire_on_commit=False)() as session:
        session.add(Call(callid="recent.1", caller_number_raw="13911112222",
                         caller_number="13911112222", caller_name="张三", queue="hotline",
                         entered_queue_at=RECENT, outcome="answered", wait_s=5, talk_s=50,
                         recording_path="2027/05/22/recent.1.wav"))
        write_wav(recordings_dir / "2027/05/22/recent.1.wav", 0.2)
        households = session.scalars(select(Household).order_by(Household.id)).all()
        moved_out, still_rented = households[0], households[1]
        still_rented.occupancy = Occupancy.RENTED
        people = [Person(household_id=moved_out.id, role=PersonRole.TENANT, name="前租户",
                         identity_number="110101199003071234"),
                  Person(household_id=still_rented.id, role=PersonRole.TENANT, name="租户",
                         identity_number="310101198805051111"),
                  Person(household_id=still_rented.id, role=PersonRole.OWNER, name="房东",
                         identity_number="320101197001012222")]
        session.add_all(people)
        session.add_all([
            IvrSession(callid="d1.3", caller_number="13900000000",
                       started_at=dt.datetime(2026, 3, 10, 2, tzinfo=dt.timezone.utc)),
            IvrSession(callid="recent.1", caller_number="13911112222", started_at=RECENT),
            NightLogEntry(caller_number="13655556666", summary="漏水",
                          logged_at=dt.datetime(2026, 3, 10, 15, tzinfo=dt.timezone.utc)),
            AuditLog(at=dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc), username="qa",
                     action="play_recording", target="d0.1"),
            AuditLog(at=RECENT, username="qa", action="play_recording", target="recent.1"),
        ])
        session.commit()
        # The households' last change: a year and a half before the purge.
        session.execute(Household.__table__.update().values(
            updated_at=PURGE_NOW - dt.timedelta(days=540)))
        session.commit()
        evidence = frozenset({"d1.2", "d1.4"})  # QA score, work order (call list data)
        return PurgeData(recordings_dir, frozenset(filled.recordings) - evidence, evidence,
                         "recent.1", people[0].id, people[1].id, people[2].id)


def table_contents(url: str) -> dict[str, list]:
    """Every row of every table, for "the dry run changed nothing"."""
    import models

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return {table.name: sorted(map(repr, connection.execute(table.select()).all()))
                    for table in models.Base.metadata.sorted_tables}
    finally:
        engine.dispose()


def files_under(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}
