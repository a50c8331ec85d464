"""The keep-my-place callback's pure rules: the booking's arguments, its place in
line, the retries, the placeholder's id and the dial outcomes."""
from __future__ import annotations

import datetime as dt

import pytest

from line_callback.errors import LineCallbackError
from line_callback.policy import (
    RetryPolicy, Waiting, dial_outcome, parse_booking, place_in_line, placeholder_callid,
)
from telephony.commands import validate
from telephony.errors import CommandError

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 4, 1, 0, tzinfo=UTC)


def at(seconds: float) -> float:
    return T0.timestamp() + seconds


def test_a_booking_takes_the_dialplans_arguments():
    booking = parse_booking("1764810000.12", "13900170001", "hotline-line", "3",
                            f"{at(10):.3f}")
    assert (booking.caller_number, booking.queue, booking.exit_position) == (
        "13900170001", "hotline-line", 3)
    assert booking.joined_at == T0 + dt.timedelta(seconds=10)
    # No place known (QUEUEPOSITION unset): the projection alone decides.
    assert parse_booking("1.2", "139", "q", "", "1764810000").exit_position is None


@pytest.mark.parametrize("args, word", [
    (("", "139", "q", "1", "1764810000"), "callid"),
    (("1.2", "unknown", "q", "1", "1764810000"), "caller number"),
    (("1.2", "139;x", "q", "1", "1764810000"), "caller number"),
    (("1.2", "139", "", "1", "1764810000"), "queue"),
    (("1.2", "139", "q", "1", "nan"), "join time"),
    (("1.2", "139", "q", "1", "yesterday"), "join time"),
])
def test_a_booking_that_cannot_be_called_back_says_which_argument(args, word):
    with pytest.raises(LineCallbackError, match=word):
        parse_booking(*args)


def test_its_place_is_behind_those_who_joined_before_and_ahead_of_those_after():
    waiting = [Waiting("a", at(1)), Waiting("b", at(2)), Waiting("later", at(20))]
    assert place_in_line(T0 + dt.timedelta(seconds=10), waiting, {}) == 3
    # Both ahead were served meanwhile: the head.
    assert place_in_line(T0 + dt.timedelta(seconds=10), [Waiting("later", at(20))], {}) == 1


def test_an_earlier_requests_placeholder_counts_by_its_requests_join_time():
    # "p" entered the queue at 30 s but stands for a caller who joined at 5 s.
    waiting = [Waiting("p", at(30)), Waiting("later", at(20))]
    assert place_in_line(T0 + dt.timedelta(seconds=10), waiting, {"p": at(5)}) == 2
    assert place_in_line(T0 + dt.timedelta(seconds=3), waiting, {"p": at(5)}) == 1


def test_never_further_back_than_where_the_caller_left():
    waiting = [Waiting(str(n), at(n)) for n in range(5)]
    assert place_in_line(T0 + dt.timedelta(seconds=10), waiting, {}, exit_position=2) == 2


def test_two_retries_then_failed_and_reached_completes():
    policy = RetryPolicy(max_attempts=3, spacing_s=60)
    assert policy.after(1, "no_answer", T0) == ("retry", T0 + dt.timedelta(seconds=60))
    assert policy.after(2, "busy", T0)[0] == "retry"
    assert policy.after(3, "no_answer", T0) == ("failed", T0)
    assert policy.after(2, "reached", T0) == ("completed", T0)


def test_dial_statuses_and_the_placeholders_id():
    assert [dial_outcome(s) for s in ("ANSWER", "noanswer", "BUSY", "CANCEL", "", "WHAT")] == [
        "reached", "no_answer", "busy", "no_answer", "no_answer", "no_answer"]
    callid = placeholder_callid(12, T0)
    assert callid == f"{int(T0.timestamp())}.700000012"


def test_the_originate_command_checks_every_argument():
    good = {"attempt": "12", "callid": "1764810000.700000012", "number": "13900170003",
            "queue": "hotline-line", "position": 3, "original_callid": "1764810000.5",
            "number_of_attempt": 1, "ring_timeout_s": 20}
    assert validate("callback_originate", good) == good
    for key, bad in (("number", "139&PJSIP/x"), ("callid", "1,2"), ("position", 0),
                     ("queue", "a,b"), ("number_of_attempt", True)):
        with pytest.raises(CommandError):
            validate("callback_originate", {**good, key: bad})
