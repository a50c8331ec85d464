"""The IVR's database backend on SQLite and PostgreSQL, with the demo community."""
from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import select

from households.demo import make_demo_data
from households.fees import balance_summary
from households.history import ivr_session_for_call
from households.matching import match_caller
from models.households import Person, PersonRole, Phone, Room
from models.ivr import IvrCallbackRequest, IvrSession
from telephony.ivr import FeeBalanceScript
from telephony.ivr_data import (
    DatabaseIvrBackend, IvrDataError, RoomEntry, SessionRecord, containment_rate, money_to_fen,
)
from tests.unit.ivr_fakes import FakeAgi


@pytest.fixture
def demo(session_factory):
    with session_factory() as session:
        make_demo_data(session, households=60, seed=4)
        session.commit()
    return session_factory


@pytest.fixture
def backend(demo):
    backend = DatabaseIvrBackend(demo, timeout_s=10)
    yield backend
    backend.shutdown()


def owed_household(session) -> tuple[int, RoomEntry, str]:
    """The household owing most, its room as keyed, and its owner's phone."""
    rooms = session.execute(select(Room.household_id, Room.code)
                            .where(Room.household_id.is_not(None))).all()
    household_id, code = max(rooms, key=lambda r: balance_summary(session, r[0]).total_due)
    phone = session.scalars(select(Phone.normalized).join(Person, Person.id == Phone.person_id)
                            .where(Phone.household_id == household_id,
                                   Person.role == PersonRole.OWNER)).first()
    return household_id, RoomEntry(*code.split("-")), phone


def test_room_lookup_gives_household_and_owner_phone_suffixes(demo, backend):
    with demo() as session:
        household_id, entry, owner_phone = owed_household(session)
    found = backend.household_for_room(entry)
    assert found.household_id == household_id
    assert owner_phone[-4:] in found.owner_phone_suffixes
    assert backend.household_for_room(RoomEntry("999", "9", "9999")) is None


def test_caller_lookup_only_for_exactly_one_household(demo, backend):
    with demo() as session:
        numbers = session.execute(select(Phone.raw, Phone.household_id)).all()
        matches = {raw: match_caller(session, raw).household_id for raw, _ in numbers}
    unique = next(raw for raw, household in matches.items() if household is not None)
    assert backend.household_for_caller(unique) == matches[unique]
    shared = [raw for raw, household in matches.items() if household is None]
    for raw in shared[:3]:
        assert backend.household_for_caller(raw) is None
    assert backend.household_for_caller("") is None


def test_balance_is_the_fee_rules_balance_in_fen(demo, backend):
    with demo() as session:
        household_id, _, _ = owed_household(session)
        summary = balance_summary(session, household_id)
    balance = backend.balance(household_id)
    assert balance.total_due_fen == money_to_fen(summary.total_due) > 0
    assert balance.late_fee_fen == money_to_fen(summary.late_fee)
    assert balance.months_in_arrears == summary.months_in_arrears


def test_keypad_call_is_stored_and_shown_to_the_screen_pop(demo, backend):
    with demo() as session:
        household_id, entry, owner_phone = owed_household(session)
    keyed = f"{entry.building}*{entry.unit}*{entry.room}"
    agi = FakeAgi(inputs=[keyed, owner_phone[-4:], "2"], caller="", uniqueid="1700000001.5")
    record = FeeBalanceScript(backend, 1000)(agi)
    assert record.outcome == "callback" and record.household_id == household_id
    with demo() as session:
        row = session.scalars(select(IvrSession).where(IvrSession.callid == "1700000001.5")).one()
        callback = session.scalars(select(IvrCallbackRequest)).one()
        pop = ivr_session_for_call(session, "1700000001.5")
        expected_fen = money_to_fen(balance_summary(session, household_id).total_due)
    assert (row.outcome, row.household_id, row.identified_by) == ("callback", household_id,
                                                                  "keypad")
    assert row.spoken_total_due_fen == expected_fen and row.ended_at is not None
    assert [s["digits"] for s in row.steps if s["kind"] == "input"][0] == keyed
    assert (callback.ivr_session_id, callback.household_id, callback.status) == \
        (row.id, household_id, "open")
    assert callback.total_due_fen == expected_fen
    assert pop["household_id"] == household_id and pop["outcome"] == "callback"


def test_containment_rate_counts_finished_sessions(demo, backend):
    for outcome in ("self_served", "self_served", "to_agent", "hung_up", "in_progress"):
        record = SessionRecord(callid=f"c-{outcome}")
        session_id = backend.open_session(record)
        record.outcome = outcome
        backend.close_session(session_id, record)
    with demo() as session:
        assert containment_rate(session) == pytest.approx(2 / 4)


def test_a_slow_database_is_an_error_within_the_time_limit(demo):
    release = threading.Event()

    @contextlib.contextmanager
    def stuck_session():
        release.wait(10)
        yield None
    backend = DatabaseIvrBackend(stuck_session, timeout_s=0.2)
    try:
        with pytest.raises(IvrDataError, match="did not answer within 0.2"):
            backend.open_session(SessionRecord(callid="slow"))
    finally:
        release.set()
        backend.shutdown()


def test_a_broken_database_is_an_ivr_data_error(tmp_path):
    from models.session import session_factory

    backend = DatabaseIvrBackend(session_factory(f"sqlite:///{tmp_path / 'empty.sqlite3'}"), 5)
    try:
        with pytest.raises(IvrDataError, match="OperationalError"):
            backend.open_session(SessionRecord(callid="nowhere"))
    finally:
        backend.shutdown()
