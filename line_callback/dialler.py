"""Placeholders placed through the bridge's signed command channel (telephony.commands,
`callback_originate`), as campaigns.dialler places campaign calls."""
from __future__ import annotations

from campaigns.dialler import DialReply
from line_callback.store import Claim
from telephony.commands import NOT_ANSWERING


class CallbackDialler:
    def __init__(self, client, ring_timeout_s: int, timeout_s: float = 5.0):
        """`client`: a telephony.commands.CommandClient."""
        self.client, self.ring_timeout_s, self.timeout_s = client, ring_timeout_s, timeout_s

    def place(self, claim: Claim, position: int) -> DialReply:
        reply = self.client.call(
            "callback_originate", timeout=self.timeout_s, attempt=str(claim.attempt_id),
            callid=claim.callid, number=claim.caller_number, queue=claim.queue,
            position=position, original_callid=claim.original_callid,
            number_of_attempt=claim.number, ring_timeout_s=self.ring_timeout_s)
        message = str(reply.get("message", ""))
        known = not (message == NOT_ANSWERING or message.startswith("Redis unavailable"))
        return DialReply(bool(reply.get("ok")), message, known)
