"""The fee-balance flow against a scripted caller (FakeAgi) and data (FakeBackend)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from tests.unit.ivr_fakes import HANGUP, TIMEOUT, FakeAgi, demo_backend
from telephony.ivr.flow import P, FeeBalanceScript, balance_words, money_words
from telephony.ivr.data import Balance, RoomEntry, parse_room_entry

UNKNOWN = "13800000000"


def run(agi, backend=None):
    backend = backend or demo_backend()
    record = FeeBalanceScript(backend, input_timeout_ms=5000)(agi)
    return record, backend


def spoken_numbers(balance: Balance) -> list[int]:
    return [value for kind, value in balance_words(balance) if kind == "say"]


def test_keypad_caller_hears_balance_and_reaches_agent_with_household():
    agi = FakeAgi(inputs=["3*2*1502", "5678", "0"], caller=UNKNOWN)
    record, backend = run(agi)
    balance = backend.balances[7]
    assert record.household_id == 7 and record.identified_by == "keypad"
    assert record.outcome == "to_agent" and record.reason == "caller_chose_agent"
    assert agi.numbers_said() == spoken_numbers(balance)
    assert agi.variables["HOTLINE_IVR_NEXT"] == "agent"
    assert agi.variables["HOTLINE_HOUSEHOLD_ID"] == "7"
    assert agi.variables["HOTLINE_IVR_SESSION_ID"] == "1"
    assert agi.variables["CHANNEL(language)"] == "zh"
    assert P.TO_AGENT in agi.played() and P.SORRY_ERROR not in agi.played()
    stored = backend.sessions[1]
    assert stored.outcome == "to_agent" and stored.balance == balance
    assert [s["value"] for s in stored.steps if s["kind"] == "say_number"] == agi.numbers_said()
    assert backend.identified == [(UNKNOWN, 7)]


def test_greeting_comes_first_then_the_room_is_asked_for():
    agi = FakeAgi(inputs=["3*2*1502", "5678", "0"], caller=UNKNOWN)
    run(agi)
    assert agi.played()[:2] == [P.GREETING, P.ENTER_ROOM]
    first_get_data = next(c for c in agi.commands if c[0] == "GET DATA")
    assert first_get_data[1:] == (P.ENTER_ROOM, 5000, 24)


def test_known_caller_is_offered_own_balance_and_asks_callback():
    agi = FakeAgi(inputs=[TIMEOUT, "7777", "2"], caller="13900007777")
    record, backend = run(agi)
    assert record.household_id == 9 and record.identified_by == "caller_number"
    assert P.NO_ARREARS in agi.played() and P.ENTER_ROOM not in agi.played()
    assert record.outcome == "callback"
    assert backend.callbacks == [(1, 9, "13900007777")]
    assert agi.variables["HOTLINE_IVR_NEXT"] == "hangup"
    assert P.CALLBACK_REGISTERED in agi.played()


def test_known_caller_may_ask_for_another_room():
    agi = FakeAgi(inputs=["2", "3*2*1502", "5678", "0"], caller="13900007777")
    record, _ = run(agi)
    assert record.household_id == 7 and record.identified_by == "keypad"


@pytest.mark.parametrize("wrong, prompt", [("3*2", P.BAD_ROOM), ("", P.BAD_ROOM),
                                           ("9*9*9999", P.ROOM_NOT_FOUND),
                                           ("3**1502", P.BAD_ROOM)])
def test_one_wrong_room_entry_is_asked_again(wrong, prompt):
    agi = FakeAgi(inputs=[wrong, "3*2*1502", "5678", "0"], caller=UNKNOWN)
    record, _ = run(agi)
    assert record.household_id == 7 and record.bad_entries == 1
    assert prompt in agi.played()


def test_wrong_verification_is_asked_again():
    agi = FakeAgi(inputs=["3*2*1502", "1234", "5678", "0"], caller=UNKNOWN)
    record, _ = run(agi)
    assert record.household_id == 7 and record.bad_entries == 1
    assert P.VERIFY_FAILED in agi.played()


@pytest.mark.parametrize("inputs", [
    ["1", "2", "3"],                            # three bad room entries
    ["7", "3*2*1502", "1", "5678", "4"],        # room, phone, menu
    ["3*2*1502", "5678", "7", "8", "9"],        # three bad menu keys
])
def test_three_bad_entries_go_to_agent_with_apology(inputs):
    agi = FakeAgi(inputs=inputs, caller=UNKNOWN)
    record, backend = run(agi)
    assert record.outcome == "to_agent" and record.reason == "bad_entries"
    assert record.bad_entries == 3
    assert agi.played()[-1] == P.SORRY_BAD_ENTRIES
    assert agi.variables["HOTLINE_IVR_NEXT"] == "agent"
    assert backend.sessions[1].reason == "bad_entries"


@pytest.mark.parametrize("inputs", [[TIMEOUT], ["3*2*1502", TIMEOUT]])
def test_input_timeout_goes_to_agent_with_apology(inputs):
    agi = FakeAgi(inputs=inputs, caller=UNKNOWN)
    record, _ = run(agi)
    assert (record.outcome, record.reason) == ("to_agent", "timeout")
    assert agi.played()[-1] == P.SORRY_TIMEOUT
    assert agi.variables["HOTLINE_IVR_NEXT"] == "agent"


@pytest.mark.parametrize("failing", ["open_session", "household_for_caller",
                                     "household_for_room", "balance"])
def test_database_error_goes_to_agent_with_apology(failing):
    backend = demo_backend()
    backend.failing.add(failing)
    agi = FakeAgi(inputs=["3*2*1502", "5678", "0"], caller=UNKNOWN)
    record, _ = run(agi, backend)
    assert (record.outcome, record.reason) == ("to_agent", "database_error")
    assert agi.played()[-1] == P.SORRY_ERROR
    assert agi.variables["HOTLINE_IVR_NEXT"] == "agent"
    assert not agi.numbers_said()


def test_database_error_on_callback_still_reaches_agent():
    backend = demo_backend()
    backend.failing.add("request_callback")
    agi = FakeAgi(inputs=["3*2*1502", "5678", "2"], caller=UNKNOWN)
    record, _ = run(agi, backend)
    assert record.outcome == "to_agent" and agi.played()[-1] == P.SORRY_ERROR


def test_a_bug_in_the_data_layer_still_apologises_and_reaches_agent():
    backend = demo_backend()
    backend.crashing.add("balance")
    agi = FakeAgi(inputs=["3*2*1502", "5678"], caller=UNKNOWN)
    record, _ = run(agi, backend)
    assert record.outcome == "error"
    assert agi.played()[-1] == P.SORRY_ERROR
    assert agi.variables["HOTLINE_IVR_NEXT"] == "agent"
    assert backend.sessions[1].outcome == "error"


def test_menu_1_repeats_the_balance():
    agi = FakeAgi(inputs=["3*2*1502", "5678", "1", "0"], caller=UNKNOWN)
    record, backend = run(agi)
    assert agi.numbers_said() == spoken_numbers(backend.balances[7]) * 2
    assert record.outcome == "to_agent"


def test_key_pressed_during_balance_is_the_menu_choice():
    agi = FakeAgi(inputs=["3*2*1502", "5678"], caller=UNKNOWN, keys_during={P.TOTAL_DUE: "0"})
    record, _ = run(agi)
    assert record.outcome == "to_agent"
    assert P.MENU not in agi.played()


def test_silence_after_balance_says_goodbye_and_counts_as_self_served():
    agi = FakeAgi(inputs=["3*2*1502", "5678", TIMEOUT, TIMEOUT], caller=UNKNOWN)
    record, _ = run(agi)
    assert (record.outcome, record.reason) == ("self_served", "no_choice")
    assert agi.played().count(P.MENU) == 2 and agi.played()[-1] == P.GOODBYE
    assert agi.variables["HOTLINE_IVR_NEXT"] == "hangup"


def test_hangup_before_the_balance_is_hung_up():
    agi = FakeAgi(inputs=[HANGUP], caller=UNKNOWN)
    record, backend = run(agi)
    assert record.outcome == "hung_up"
    assert backend.sessions[1].outcome == "hung_up"
    assert "HOTLINE_IVR_NEXT" not in agi.variables


def test_hangup_after_hearing_the_balance_is_self_served():
    agi = FakeAgi(inputs=["3*2*1502", "5678", HANGUP], caller=UNKNOWN)
    record, _ = run(agi)
    assert (record.outcome, record.reason) == ("self_served", "hung_up_after_balance")


def test_hangup_during_the_apology_is_hung_up_not_to_agent():
    agi = FakeAgi(inputs=[TIMEOUT], caller=UNKNOWN, hangup_on=P.SORRY_TIMEOUT)
    record, _ = run(agi)
    assert record.outcome == "hung_up"


@pytest.mark.parametrize("caller", ["", "unknown", "anonymous"])
def test_withheld_number_is_asked_for_the_room(caller):
    agi = FakeAgi(inputs=["3*2*1502", "5678", "0"], caller=caller)
    record, _ = run(agi)
    assert record.caller_number == "" and record.household_id == 7


def test_money_words_yuan_jiao_fen():
    assert money_words(123405) == [("say", 1234), ("play", P.YUAN), ("play", P.ZERO),
                                   ("say", 5), ("play", P.FEN)]
    assert money_words(1250) == [("say", 12), ("play", P.YUAN), ("say", 5), ("play", P.JIAO)]
    assert money_words(50) == [("say", 5), ("play", P.JIAO)]
    assert money_words(100) == [("say", 1), ("play", P.YUAN)]


@given(st.integers(min_value=1, max_value=10**10))
def test_money_words_say_back_the_amount(fen):
    words = money_words(fen)
    units = {P.YUAN: 100, P.JIAO: 10, P.FEN: 1}
    total, pending = 0, None
    for kind, value in words:
        if kind == "say":
            pending = value
        elif value in units:
            total += pending * units[value]
    assert total == fen


@given(st.text())
def test_room_entry_parser_never_crashes(text):
    entry = parse_room_entry(text)
    assert entry is None or all(part.isdigit() for part in
                                (entry.building, entry.unit, entry.room))


@given(st.integers(1, 999999), st.integers(1, 999999), st.integers(1, 99999999))
def test_room_entry_parser_reads_valid_entries(building, unit, room):
    text = f"{building}*{unit}*{room}"
    assert parse_room_entry(text) == RoomEntry(str(building), str(unit), str(room))
    assert parse_room_entry(text + "#") == RoomEntry(str(building), str(unit), str(room))


@pytest.mark.parametrize("text", ["3*2", "3*2*1502*4", "a*b*c", "*2*1502", "3 * 2 * 1502",
                                  "３*２*１５０２", "3*2*"])
def test_room_entry_parser_rejects(text):
    assert parse_room_entry(text) is None


def test_a_missing_prompt_file_is_skipped_not_taken_for_a_hangup():
    agi = FakeAgi(inputs=["3*2*1502", "5678", "0"], caller=UNKNOWN)
    agi.missing_files = {P.TOTAL_DUE, P.TO_AGENT}
    record, _ = run(agi)
    assert (record.outcome, record.household_id) == ("to_agent", 7)
    assert [s["command"] for s in record.steps if s["kind"] == "failed"] == [P.TOTAL_DUE,
                                                                            P.TO_AGENT]
    assert agi.variables["HOTLINE_IVR_NEXT"] == "agent"


def test_a_failed_command_on_a_dead_channel_is_a_hangup():
    class DeadAfterFailure(FakeAgi):
        def execute(self, command, *args):
            self.hung_up = True  # the HANGUP line came before NOOP's reply
            return super().execute(command, *args)
    agi = DeadAfterFailure(inputs=["3*2*1502", "5678", "0"], caller=UNKNOWN)
    agi.missing_files = {P.TOTAL_DUE}
    record, _ = run(agi)
    assert record.outcome == "hung_up" and "HOTLINE_IVR_NEXT" not in agi.variables


def test_hangup_during_callback_confirmation_keeps_the_callback():
    agi = FakeAgi(inputs=["3*2*1502", "5678", "2"], caller=UNKNOWN,
                  hangup_on=P.CALLBACK_REGISTERED)
    record, backend = run(agi)
    assert record.outcome == "callback" and len(backend.callbacks) == 1


# --- identity: the balance only after the household is proved ----------------------

def test_a_known_caller_proves_the_household_before_the_balance():
    agi = FakeAgi(inputs=[TIMEOUT, TIMEOUT], caller="13900007777")
    record, backend = run(agi)
    assert P.ENTER_PHONE_SUFFIX in agi.played()
    assert not agi.numbers_said() and P.NO_ARREARS not in agi.played()
    assert (record.outcome, record.reason) == ("to_agent", "timeout")
    assert record.household_id is None and "HOTLINE_HOUSEHOLD_ID" not in agi.variables


def test_the_caller_id_alone_is_enough_only_when_the_setting_says_so():
    from telephony.ivr.identity import IdentityPolicy

    agi = FakeAgi(inputs=[TIMEOUT, "2"], caller="13900007777")
    record = FeeBalanceScript(demo_backend(), 5000,
                              policy=IdentityPolicy(trust_caller_id=True))(agi)
    assert P.ENTER_PHONE_SUFFIX not in agi.played() and P.NO_ARREARS in agi.played()
    assert record.outcome == "callback"
    assert {"kind": "verified", "by": "caller_id"}.items() <= next(
        s for s in record.steps if s["kind"] == "verified").items()


def test_a_household_with_a_pin_is_asked_for_the_pin_not_the_phone():
    from telephony.ivr.identity import HouseholdIdentity, hash_pin

    backend = demo_backend()
    backend.identities[7] = HouseholdIdentity(7, frozenset({"5678"}), hash_pin("246810"))
    agi = FakeAgi(inputs=["3*2*1502", "5678", "246810", "0"], caller=UNKNOWN)
    record, _ = run(agi, backend)
    assert agi.played().count(P.ENTER_PIN) == 2 and P.ENTER_PHONE_SUFFIX not in agi.played()
    assert P.VERIFY_FAILED in agi.played() and record.household_id == 7
    assert backend.failures[7] == 0  # the success cleared the first failure
    typed = [s["digits"] for s in record.steps if s["kind"] == "input"]
    assert typed[:3] == ["3*2*1502", "****", "******"]  # no PIN in the stored steps
    pin_ask = next(c for c in agi.commands if c[:2] == ("GET DATA", P.ENTER_PIN))
    assert pin_ask[3] == 8


@pytest.mark.parametrize("wrong", ["*#", "12", "567", "0000"])
def test_a_wrong_entry_is_told_and_asked_again(wrong):
    agi = FakeAgi(inputs=["3*2*1502", wrong, "5678", "0"], caller=UNKNOWN)
    record, backend = run(agi)
    assert record.household_id == 7 and agi.played().count(P.ENTER_PHONE_SUFFIX) == 2
    assert P.VERIFY_FAILED in agi.played()


def test_failures_across_calls_lock_the_household_out():
    backend = demo_backend()
    first = FakeAgi(inputs=["3*2*1502", "0000", "1111", HANGUP], caller=UNKNOWN)
    run(first, backend)
    second = FakeAgi(inputs=["3*2*1502", "2222", "5678"], caller=UNKNOWN,
                     uniqueid="1700000000.2")
    record, _ = run(second, backend)
    assert (record.outcome, record.reason) == ("to_agent", "identity_locked")
    assert second.played()[-1] == P.IDENTITY_LOCKED and not second.numbers_said()
    assert second.variables["HOTLINE_IVR_NEXT"] == "agent"
    third = FakeAgi(inputs=["3*2*1502", "5678", "0"], caller=UNKNOWN, uniqueid="1700000000.3")
    record, _ = run(third, backend)
    assert record.reason == "identity_locked" and not third.numbers_said()
    assert P.ENTER_PHONE_SUFFIX not in third.played()  # locked: not even asked


def test_three_wrong_phone_digits_in_one_call_lock_out():
    agi = FakeAgi(inputs=["3*2*1502", "0000", "1111", "2222"], caller=UNKNOWN)
    record, _ = run(agi)
    assert (record.outcome, record.reason) == ("to_agent", "identity_locked")
    assert agi.played()[-1] == P.IDENTITY_LOCKED


def test_a_household_with_nothing_to_prove_it_goes_to_an_agent():
    from telephony.ivr.identity import HouseholdIdentity

    backend = demo_backend()
    backend.identities[7] = HouseholdIdentity(7, frozenset())
    agi = FakeAgi(inputs=["3*2*1502", "5678"], caller=UNKNOWN)
    record, _ = run(agi, backend)
    assert (record.outcome, record.reason) == ("to_agent", "cannot_verify")
    assert agi.played()[-1] == P.CANNOT_VERIFY and not agi.numbers_said()


@pytest.mark.parametrize("failing", ["identity", "lockout", "record_failure"])
def test_the_throttle_database_failing_is_an_apology_not_the_balance(failing):
    backend = demo_backend()
    backend.failing.add(failing)
    agi = FakeAgi(inputs=["3*2*1502", "0000", "5678", "0"], caller=UNKNOWN)
    record, _ = run(agi, backend)
    assert (record.outcome, record.reason) == ("to_agent", "database_error")
    assert not agi.numbers_said()
