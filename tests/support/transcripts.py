"""The recorded AMI transcripts (tests/fixtures/ami) replayed through the normalizer
and the call state machine: what the bridge would have written for those calls."""
from __future__ import annotations

from pathlib import Path

from households.samples import SAMPLE_AREA_CODE
from telephony import events as ev
from telephony.ami.protocol import parse_stream
from telephony.call_record import CallRecord
from telephony.normalizer import normalize
from telephony.state_machine import CallStateMachine

SHARED_AMI = Path(__file__).resolve().parents[1] / "fixtures" / "ami"
TRANSCRIPTS = ("local-channels-two-answered.ami", "queue-pause-answer-abandon.ami")


def transcript_events(name: str) -> list[ev.CallEvent]:
    """Every typed event of a recorded transcript, one second apart (it has no times)."""
    messages = parse_stream((SHARED_AMI / name).read_bytes())
    events = []
    for index, message in enumerate(messages):
        events.extend(normalize(message, 1_795_445_000.0 + index))
    return events


def state_machine(**options) -> CallStateMachine:
    """A CallStateMachine as the bridge builds one, keying caller numbers on the
    samples' area code (households.samples.SAMPLE_AREA_CODE) unless told another."""
    options.setdefault("local_area_code", SAMPLE_AREA_CODE)
    return CallStateMachine(**options)


def replay(names=TRANSCRIPTS, machine=None) -> dict[str, CallRecord]:
    """The call records of the transcripts `names`, by call id."""
    machine = machine or state_machine(ring_cadence_s=5.0, wrapup_s=30)
    for name in names:
        machine.apply_all(transcript_events(name))
    return {record.callid: record for record in machine.take_changed()}
