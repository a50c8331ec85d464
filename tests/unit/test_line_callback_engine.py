"""The callback engine's loop and FastAGI scripts without Asterisk (SQLite): the
placeholder goes in behind the callers who joined before the original call, per the
projection of the bridge's events; a refused command ends the attempt (retried), one
in doubt holds the engine off; the booking script refuses a withheld number and the
queue half's empty status leaves the attempt to the dialling half."""
from __future__ import annotations

import datetime as dt
import types

from campaigns.dialler import DialReply
from line_callback import store
from line_callback.engine import CallbackEngine, WaitingCallers
from line_callback.policy import Booking, RetryPolicy
from line_callback.scripts import BookScript, EndScript
from models.line_callbacks import CallbackRequest, CallbackRequestAttempt
from telephony import events as ev

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
POLICY = RetryPolicy(3, 60)
SETTINGS = types.SimpleNamespace(office_timezone="Asia/Shanghai")


class Dialler:
    def __init__(self, reply: DialReply):
        self.reply, self.placed = reply, []

    def place(self, claim, position):
        self.placed.append((claim.caller_number, position))
        return self.reply


def queued(callid: str, at_s: float) -> ev.CallQueued:
    return ev.CallQueued(at=T0.timestamp() + at_s, callid=callid, linkedid=callid,
                         queue="hotline-line", channel=f"PJSIP/t-{callid}",
                         caller_number="139", caller_name="", dialled_number="4000", position=1)


def engine_with(factory, reply) -> tuple[CallbackEngine, Dialler, WaitingCallers]:
    waiting = WaitingCallers(SETTINGS)
    dialler = Dialler(reply)
    return CallbackEngine(factory, dialler, waiting, "main", POLICY, clock=lambda: T0), \
        dialler, waiting


def book(factory, joined_s: float, exit_position=None) -> int:
    with factory() as session:
        request = store.book(session, Booking(f"1.{5 + int(joined_s)}", "13900170003",
                                              "hotline-line",
                                              T0 + dt.timedelta(seconds=joined_s),
                                              exit_position), None, "main", T0)
        session.commit()
        return request.id


def test_the_placeholder_goes_behind_those_who_joined_before(sqlite_session_factory):
    engine, dialler, waiting = engine_with(sqlite_session_factory, DialReply(True, "queued"))
    for callid, at_s in (("a", 1), ("b", 2), ("later", 20)):
        waiting.handle(queued(callid, at_s))
    book(sqlite_session_factory, 10)
    assert engine.tick() == 1
    assert dialler.placed == [("13900170003", 3)]
    with sqlite_session_factory() as session:
        attempt = session.query(CallbackRequestAttempt).one()
        assert (attempt.position, attempt.outcome) == (3, "placed")
    assert engine.tick() == 0  # placed once


def test_a_refused_command_is_retried_and_one_in_doubt_holds_off(sqlite_session_factory):
    engine, dialler, _ = engine_with(sqlite_session_factory, DialReply(False, "bad", True))
    book(sqlite_session_factory, 10)
    engine.tick()
    with sqlite_session_factory() as session:
        request = session.query(CallbackRequest).one()
        assert (request.state, request.attempts) == ("retry", 1)
        assert session.query(CallbackRequestAttempt).one().outcome == "not_placed"
    doubtful, _, _ = engine_with(sqlite_session_factory,
                                 DialReply(False, "bridge not answering", False))
    doubtful.clock = lambda: T0 + dt.timedelta(seconds=61)
    book(sqlite_session_factory, 20)  # a second request, due too: never sent
    assert doubtful.tick() == 1 and doubtful._hold_until is not None
    with sqlite_session_factory() as session:
        states = sorted((r.state, r.attempts) for r in session.query(CallbackRequest))
        outcomes = sorted(a.outcome for a in session.query(CallbackRequestAttempt))
    # The one in doubt stays placed (it may ring); the other is due again, no attempt.
    assert states == [("booked", 0), ("queued", 2)] and outcomes == ["not_placed", "placed"]
    assert doubtful.tick() == 0  # held off


class Agi:
    def __init__(self, env: dict):
        self.env, self.set = env, {}

    def set_variable(self, name, value):
        self.set[name] = value


def test_the_booking_script_books_or_refuses(sqlite_session_factory):
    script = BookScript(sqlite_session_factory, "main", "010", clock=lambda: T0)
    good = Agi({"agi_uniqueid": "1764810000.5", "agi_callerid": "13900170003",
                "agi_arg_1": "hotline-line", "agi_arg_2": "2",
                "agi_arg_3": f"{T0.timestamp():.3f}"})
    script(good)
    assert good.set["HOTLINE_CALLBACK"] == "booked"
    withheld = Agi({**good.env, "agi_uniqueid": "1764810000.6", "agi_callerid": "unknown"})
    script(withheld)
    assert withheld.set == {"HOTLINE_CALLBACK": "refused"}
    with sqlite_session_factory() as session:
        assert [r.callid for r in session.query(CallbackRequest)] == ["1764810000.5"]


def test_the_queue_halfs_empty_status_leaves_the_attempt_to_the_dial_half(
        sqlite_session_factory):
    book(sqlite_session_factory, 0)
    with sqlite_session_factory() as session:
        (claim,) = store.claim_due(session, "main", T0, 5)
    end = EndScript(sqlite_session_factory, POLICY, clock=lambda: T0)
    end(Agi({"agi_arg_1": str(claim.attempt_id), "agi_arg_2": "queue", "agi_arg_3": ""}))
    end(Agi({"agi_arg_1": "x;y", "agi_arg_2": "dial", "agi_arg_3": "ANSWER"}))  # ignored
    with sqlite_session_factory() as session:
        assert session.get(CallbackRequestAttempt, claim.attempt_id).outcome == "placed"
    end(Agi({"agi_arg_1": str(claim.attempt_id), "agi_arg_2": "dial", "agi_arg_3": "ANSWER"}))
    with sqlite_session_factory() as session:
        assert session.get(CallbackRequestAttempt, claim.attempt_id).outcome == "reached"
        assert session.query(CallbackRequest).one().state == "completed"
