"""Fuzzing the whole fee-balance IVR with any keypad input a caller can produce.

test_ivr_flow.py fuzzes the room-entry parser alone; here arbitrary sequences of
key presses, silences (GET DATA timeouts) and hang-ups, from known, unknown and
withheld numbers, go through the entire flow: it always ends, in a known
outcome, and a caller still on the line is always told where to go next.
"""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from telephony.ivr.flow import FeeBalanceScript
from tests.unit.ivr_fakes import HANGUP, TIMEOUT, FakeAgi, demo_backend

OUTCOMES = {"to_agent", "callback", "self_served", "hung_up"}
keys = st.text(alphabet="0123456789*#", max_size=14)
plausible = st.sampled_from(["3*2*1502", "5678", "7777", "0", "1", "2", "9", "3*2*1502#", "*", "#",
                             "3*2", "99*99*9999", "0000"])
inputs = st.lists(st.one_of(keys, plausible, st.just(TIMEOUT), st.just(HANGUP)), max_size=12)
callers = st.sampled_from(["13900007777", "13800000000", "", "anonymous", "+8613900007777"])


@settings(max_examples=300, deadline=None)
@given(inputs, callers)
def test_any_keypad_input_ends_in_a_known_outcome(script, caller):
    agi = FakeAgi(inputs=list(script), caller=caller)
    record = FeeBalanceScript(demo_backend(), input_timeout_ms=5000)(agi)
    assert record.outcome in OUTCOMES, (record.outcome, record.reason)
    get_data = [command for command in agi.commands if command[0] == "GET DATA"]
    assert len(get_data) <= 12, "the IVR keeps asking: a caller could be held forever"
    hung_up = any(item is HANGUP for item in script[:len(get_data)])
    if not hung_up:
        assert agi.variables.get("HOTLINE_IVR_NEXT") in ("agent", "hangup"), agi.variables
    if record.outcome == "to_agent" and not hung_up:
        assert agi.variables["HOTLINE_IVR_NEXT"] == "agent"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=8))
def test_any_text_from_the_channel_is_refused_cleanly(script):
    """GET DATA returns digits on a real channel; a broken one must not crash the flow."""
    agi = FakeAgi(inputs=list(script), caller="13800000000")
    record = FeeBalanceScript(demo_backend(), input_timeout_ms=5000)(agi)
    assert record.outcome in OUTCOMES
