"""One vocabulary of call and ring outcomes (models.vocabulary), used everywhere.

Before, the words were written three times (the models' CHECK constraints, the
events' Literal types, the normalizer's table); these tests keep every place
that turns Asterisk's words into ours inside the one vocabulary.
"""
from __future__ import annotations

import typing

from sqlalchemy import CheckConstraint

from models.calls import Call, RingAttempt
from models.vocabulary import CALL_OUTCOMES, HUNG_UP_BY, RING_OUTCOMES
from telephony import events as ev
from telephony.call_record import CallRecord, RingAttemptRecord
from telephony.call_state import RING_PRECEDENCE
from telephony.normalizer import DIAL_STATUS_OUTCOME, normalize
from telephony.queue_log import COMPLETE_VERBS, EXIT_OUTCOMES


def _check(table, name: str) -> str:
    [constraint] = [c for c in table.constraints
                    if isinstance(c, CheckConstraint) and c.name == name]
    return str(constraint.sqltext)


def test_the_check_constraints_are_the_vocabulary_as_migration_0001_wrote_them():
    assert _check(Call.__table__, "ck_calls_outcome") == (
        "outcome IS NULL OR outcome IN ('answered', 'abandoned', 'timeout', 'exit_empty', "
        "'exit_key', 'transferred', 'ended_unseen')")
    assert _check(Call.__table__, "ck_calls_hung_up_by") == (
        "hung_up_by IS NULL OR hung_up_by IN ('caller', 'agent', 'transfer')")
    assert _check(RingAttempt.__table__, "ck_call_ring_attempts_outcome") == (
        "outcome IS NULL OR outcome IN ('answered', 'no_answer', 'cancelled', 'busy')")


def _literal_words(cls, field: str) -> set[str]:
    """The words of a field typed Literal[...] or Optional[Literal[...]]."""
    hint = typing.get_type_hints(cls)[field]
    if typing.get_origin(hint) is typing.Union:
        [hint] = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    assert typing.get_origin(hint) is typing.Literal, hint
    return set(typing.get_args(hint))


def test_events_and_records_are_typed_with_the_vocabulary():
    assert _literal_words(ev.CallAbandoned, "outcome") == set(CALL_OUTCOMES)
    assert _literal_words(ev.RingEnded, "outcome") == set(RING_OUTCOMES)
    assert _literal_words(ev.CallEnded, "hung_up_by") == set(HUNG_UP_BY)
    assert _literal_words(CallRecord, "outcome") == set(CALL_OUTCOMES)
    assert _literal_words(CallRecord, "hung_up_by") == set(HUNG_UP_BY)
    assert _literal_words(RingAttemptRecord, "outcome") == set(RING_OUTCOMES)


def test_every_translation_of_asterisks_words_lands_in_the_vocabulary():
    assert set(DIAL_STATUS_OUTCOME.values()) <= set(RING_OUTCOMES)
    assert set(EXIT_OUTCOMES.values()) <= set(CALL_OUTCOMES)
    assert set(COMPLETE_VERBS.values()) <= set(HUNG_UP_BY)
    assert set(RING_PRECEDENCE) == set(RING_OUTCOMES)


def test_agent_complete_reasons_map_onto_hung_up_by():
    def hung_up_by(reason: str) -> str:
        [ended] = normalize({"Event": "AgentComplete", "Uniqueid": "1.1", "Queue": "q",
                             "Reason": reason, "TalkTime": "3", "HoldTime": "1"}, 1.0)
        return ended.hung_up_by

    assert [hung_up_by(word) for word in ("caller", "Agent", "transfer", "", "odd")] == [
        "caller", "agent", "transfer", "caller", "caller"]
