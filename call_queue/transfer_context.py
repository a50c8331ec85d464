"""What travels with a transferred call: the household, the agent's note, the work orders.

The transferring agent's console stores it in Redis under the queue call's id
(queue_log's callid, the caller's Uniqueid, which a transfer keeps) before it
asks for the transfer; the receiving agent's console reads it for its pop. It
expires: a transfer that never arrived leaves nothing behind for long.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import re
from typing import Optional

import redis

from models.vocabulary import TRANSFER_KINDS

log = logging.getLogger(__name__)

KEY_PREFIX = "hotline:transfer:"
TTL_S = 3600
NOTE_MAX_CHARS = 500
_CALLID = re.compile(r"^[0-9]{1,20}\.[0-9]{1,12}$")


class TransferContextError(ValueError):
    """A context that cannot be stored as given (bad callid, note too long...)."""


@dataclasses.dataclass(frozen=True)
class TransferContext:
    callid: str
    from_user: str            # the transferring agent's login name
    from_interface: str
    target: str               # the number transferred to (an agent's phone: 80NN)
    target_interface: str     # the receiving phone's interface, "" for a number outside
    kind: str                 # "blind" or "attended"
    household_id: Optional[int] = None
    note: str = ""
    work_order_ids: tuple[int, ...] = ()

    def __post_init__(self):
        if not _CALLID.match(self.callid or ""):
            raise TransferContextError(f"callid {self.callid!r} is not a queue call id")
        if len(self.note) > NOTE_MAX_CHARS:
            raise TransferContextError(f"the note is longer than {NOTE_MAX_CHARS} characters")
        if self.kind not in TRANSFER_KINDS:
            raise TransferContextError(f"transfer kind {self.kind!r} is not blind/attended")

    def to_json(self) -> str:
        return json.dumps({**dataclasses.asdict(self),
                           "work_order_ids": list(self.work_order_ids)}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> "TransferContext":
        fields = json.loads(text)
        fields["work_order_ids"] = tuple(fields.get("work_order_ids") or ())
        return cls(**fields)


def key_for(callid: str) -> str:
    return KEY_PREFIX + callid


def save(client: redis.Redis, context: TransferContext, ttl_s: int = TTL_S) -> None:
    client.set(key_for(context.callid), context.to_json(), ex=ttl_s)


def load(client: redis.Redis, callid: str) -> Optional[TransferContext]:
    """The call's context, or None (none stored, expired, or unreadable: logged)."""
    if not _CALLID.match(callid or ""):
        return None
    raw = client.get(key_for(callid))
    if raw is None:
        return None
    try:
        return TransferContext.from_json(raw)
    except (ValueError, TypeError) as error:
        log.warning("transfer context of %s unreadable: %s", callid, error)
        return None


def for_receiver(client: redis.Redis, callid: str, interface: str) -> Optional[TransferContext]:
    """The context only if `interface` is the phone the call was transferred to."""
    context = load(client, callid)
    if context is None or not interface or context.target_interface != interface:
        return None
    return context
