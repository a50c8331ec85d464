"""Settings come in as arguments (issue 12): below the command line and the app
factory nothing reads the environment, so a value handed in is the value used."""
from __future__ import annotations

import pytest

from households.numbers import normalize_number
from telephony import events as ev
from telephony.commands import CommandExecutor
from tests.support.transcripts import state_machine

T0 = 1_795_445_475.0


def queued(caller_number: str) -> ev.CallQueued:
    return ev.CallQueued(at=T0, callid="c1", linkedid="c1", queue="hotline",
                         channel="PJSIP/trunk-1", caller_number=caller_number,
                         caller_name="", dialled_number="4000", position=1)


def test_the_call_record_keys_a_local_caller_on_the_area_code_handed_in():
    # The test settings say 010; the machine was built with 0755, and 0755 is used.
    machine = state_machine(local_area_code="0755")
    machine.apply(queued("83456789"))
    (record,) = machine.take_changed()
    assert record.caller_number == "075583456789"
    assert record.caller_number_raw == "83456789"


def test_no_area_code_is_an_error_not_a_settings_read():
    with pytest.raises(TypeError):
        normalize_number("83456789")  # noqa: the missing argument is the point


def test_the_command_executor_needs_its_default_queue():
    with pytest.raises(TypeError, match="default_queue"):
        CommandExecutor("redis://127.0.0.1:1/0", object(), command_key=b"k")
