"""The IVR's database backend on SQLite and PostgreSQL, with the demo community."""
from __future__ import annotations

import contextlib
import threading

import pytest
from sqlalchemy import select

from households.fees import balance_summary
from households.history import ivr_session_for_call
from households.matching import match_caller
from models.households import Person, PersonRole, Phone, Room
from models.ivr import IvrCallbackRequest, IvrSession
from telephony.ivr.flow import FeeBalanceScript
from telephony.ivr.data import (
    DatabaseIvrBackend, IvrDataError, RoomEntry, SessionRecord, containment_rate, money_to_fen,
)
from tests.unit.ivr_fakes import FakeAgi
from tests.support.demo import demo_data, household_terms

TERMS = household_terms()


def _balance(session, household_id: int):
    return balance_summary(session, household_id, TERMS.today(), TERMS.late_fee_daily_rate)



@pytest.fixture
def demo(session_factory):
    with session_factory() as session:
        demo_data(session, households=60, seed=4)
        session.commit()
    return session_factory


@pytest.fixture
def backend(demo):
    backend = DatabaseIvrBackend(demo, timeout_s=10, terms=TERMS)
    yield backend
    backend.shutdown()


def owed_household(session) -> tuple[int, RoomEntry, str]:
    """The household owing most, its room as keyed, and its owner's phone."""
    rooms = session.execute(select(Room.household_id, Room.code)
                            .where(Room.household_id.is_not(None))).all()
    household_id, code = max(rooms, key=lambda r: _balance(session, r[0]).total_due)
    phone = session.scalars(select(Phone.normalized).join(Person, Person.id == Phone.person_id)
                            .where(Phone.household_id == household_id,
                                   Person.role == PersonRole.OWNER)).first()
    return household_id, RoomEntry(*code.split("-")), phone


def test_room_lookup_gives_household_and_owner_phone_suffixes(demo, backend):
    with demo() as session:
        household_id, entry, owner_phone = owed_household(session)
    assert backend.household_for_room(entry) == household_id
    identity = backend.identity(household_id)
    assert owner_phone[-4:] in identity.owner_phone_suffixes and identity.pin_hash is None
    assert backend.household_for_room(RoomEntry("999", "9", "9999")) is None


def test_caller_lookup_only_for_exactly_one_household(demo, backend):
    with demo() as session:
        numbers = session.execute(select(Phone.raw, Phone.household_id)).all()
        matches = {raw: match_caller(session, raw, TERMS.local_area_code).household_id for raw, _ in numbers}
    unique = next(raw for raw, household in matches.items() if household is not None)
    assert backend.household_for_caller(unique) == matches[unique]
    shared = [raw for raw, household in matches.items() if household is None]
    for raw in shared[:3]:
        assert backend.household_for_caller(raw) is None
    assert backend.household_for_caller("") is None


def test_balance_is_the_fee_rules_balance_in_fen(demo, backend):
    with demo() as session:
        household_id, _, _ = owed_household(session)
        summary = _balance(session, household_id)
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
        expected_fen = money_to_fen(_balance(session, household_id).total_due)
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
    backend = DatabaseIvrBackend(stuck_session, timeout_s=0.2, terms=TERMS)
    try:
        with pytest.raises(IvrDataError, match="did not answer within 0.2"):
            backend.open_session(SessionRecord(callid="slow"))
    finally:
        release.set()
        backend.shutdown()


def test_a_broken_database_is_an_ivr_data_error(tmp_path):
    from models.session import session_factory

    backend = DatabaseIvrBackend(session_factory(f"sqlite:///{tmp_path / 'empty.sqlite3'}"), 5,
                                 terms=TERMS)
    try:
        with pytest.raises(IvrDataError, match="OperationalError"):
            backend.open_session(SessionRecord(callid="nowhere"))
    finally:
        backend.shutdown()


# --- identity: PINs and the throttle, on SQLite and PostgreSQL ------------------------

def test_a_pin_is_stored_hashed_and_replaces_the_phone_check(demo, backend):
    from models.ivr import IvrHouseholdPin
    from telephony.ivr.identity import set_pin

    with demo() as session:
        household_id, _, owner_phone = owed_household(session)
        set_pin(session, household_id, "24681357")
        session.commit()
        stored = session.get(IvrHouseholdPin, household_id).pin_hash
    assert "24681357" not in stored and stored.startswith("pbkdf2_sha256$")
    identity = backend.identity(household_id)
    assert identity.matches("24681357")
    assert not identity.matches(owner_phone[-4:]) and not identity.matches("2468135")


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "１２３４", ""])
def test_a_bad_pin_is_refused_with_a_clear_error(demo, pin):
    from telephony.ivr.identity import PinError, set_pin

    with demo() as session:
        household_id, _, _ = owed_household(session)
        with pytest.raises(PinError, match="4 to 8 digits"):
            set_pin(session, household_id, pin)


def test_failures_lock_a_household_across_backends_and_expire(demo):
    import datetime as dt

    from telephony.ivr import identity as ivr_identity
    from telephony.ivr.identity import IdentityPolicy

    policy = IdentityPolicy(max_failures=3, lockout_s=900)
    first = DatabaseIvrBackend(demo, timeout_s=10, terms=TERMS, policy=policy)
    second = DatabaseIvrBackend(demo, timeout_s=10, terms=TERMS, policy=policy)  # a restarted bridge
    try:
        with demo() as session:
            household_id, _, _ = owed_household(session)
        assert first.record_failure(household_id) is None
        assert first.record_failure(household_id) is None
        first.shutdown()
        locked = second.record_failure(household_id)
        assert locked is not None and locked.failures == 3
        assert second.lockout(household_id) == locked
        assert 899 <= (locked.locked_until - locked.locked_at).total_seconds() <= 900
        second.record_success(household_id)  # a success does not lift a lock-out
        assert second.lockout(household_id) is not None
        with demo() as session:
            listed = ivr_identity.locked_households(session)
            assert [entry.lockout.household_id for entry in listed] == [household_id]
            assert listed[0].rooms and listed[0].household_number
            later = locked.locked_until + dt.timedelta(seconds=1)
            assert ivr_identity.current_lockout(session, household_id, later) is None
            assert ivr_identity.locked_households(session, later) == []
            # After the lock-out a new failure starts a new count.
            assert ivr_identity.record_failure(session, household_id, policy, later) is None
            session.commit()
    finally:
        second.shutdown()


def test_a_success_clears_failures_and_a_quiet_period_forgets_them(demo):
    import datetime as dt

    from models.base import utcnow
    from models.ivr import IvrIdentityThrottle
    from telephony.ivr import identity as ivr_identity
    from telephony.ivr.identity import IdentityPolicy

    policy = IdentityPolicy(max_failures=2, lockout_s=600)
    now = utcnow()
    with demo() as session:
        household_id, _, _ = owed_household(session)
        ivr_identity.record_failure(session, household_id, policy, now)
        ivr_identity.record_success(session, household_id)
        assert ivr_identity.record_failure(session, household_id, policy, now) is None
        quiet = now + dt.timedelta(seconds=601)
        assert ivr_identity.record_failure(session, household_id, policy, quiet) is None
        assert session.get(IvrIdentityThrottle, household_id).failures == 1
        session.commit()


def test_failures_at_the_same_moment_are_all_counted(demo):
    from concurrent.futures import ThreadPoolExecutor

    from telephony.ivr.identity import IdentityPolicy

    backend = DatabaseIvrBackend(demo, timeout_s=20, terms=TERMS, policy=IdentityPolicy(max_failures=6))
    try:
        with demo() as session:
            household_id, _, _ = owed_household(session)
        with ThreadPoolExecutor(6) as pool:
            results = list(pool.map(lambda _: backend.record_failure(household_id), range(6)))
        assert sum(result is not None for result in results) == 1  # the sixth locked it
        assert backend.lockout(household_id).failures == 6
    finally:
        backend.shutdown()


def test_hotline_ivr_set_pin_sets_and_clears_a_pin(demo, db_url, monkeypatch):
    from click.testing import CliRunner

    from hotline.settings import get_settings
    from models.households import Household
    from models.ivr import IvrHouseholdPin
    from telephony.ivr.cli import ivr_group
    from telephony.ivr.identity import pin_matches

    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    try:
        with demo() as session:
            household_id, _, _ = owed_household(session)
            number = session.get(Household, household_id).number
        runner = CliRunner()
        result = runner.invoke(ivr_group, ["set-pin", number], input="8642\n8642\n")
        assert result.exit_code == 0, result.output
        assert "8642" not in result.output
        with demo() as session:
            assert pin_matches("8642", session.get(IvrHouseholdPin, household_id).pin_hash)
        bad = runner.invoke(ivr_group, ["set-pin", number], input="12\n12\n")
        assert bad.exit_code == 1 and "4 to 8 digits" in bad.output
        unknown = runner.invoke(ivr_group, ["set-pin", "nobody"], input="1234\n1234\n")
        assert unknown.exit_code == 1 and "no household numbered" in unknown.output
        assert runner.invoke(ivr_group, ["set-pin", number, "--clear"]).exit_code == 0
        with demo() as session:
            assert session.get(IvrHouseholdPin, household_id) is None
    finally:
        get_settings.cache_clear()
