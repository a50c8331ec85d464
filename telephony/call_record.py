"""Typed call records: what the bridge hands the call writer.

A CallRecord is a row of `calls` as one producer knows it, with the call's
ring attempts: the state machine's record of a call it follows (every field it
knows), or a partial update from a finishing pass, a resync or a recording
(callid and the few fields it knows). In both, None means "not known here":
the writer keeps what the row holds, so a bridge that restarted and sees only
the end of a call completes the row instead of blanking it. `closed` is True
for the record that ends the call (its ring attempts still open are then
cancelled), False while it lives, None when the producer does not say.

The fields are the columns (a test keeps them equal to models.calls), so a
misspelt one is a TypeError where the record is built. Slots dataclasses, not
frozen: the state machine builds one per changed call per event, and frozen
ones cost three times as much to build. Treat them as values all the same.

Records leave the process only as JSON (the spool, dead letters): `as_json()`
gives the known fields, `from_json()` reads them back strictly, so a spool file
or dead letter of an older bridge (the same keys) is read as it was written.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from operator import attrgetter
from typing import Any, Mapping, Optional, Union

from models.vocabulary import CallOutcome, HungUpBy, RingOutcome

# POSIX seconds as the events carry them, or a datetime (queue_log, the spool).
Moment = Union[float, dt.datetime]


@dataclasses.dataclass(slots=True)
class RingAttemptRecord:
    """One ring of one member's phone (a row of call_ring_attempts)."""

    callid: str
    attempt_key: str
    member_name: Optional[str] = None
    interface: Optional[str] = None
    agent_channel: Optional[str] = None
    started_at: Optional[Moment] = None
    ended_at: Optional[Moment] = None
    outcome: Optional[RingOutcome] = None
    ring_ms: Optional[int] = None

    def as_json(self) -> dict[str, Any]:
        return {name: value for name, value in zip(ATTEMPT_FIELDS, read_attempt_columns(self))
                if value is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "RingAttemptRecord":
        return cls(**data)


@dataclasses.dataclass(slots=True)
class CallRecord:
    """A call's row, whole or in part; None keeps what the row holds."""

    callid: str
    linkedid: Optional[str] = None
    channel: Optional[str] = None
    caller_number_raw: Optional[str] = None
    caller_number: Optional[str] = None
    caller_name: Optional[str] = None
    dialled_number: Optional[str] = None
    queue: Optional[str] = None
    position: Optional[int] = None
    entered_queue_at: Optional[Moment] = None
    answered_at: Optional[Moment] = None
    agent_interface: Optional[str] = None
    agent_member: Optional[str] = None
    agent_channel: Optional[str] = None
    ring_s: Optional[int] = None
    rings: Optional[int] = None
    wait_s: Optional[int] = None
    talk_s: Optional[int] = None
    hold_s: Optional[int] = None
    wrapup_s: Optional[int] = None
    ended_at: Optional[Moment] = None
    hung_up_by: Optional[HungUpBy] = None
    outcome: Optional[CallOutcome] = None
    transfer_target: Optional[str] = None
    transfer_kind: Optional[str] = None
    transfer_interface: Optional[str] = None
    transfer_channel: Optional[str] = None
    transfer_answered_at: Optional[Moment] = None
    transfer_ended_at: Optional[Moment] = None
    recording_path: Optional[str] = None
    recording_duration_s: Optional[float] = None
    recording_size_bytes: Optional[int] = None
    attempts: tuple[RingAttemptRecord, ...] = ()
    closed: Optional[bool] = None

    def column_values(self) -> dict[str, Any]:
        """Every column this record knows (not None), by name: what it sets in the row."""
        return {name: value for name, value in zip(COLUMN_FIELDS, read_columns(self))
                if value is not None}

    def as_json(self) -> dict[str, Any]:
        data = self.column_values()
        if self.attempts:
            data["attempts"] = [attempt.as_json() for attempt in self.attempts]
        if self.closed is not None:
            data["closed"] = self.closed
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CallRecord":
        """The record a JSON object (or a literal) describes; an unknown key is a TypeError."""
        values = dict(data)
        attempts = values.pop("attempts", None) or ()
        return cls(**values, attempts=tuple(
            attempt if isinstance(attempt, RingAttemptRecord)
            else RingAttemptRecord.from_json(attempt) for attempt in attempts))


# The columns of each record, in field order (attempts and closed are not columns).
COLUMN_FIELDS = tuple(field.name for field in dataclasses.fields(CallRecord)
                      if field.name not in ("attempts", "closed"))
ATTEMPT_FIELDS = tuple(field.name for field in dataclasses.fields(RingAttemptRecord))


# Every column value of a record, in field order: one call reads them all (the
# writer reads thousands of records a second).
read_columns = attrgetter(*COLUMN_FIELDS)
read_attempt_columns = attrgetter(*ATTEMPT_FIELDS)


def as_call_record(record: Union[CallRecord, Mapping[str, Any]]) -> CallRecord:
    """A CallRecord as it is, or one read strictly from a mapping (spool, dead letter)."""
    if isinstance(record, CallRecord):
        return record
    if isinstance(record, Mapping):
        return CallRecord.from_json(record)
    raise TypeError(f"a call record is a CallRecord, not {type(record).__name__}")
