"""Calls placed through the bridge's signed command channel (telephony.commands).

The engine never opens AMI: it asks the command executor to run
`campaign_originate`, as the console's call-backs do with `originate_call`.
"""
from __future__ import annotations

import dataclasses
import logging

from campaigns.store import Claim
from telephony.commands import NOT_ANSWERING

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class DialReply:
    ok: bool
    message: str
    # False when the request may not have reached the bridge, or its answer was
    # lost: the call may still happen, so the attempt stays placed (its hangup
    # handler, or the stale sweep, ends it) and the engine holds off a while.
    known: bool = True


class CommandDialler:
    def __init__(self, client, timeout_s: float = 5.0):
        """`client`: a telephony.commands.CommandClient."""
        self.client = client
        self.timeout_s = timeout_s

    def place(self, claim: Claim) -> DialReply:
        reply = self.client.call("campaign_originate", timeout=self.timeout_s,
                                 attempt=str(claim.attempt_id), number=claim.phone,
                                 ring_timeout_s=claim.ring_timeout_s)
        message = str(reply.get("message", ""))
        known = not (message == NOT_ANSWERING or message.startswith("Redis unavailable"))
        return DialReply(bool(reply.get("ok")), message, known)
