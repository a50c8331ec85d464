"""The words stored for how a call and a ring ended (and how it was transferred):
one definition of each.

Each vocabulary is one `Literal` type; its tuple of words is read from it.
The models' CHECK constraints (models.calls), the typed events
(telephony.events), the call records (telephony.call_record) and the
normalizer all use these, so a new word is added here once. Kept in models/,
the ground floor, because the models may not import telephony.

The order of each tuple is the order of the words in the CHECK constraints of
the migrations: reordering a Literal changes the schema.
"""
from __future__ import annotations

from typing import Literal, get_args

CallOutcome = Literal[
    "answered", "abandoned", "timeout", "exit_empty", "exit_key", "transferred", "ended_unseen"
]
RingOutcome = Literal["answered", "no_answer", "cancelled", "busy"]
HungUpBy = Literal["caller", "agent", "transfer"]
TransferKind = Literal["blind", "attended"]

CALL_OUTCOMES: tuple[str, ...] = get_args(CallOutcome)
RING_OUTCOMES: tuple[str, ...] = get_args(RingOutcome)
HUNG_UP_BY: tuple[str, ...] = get_args(HungUpBy)
TRANSFER_KINDS: tuple[str, ...] = get_args(TransferKind)
