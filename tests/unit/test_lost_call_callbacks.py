"""Automatic call-backs of lost calls (line_callback.lost_calls) on SQLite and
PostgreSQL: booked only in a queue with nobody waiting, one at a time per queue, the
oldest lost call first, never a recovered one, one an agent already called back, one
already booked, nor one whose resident rang again and was served; a second engine
books nothing more; a reached resident counts the lost call recovered in the list
and the statistics, and the keep-my-place figures leave these requests out."""
from __future__ import annotations

import datetime as dt
import types

import pytest

from call_queue.stats import report as stats
from call_queue.stats.queries import Period
from campaigns.dialler import DialReply
from hotline.errors import SettingsError
from hotline.settings import get_settings, load_settings
from line_callback import store
from line_callback.engine import CallbackEngine, WaitingCallers
from line_callback.figures import database_figures
from line_callback.lost_calls import LostCallBooker, LostCallOptions, _book, book_lost_calls
from line_callback.policy import Booking, RetryPolicy
from models.callbacks import CallbackAttempt
from models.calls import Call
from models.console import User
from models.line_callbacks import CallbackRequest
from telephony import events as ev
from tests.support.settings import make_settings
from workflow import abandoned as rules

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
OPTIONS = LostCallOptions(window_s=4 * 3600, short_abandon_s=20)
POLICY = RetryPolicy(3, 60)
NOBODY = lambda queue: True  # noqa: E731 - every queue free
LINE = "hotline-line"


def _call(callid, minutes_ago, number, outcome="abandoned", wait_s=40, queue=LINE,
          answered=False):
    entered = NOW - dt.timedelta(minutes=minutes_ago)
    return Call(callid=callid, queue=queue, caller_number=number, entered_queue_at=entered,
                wait_s=wait_s, outcome=outcome,
                answered_at=entered + dt.timedelta(seconds=wait_s) if answered else None)


def _booked(session) -> list[tuple[str, str, str]]:
    return [(r.callid, r.queue, r.state) for r in session.query(CallbackRequest)
            .filter(CallbackRequest.source == "lost_call").order_by(CallbackRequest.id)]


def _reach(session, now=NOW):
    (claim,) = store.claim_due(session, "main", now, 10)
    return store.end_attempt(session, claim.attempt_id, "reached", "ANSWER", POLICY, now)


def test_only_a_queue_with_nobody_waiting_gets_one_the_oldest(session_factory):
    with session_factory() as session:
        session.add_all([_call("new", 10, "13800000002"), _call("old", 30, "13800000001"),
                         _call("other", 20, "13800000003", queue="hotline-night")])
        session.commit()
        assert book_lost_calls(session, lambda queue: False, "main", NOW, OPTIONS) == []
        booked = book_lost_calls(session, lambda queue: queue == LINE, "main", NOW, OPTIONS)
        assert [(r.callid, r.source, r.joined_at) for r in booked] == [("old", "lost_call", NOW)]
        # One open per queue: the line waits for "old" to end; the night queue is free now.
        book_lost_calls(session, NOBODY, "main", NOW, OPTIONS)
        assert _booked(session) == [("old", LINE, "booked"), ("other", "hotline-night", "booked")]
        assert session.query(CallbackRequest).filter_by(callid="old").one().source == "lost_call"


def test_the_next_lost_call_is_booked_once_the_first_ended(session_factory):
    with session_factory() as session:
        session.add_all([_call("old", 30, "13800000001"), _call("new", 10, "13800000002")])
        session.commit()
        book_lost_calls(session, NOBODY, "main", NOW, OPTIONS)
        assert _reach(session).state == "completed"
        book_lost_calls(session, NOBODY, "main", NOW, OPTIONS)
        book_lost_calls(session, NOBODY, "main", NOW, OPTIONS)  # "old" is recovered, not again
        assert _booked(session) == [("old", LINE, "completed"), ("new", LINE, "booked")]


def test_calls_not_to_call_back(session_factory):
    with session_factory() as session:
        agent = User(username="ann", role="agent", password_hash="-")
        session.add(agent)
        session.add_all([
            _call("short", 60, "13800000001", wait_s=20),            # a short abandon
            _call("answered", 59, "13800000002", outcome="answered", answered=True),
            _call("withheld", 58, None),
            _call("too_old", 5 * 60, "13800000003"),                   # outside the window
            _call("by_hand", 57, "13800000004"),                       # an agent called back
            _call("rang_again", 56, "13800000005"),
            _call("served", 40, "13800000005", outcome="answered", answered=True),
            _call("twice_a", 55, "13800000006"), _call("twice_b", 54, "13800000006",
                                                       queue="hotline-night"),
            _call("timeout", 50, "13800000007", outcome="timeout", wait_s=300,
                  queue="hotline-other")])
        session.commit()
        session.add(CallbackAttempt(callid="by_hand", user_id=agent.id, number="13800000004",
                                    placed_at=NOW, result="no_answer"))
        session.commit()
        book_lost_calls(session, NOBODY, "main", NOW, OPTIONS)
        # The same resident twice in two queues: called back once.
        assert _booked(session) == [("twice_a", LINE, "booked"),
                                    ("timeout", "hotline-other", "booked")]


def test_a_keep_my_place_request_is_not_a_lost_calls_and_holds_its_number(session_factory):
    with session_factory() as session:
        session.add(_call("lost", 30, "13900170003"))
        session.commit()
        store.book(session, Booking("1.7", "13900170003", LINE, NOW, 2), None, "main", NOW)
        session.commit()
        # The resident pressed 1 on a later call: their number has a request open.
        assert book_lost_calls(session, NOBODY, "main", NOW, OPTIONS) == []


def test_a_second_engine_books_nothing_more(session_factory):
    factory = session_factory
    with factory() as session:
        session.add(_call("old", 30, "13800000001"))
        session.commit()
    with factory() as first, factory() as second:
        call_first = first.get(Call, first.query(Call.id).scalar())
        call_second = second.get(Call, second.query(Call.id).scalar())
        # Both saw "old" free at once; the unique (host, callid) lets one book it.
        assert _book(first, call_first, "main", NOW) is not None
        assert _book(second, call_second, "main", NOW) is None
        assert book_lost_calls(second, NOBODY, "main", NOW, OPTIONS) == []
    with factory() as session:
        assert _booked(session) == [("old", LINE, "booked")]


def test_reached_counts_recovered_in_the_list_and_the_statistics(session_factory):
    settings = make_settings(service_level_s=20, short_abandon_s=20, ring_cadence_s=5.0)
    with session_factory() as session:
        session.add_all([_call("a", 30, "13800000001"), _call("b", 20, "13800000002", wait_s=25,
                                                              queue="hotline-night")])
        session.commit()
        book_lost_calls(session, NOBODY, "main", NOW, OPTIONS)
        claims = store.claim_due(session, "main", NOW, 10)
        by_original = {claim.original_callid: claim for claim in claims}
        store.end_attempt(session, by_original["a"].attempt_id, "reached", "ANSWER", POLICY, NOW)
        calls = rules.lost_calls_between(session, NOW - dt.timedelta(hours=1), NOW, 20)
        lost = {item.call.callid: (item.status, item.auto_callback)
                for item in rules.with_status(session, calls, {})}
        assert lost == {"a": ("recovered", "reached"), "b": ("waiting", "ringing")}
        period = stats.make_period(NOW - dt.timedelta(hours=1), NOW, "day")
        total = stats.flat_values(stats.compute_stats(session, period, settings)["total"])
        assert (total["lost"], total["lost_recovered"]) == (2, 1)
        # The keep-my-place figures know nothing of these two requests.
        figures = database_figures(session, Period(NOW - dt.timedelta(hours=1), NOW, "day"),
                                   offer_s=30)
        assert (figures.offered, figures.accepted, figures.completed, figures.failed) == (
            1, 0, 0, 0)  # "a" waited 40 s: offered, never pressed 1; "b" 25 s: not offered


def test_failed_ones_are_listed_for_an_agent(session_factory):
    with session_factory() as session:
        session.add(_call("a", 30, "13800000001"))
        session.commit()
        book_lost_calls(session, NOBODY, "main", NOW, OPTIONS)
        now = NOW
        for _ in range(3):
            (claim,) = store.claim_due(session, "main", now, 10)
            store.end_attempt(session, claim.attempt_id, "busy", "BUSY", POLICY, now)
            now += dt.timedelta(seconds=61)
        assert [(r.callid, r.source) for r in store.failed_requests(session)] == [
            ("a", "lost_call")]
        calls = rules.lost_calls_between(session, NOW - dt.timedelta(hours=1), NOW, 20)
        (item,) = rules.with_status(session, calls, {})
        assert (item.status, item.auto_callback) == ("waiting", "failed")
        assert book_lost_calls(session, NOBODY, "main", now, OPTIONS) == []


def _queued(callid: str) -> ev.CallQueued:
    return ev.CallQueued(at=NOW.timestamp() - 5, callid=callid, linkedid=callid, queue=LINE,
                         channel=f"PJSIP/t-{callid}", caller_number="139", caller_name="",
                         dialled_number="4000", position=1)


class Dialler:
    def __init__(self):
        self.placed = []

    def place(self, claim, position):
        self.placed.append((claim.original_callid, claim.caller_number, position))
        return DialReply(True, "queued")


def _member(paused=False, status="not_in_use", present=True) -> ev.MemberStatusChanged:
    return ev.MemberStatusChanged(at=NOW.timestamp() - 60, queue=LINE,
                                  interface="PJSIP/8001", member_name="ann", status=status,
                                  paused=paused, paused_reason="", in_call=False,
                                  present=present)


def _engine(factory, dialler, *events, booker=True):
    waiting = WaitingCallers(types.SimpleNamespace(office_timezone="Asia/Shanghai"))
    for event in events:
        waiting.handle(event)
    return CallbackEngine(factory, dialler, waiting, "main", POLICY, clock=lambda: NOW,
                          booker=LostCallBooker(waiting, "main", OPTIONS) if booker else None)


def test_the_engine_places_it_when_the_line_is_empty_and_an_agent_free(sqlite_session_factory):
    with sqlite_session_factory() as session:
        session.add(_call("a", 30, "13800000001"))
        session.commit()
    dialler = Dialler()
    for events in ([_member(), _queued("someone")],  # a resident waits: they come first
                   [],  # no agent in the queue: the placeholder would leave it empty
                   [_member(paused=True)], [_member(status="in_use")],
                   [_member(), _member(present=False)]):
        assert _engine(sqlite_session_factory, dialler, *events).tick() == 0, events
    assert _engine(sqlite_session_factory, dialler, _member(), booker=False).tick() == 0
    assert dialler.placed == []
    with sqlite_session_factory() as session:
        assert session.query(CallbackRequest).count() == 0
    assert _engine(sqlite_session_factory, dialler, _member()).tick() == 1
    assert dialler.placed == [("a", "13800000001", 1)]


def test_with_no_queue_free_the_booker_reads_no_calls(monkeypatch):
    """The engine asks every second: while every agent is busy, no query is made."""
    def no_query(*args, **kwargs):
        raise AssertionError("the calls were queried with no queue free")

    monkeypatch.setattr("line_callback.lost_calls.book_lost_calls", no_query)
    waiting = WaitingCallers(types.SimpleNamespace(office_timezone="Asia/Shanghai"))
    for event in (_member(status="in_use"), _queued("someone")):
        waiting.handle(event)
    assert LostCallBooker(waiting, "main", OPTIONS)(None, NOW) == []


def test_the_option_is_off_unless_asked_for(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    monkeypatch.delenv("HOTLINE_LOST_CALL_AUTO_CALLBACK", raising=False)
    assert load_settings().lost_call_auto_callback is False
    monkeypatch.setenv("HOTLINE_LOST_CALL_AUTO_CALLBACK", "yes")
    monkeypatch.setenv("HOTLINE_LOST_CALL_CALLBACK_WINDOW_S", "7200")
    settings = load_settings()
    assert (settings.lost_call_auto_callback, settings.lost_call_callback_window_s) == (True, 7200)
    monkeypatch.setenv("HOTLINE_LOST_CALL_AUTO_CALLBACK", "maybe")
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.variable == "HOTLINE_LOST_CALL_AUTO_CALLBACK"
    get_settings.cache_clear()


def test_the_wiring_gives_the_engine_its_booker_only_with_the_option(tmp_path):
    from line_callback.wiring import build_line_callbacks

    base = dict(database_url=f"sqlite:///{tmp_path / 'w.sqlite3'}",
                redis_url="redis://127.0.0.1:1/0")
    assert build_line_callbacks(make_settings(**base)).engine.booker is None
    parts = build_line_callbacks(make_settings(**base, lost_call_auto_callback=True,
                                               lost_call_callback_window_s=3600))
    booker = parts.engine.booker
    assert isinstance(booker, LostCallBooker) and booker.waiting is parts.waiting
    assert booker.options == LostCallOptions(3600, make_settings().short_abandon_s)
