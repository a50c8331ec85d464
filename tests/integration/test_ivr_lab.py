"""The fee-balance IVR with the real Asterisk: a call to the IVR number, keys
pressed on the caller's side (AMI PlayDTMF on the caller's half of a Local
channel, each time the IVR is seen listening), the household identified, the
right amount spoken, and 0 → the hotline queue with the household variable set.

A known caller proves the household, presses 2 during the balance and books a
callback. Wrong phone digits across two calls lock the household out: the
second call hears so and joins the queue without the balance. While 1,000 idle
sockets, 10 MB lines and endless environments hit the FastAGI port, a real call
still completes the fee flow. When the IVR server fails, the dialplan alone
apologises (in Mandarin) and queues the call.

The FastAGI server runs in this test process on the lab's FastAGI port (started
as the bridge starts it, with the settings' limits), over a SQLite database
holding the demo community.
"""
from __future__ import annotations

import dataclasses
import socket
import threading

import pytest
from sqlalchemy import select

from households.fees import balance_summary
from households.matching import match_caller
from models.households import Person, PersonRole, Phone, Room
from models.session import make_engine
from telephony.ivr.fastagi import FastAgiServer, start_fastagi_server
from telephony.ivr.flow import P, FeeBalanceScript, balance_words
from telephony.ivr.identity import IdentityPolicy
from telephony.ivr.data import Balance, DatabaseIvrBackend, money_to_fen
from tests import labtools
from tests.support.demo import demo_data, household_terms
from tests.support.ivr_lab_calls import (
    STEP_TIMEOUT_S, StepWatch, call_ivr, getvar, hang_up, lab_runs_this_ivr, press, stored_session,
)

TERMS = household_terms()


def _balance(session, household_id: int):
    return balance_summary(session, household_id, TERMS.today(), TERMS.late_fee_daily_rate)


pytestmark = pytest.mark.lab

UNKNOWN_CALLER = "17000000001"


@pytest.fixture
def lab_ivr_ready(lab):
    return lab_runs_this_ivr(lab)


@pytest.fixture
def demo_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'ivr.sqlite3'}"
    import models
    from models.session import session_factory

    models.Base.metadata.create_all(make_engine(url))
    factory = session_factory(url)
    with factory() as session:
        demo_data(session, households=60, seed=4)
        session.commit()
    return factory


def owed_household(factory):
    with factory() as session:
        rooms = session.execute(select(Room.household_id, Room.code)
                                .where(Room.household_id.is_not(None))).all()
        household_id, code = max(rooms, key=lambda r: _balance(session, r[0]).total_due)
        phone = session.scalars(
            select(Phone.normalized).join(Person, Person.id == Phone.person_id)
            .where(Phone.household_id == household_id, Person.role == PersonRole.OWNER)).first()
        summary = _balance(session, household_id)
        assert match_caller(session, UNKNOWN_CALLER, TERMS.local_area_code).unknown
    balance = Balance(money_to_fen(summary.total_due), summary.months_in_arrears,
                      money_to_fen(summary.late_fee))
    return household_id, code.replace("-", "*"), phone[-4:], balance


@pytest.fixture
def fastagi(lab_ivr_ready, demo_db):
    """The FastAGI server as the bridge starts it (the settings' limits, default pool)."""
    settings = dataclasses.replace(lab_ivr_ready, fastagi_read_timeout_s=60,
                                   ivr_max_session_s=120)
    watch = StepWatch()
    policy = IdentityPolicy.from_settings(settings)
    backend = DatabaseIvrBackend(demo_db, timeout_s=5, terms=TERMS, policy=policy)
    try:
        server = start_fastagi_server(
            settings, {"fee_balance": FeeBalanceScript(backend, 8000, watch, policy)})
    except OSError as error:
        pytest.fail(f"cannot listen on the lab's FastAGI port {settings.fastagi_port} "
                    f"(is a bridge or `hotline fastagi` running?): {error}")
    yield server, watch
    server.stop()
    backend.shutdown()


@pytest.fixture
def ivr_server(fastagi):
    return fastagi[1]


def test_keypad_caller_hears_own_balance_then_joins_queue_with_household(
        lab, ivr_server, demo_db):
    household_id, room_keys, suffix, balance = owed_household(demo_db)
    watch = ivr_server
    with labtools.pyst2_manager(lab) as (manager, events):
        callid, _ = call_ivr(manager, lab, UNKNOWN_CALLER)
        ivr_half = caller_half = None
        try:
            asked = watch.wait_listening(callid, P.ENTER_ROOM)
            ivr_half = watch.channels[callid]
            caller_half = ivr_half.replace(";2", ";1")
            press(manager, caller_half, room_keys + "#")
            asked = watch.wait_listening(callid, P.ENTER_PHONE_SUFFIX, asked + 1)
            press(manager, caller_half, suffix)
            watch.wait_listening(callid, P.MENU, asked + 1)
            press(manager, caller_half, "0")
            events.wait_for(lambda e: e.get("Event") == "QueueCallerJoin"
                            and e.get("Uniqueid") == callid, STEP_TIMEOUT_S)
            assert getvar(manager, ivr_half, "HOTLINE_HOUSEHOLD_ID") == str(household_id)
            assert getvar(manager, ivr_half, "HOTLINE_IVR_NEXT") == "agent"
            session_id = getvar(manager, ivr_half, "HOTLINE_IVR_SESSION_ID")
        finally:
            hang_up(manager, *[c for c in (caller_half, ivr_half) if c])
    row = stored_session(demo_db, callid)
    assert (row.outcome, row.reason, row.household_id, row.identified_by) == \
        ("to_agent", "caller_chose_agent", household_id, "keypad")
    assert str(row.id) == session_id
    assert row.spoken_total_due_fen == balance.total_due_fen
    said = [step["value"] for step in row.steps if step["kind"] == "say_number"]
    assert said == [value for kind, value in balance_words(balance) if kind == "say"]
    assert not [step for step in row.steps if step["kind"] == "failed"]  # every file played
    typed = [step["digits"] for step in row.steps if step["kind"] == "input"]
    assert typed[:2] == [room_keys, "****"]  # the phone digits are not stored


def test_three_wrong_entries_reach_the_queue_after_an_apology(lab, ivr_server, demo_db):
    watch = ivr_server
    with labtools.pyst2_manager(lab) as (manager, events):
        callid, _ = call_ivr(manager, lab, UNKNOWN_CALLER)
        ivr_half = caller_half = None
        try:
            asked = -1
            for wrong in ("9#", "8*8#", "999*9*9999#"):
                asked = watch.wait_listening(callid, P.ENTER_ROOM, asked + 1)
                ivr_half = watch.channels[callid]
                caller_half = ivr_half.replace(";2", ";1")
                press(manager, caller_half, wrong)
            events.wait_for(lambda e: e.get("Event") == "QueueCallerJoin"
                            and e.get("Uniqueid") == callid, STEP_TIMEOUT_S)
            assert getvar(manager, ivr_half, "HOTLINE_IVR_NEXT") == "agent"
        finally:
            hang_up(manager, *[c for c in (caller_half, ivr_half) if c])
    row = stored_session(demo_db, callid)
    assert (row.outcome, row.reason, row.bad_entries) == ("to_agent", "bad_entries", 3)
    played = [step["prompt"] for step in row.steps if step["kind"] == "play"]
    assert played[-1] == P.SORRY_BAD_ENTRIES and row.household_id is None


def known_caller(factory) -> tuple[str, int, str]:
    """An owner's number belonging to exactly one household, which owes money; and
    the last 4 digits the IVR will ask for."""
    from households.lookup import phone_suffixes

    with factory() as session:
        owners = session.scalars(select(Phone.normalized).join(Person, Person.id == Phone.person_id)
                                 .where(Person.role == PersonRole.OWNER).order_by(Phone.id))
        for number in owners:
            household_id = match_caller(session, number, TERMS.local_area_code).household_id
            if (number.isdigit() and household_id is not None
                    and _balance(session, household_id).total_due > 0
                    and phone_suffixes(session, household_id) == {number[-4:]}):
                return number, household_id, number[-4:]
    raise AssertionError("the demo community has no known caller who owes money")


def test_known_caller_presses_2_during_the_balance_and_books_a_callback(
        lab, ivr_server, demo_db):
    from models.ivr import IvrCallbackRequest

    number, household_id, suffix = known_caller(demo_db)
    watch = ivr_server
    with labtools.pyst2_manager(lab) as (manager, events):
        callid, _ = call_ivr(manager, lab, number)
        ivr_half = caller_half = None
        try:
            asked = watch.wait_listening(callid, P.KNOWN_CALLER)
            ivr_half = watch.channels[callid]
            caller_half = ivr_half.replace(";2", ";1")
            press(manager, caller_half, "1")
            asked = watch.wait_listening(callid, P.ENTER_PHONE_SUFFIX, asked + 1)
            press(manager, caller_half, suffix)
            watch.wait_listening(callid, P.TOTAL_DUE, asked + 1)  # played, not asked
            press(manager, caller_half, "2")  # barge in: the menu's choice
            events.wait_for(lambda e: e.get("Event") == "Hangup"
                            and e.get("Uniqueid") == callid, STEP_TIMEOUT_S)
        finally:
            hang_up(manager, *[c for c in (caller_half, ivr_half) if c])
    row = stored_session(demo_db, callid)
    assert (row.outcome, row.household_id, row.identified_by) == \
        ("callback", household_id, "caller_number")
    assert P.MENU not in [step.get("prompt") for step in row.steps]
    with demo_db() as session:
        callback = session.scalars(select(IvrCallbackRequest)
                                   .where(IvrCallbackRequest.ivr_session_id == row.id)).one()
    assert (callback.household_id, callback.callback_number) == (household_id, number)


def test_when_the_ivr_fails_the_dialplan_apologises_and_queues(lab, lab_ivr_ready):
    """A FastAGI server that knows no script closes at once: the dialplan alone
    must apologise (the zh prompt plays) and put the caller in the queue."""
    settings = lab_ivr_ready
    try:
        server = FastAgiServer((settings.fastagi_host, settings.fastagi_port), {},
                               read_timeout_s=5, max_session_s=10)
    except OSError as error:
        pytest.fail(f"cannot listen on the lab's FastAGI port {settings.fastagi_port}: {error}")
    server.start()
    try:
        with labtools.pyst2_manager(lab) as (manager, events):
            callid, caller_half_id = call_ivr(manager, lab, UNKNOWN_CALLER)
            try:
                events.wait_for(lambda e: e.get("Event") == "QueueCallerJoin"
                                and e.get("Uniqueid") == callid, STEP_TIMEOUT_S)
                assert getvar(manager, callid, "HOTLINE_IVR_NEXT") == ""
                assert getvar(manager, callid, "PLAYBACKSTATUS") == "SUCCESS"
            finally:
                hang_up(manager, caller_half_id, callid)
    finally:
        server.stop()


def wrong_digits(factory, household_id: int) -> str:
    from households.lookup import phone_suffixes

    with factory() as session:
        taken = phone_suffixes(session, household_id)
    return next(f"{n:04d}" for n in range(1000, 10000) if f"{n:04d}" not in taken)


def test_wrong_phone_digits_across_calls_lock_the_household_out(lab, ivr_server, demo_db):
    from telephony.ivr.identity import locked_households

    household_id, room_keys, _, _ = owed_household(demo_db)
    wrong = wrong_digits(demo_db, household_id)
    watch = ivr_server
    with labtools.pyst2_manager(lab) as (manager, events):
        first, _ = call_ivr(manager, lab, UNKNOWN_CALLER)
        ivr_half = caller_half = None
        try:
            asked = watch.wait_listening(first, P.ENTER_ROOM)
            ivr_half = watch.channels[first]
            caller_half = ivr_half.replace(";2", ";1")
            press(manager, caller_half, room_keys + "#")
            for _ in range(2):
                asked = watch.wait_listening(first, P.ENTER_PHONE_SUFFIX, asked + 1)
                press(manager, caller_half, wrong)
            watch.wait_listening(first, P.ENTER_PHONE_SUFFIX, asked + 1)
        finally:
            hang_up(manager, *[c for c in (caller_half, ivr_half) if c])
        assert stored_session(demo_db, first).outcome == "hung_up"
        second, _ = call_ivr(manager, lab, UNKNOWN_CALLER)
        ivr_half = caller_half = None
        try:
            asked = watch.wait_listening(second, P.ENTER_ROOM)
            ivr_half = watch.channels[second]
            caller_half = ivr_half.replace(";2", ";1")
            press(manager, caller_half, room_keys + "#")
            asked = watch.wait_listening(second, P.ENTER_PHONE_SUFFIX, asked + 1)
            press(manager, caller_half, wrong)
            watch.wait_listening(second, P.IDENTITY_LOCKED, asked + 1)
            events.wait_for(lambda e: e.get("Event") == "QueueCallerJoin"
                            and e.get("Uniqueid") == second, STEP_TIMEOUT_S)
            assert getvar(manager, ivr_half, "HOTLINE_IVR_NEXT") == "agent"
        finally:
            hang_up(manager, *[c for c in (caller_half, ivr_half) if c])
    row = stored_session(demo_db, second)
    assert (row.outcome, row.reason, row.household_id) == ("to_agent", "identity_locked", None)
    assert not [step for step in row.steps if step["kind"] == "say_number"]
    assert not [step for step in row.steps if step["kind"] == "failed"]  # the prompt played
    with demo_db() as session:
        locked = locked_households(session)
    assert [(entry.lockout.household_id, entry.lockout.failures) for entry in locked] == \
        [(household_id, 3)]


class HostileFastAgi:
    """Idle sockets, strangers, 10 MB lines and endless environments against the
    FastAGI port, each connection counted once it was opened."""

    LINE = b"agi_request: " + b"x" * (10 * 1024 * 1024) + b"\n"

    def __init__(self, host: str, port: int):
        self.address = (host, port)
        self.held: list[socket.socket] = []
        self.counts = {"idle": 0, "stranger": 0, "long_line": 0, "endless_env": 0,
                       "not_cut": 0}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def total(self) -> int:
        with self._lock:
            return sum(v for k, v in self.counts.items() if k != "not_cut")

    def _count(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1

    def hold(self, count: int, source: str | None = None) -> None:
        for _ in range(count):
            sock = socket.create_connection(self.address, timeout=5,
                                            source_address=(source, 0) if source else None)
            self.held.append(sock)
            self._count("stranger" if source else "idle")

    def start_floods(self) -> None:
        for kind, lines in (("long_line", self._long_line), ("endless_env", self._endless_env)):
            thread = threading.Thread(target=self._repeat, args=(kind, lines), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _repeat(self, kind: str, lines) -> None:
        while not self._stop.is_set():
            with socket.create_connection(self.address, timeout=10) as sock:
                self._count(kind)
                try:
                    for chunk in lines():
                        sock.sendall(chunk)
                    self._count("not_cut")  # the server took it all: a limit failed
                except OSError:
                    pass  # reset or broken pipe: the server closed it, as it must
            self._stop.wait(0.05)

    def _long_line(self):
        view = memoryview(self.LINE)
        return (view[i:i + 65536] for i in range(0, len(view), 65536))

    @staticmethod
    def _endless_env():
        return (f"agi_arg_{n}: {n}\n".encode() for n in range(1_000_000))

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        for sock in self.held:
            sock.close()


def test_a_real_call_goes_through_while_hostile_connections_hit_fastagi(
        lab, fastagi, demo_db):
    server, watch = fastagi
    household_id, room_keys, suffix, balance = owed_household(demo_db)
    hostile = HostileFastAgi(lab.settings.fastagi_host, lab.settings.fastagi_port)
    try:
        hostile.hold(1000)                       # idle, from Asterisk's own address
        hostile.hold(100, source="127.0.0.2")    # idle, from a stranger
        hostile.start_floods()                   # 10 MB lines and endless environments
        with labtools.pyst2_manager(lab) as (manager, events):
            callid, _ = call_ivr(manager, lab, UNKNOWN_CALLER)
            ivr_half = caller_half = None
            try:
                asked = watch.wait_listening(callid, P.ENTER_ROOM)
                ivr_half = watch.channels[callid]
                caller_half = ivr_half.replace(";2", ";1")
                press(manager, caller_half, room_keys + "#")
                asked = watch.wait_listening(callid, P.ENTER_PHONE_SUFFIX, asked + 1)
                press(manager, caller_half, suffix)
                watch.wait_listening(callid, P.MENU, asked + 1)
                press(manager, caller_half, "0")
                events.wait_for(lambda e: e.get("Event") == "QueueCallerJoin"
                                and e.get("Uniqueid") == callid, STEP_TIMEOUT_S)
            finally:
                hang_up(manager, *[c for c in (caller_half, ivr_half) if c])
        survived = hostile.total
    finally:
        hostile.stop()
    row = stored_session(demo_db, callid)
    assert (row.outcome, row.reason, row.household_id) == \
        ("to_agent", "caller_chose_agent", household_id)
    assert row.spoken_total_due_fen == balance.total_due_fen
    print(f"\nhostile FastAGI connections survived while the IVR call went through: "
          f"{survived} ({hostile.counts})")
    assert hostile.counts["not_cut"] == 0
    assert hostile.counts["long_line"] >= 1 and hostile.counts["endless_env"] >= 1
    assert server.foreign_peers.total == 100
    # Still serving: a new connection is answered, and the pool empties again.
    with socket.create_connection(hostile.address, timeout=5) as probe:
        probe.sendall(b"agi_network: yes\nagi_network_script: fee_balance\n"
                      b"agi_uniqueid: probe.1\nagi_callerid: 17000000002\n\n")
        assert probe.makefile("r").readline() == "ANSWER\n"
    labtools.wait_until(lambda: server.pool.busy() == (0, 0), 10, "the pool to empty")
