"""Call controls the console asks the bridge for: the AMI actions behind them.

Every command names the agent's own channel (the console checks it is the
agent's call before sending; the bridge checks its form). How each is done in
Asterisk 22, and why:

- hangup: AMI `Hangup` of the agent's channel; the caller is released by the
  bridge and queue_log says COMPLETEAGENT.
- hold / retrieve: there is no AMI action that holds a bridged call the way a
  desk phone's re-INVITE does. The agent's channel has the dynamic feature
  `hotline_hold` (features.conf, DTMF "C"); `PlayDTMF ... Receive: yes` makes
  the bridge see it as if the agent pressed it, and the caller runs
  hotline-hold (music on hold) without leaving the queue's bridge. queue_log
  and the stored call see one unbroken call with the same agent; Redirect or
  Park would end the queue call (COMPLETECALLER / BLINDTRANSFER to a lot).
  Retrieve sets SHARED(HOTLINE_HOLD) on the agent's channel to "no" (`Setvar`),
  which ends the loop.
- blind transfer: AMI `BlindTransfer` of the agent's channel to
  hotline-transfer,<exten>: the caller goes on, app_queue writes BLINDTRANSFER
  and the normalizer's BlindTransfer event makes the stored call "transferred".
- attended transfer: AMI `Atxfer` (needs the atxfer code in features.conf and
  Queue's option t): the caller hears music on hold while the agent consults
  the target; complete (D B) and cancel (D A) are the atxfercomplete and
  atxferabort codes, received on the agent's channel. Completion writes
  ATTENDEDTRANSFER. Hanging up during the consult also completes it.
- DTMF: each digit `PlayDTMF ... Receive: yes` on the agent's channel, so it
  reaches the caller through the bridge; the feature codes are letters A-D,
  which the digits 0-9 * # never start.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from telephony.errors import CommandError

TRANSFER_CONTEXT = "hotline-transfer"
HOLD_FEATURE = "C"
ATXFER_COMPLETE = "DB"
ATXFER_ABORT = "DA"
HOLD_VARIABLE = "SHARED(HOTLINE_HOLD)"
MAX_DIGITS = 20

CHANNEL = re.compile(r"^[A-Za-z0-9]+/[A-Za-z0-9@._:+\-/;]{1,120}$")
# A transfer target is dialled (FILTER(0-9) in the dialplan too): digits only.
EXTEN = re.compile(r"^[0-9]{2,20}$")
DIGITS = re.compile(rf"^[0-9*#]{{1,{MAX_DIGITS}}}$")


def _checked(pattern: re.Pattern, what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not pattern.match(value):
            raise CommandError(f"{what} {value!r} is not valid")
        return value
    return check


channel = _checked(CHANNEL, "channel")
exten = _checked(EXTEN, "transfer number")
digits = _checked(DIGITS, "DTMF digits")

# name -> (required checks, optional checks); telephony.commands makes them CommandSpecs.
SPECS: dict[str, tuple[dict, dict]] = {
    "hangup": ({"channel": channel}, {}),
    "hold": ({"channel": channel}, {}),
    "retrieve": ({"channel": channel}, {}),
    "blind_transfer": ({"channel": channel, "exten": exten}, {}),
    "attended_transfer": ({"channel": channel, "exten": exten}, {}),
    "attended_complete": ({"channel": channel}, {}),
    "attended_cancel": ({"channel": channel}, {}),
    "dtmf": ({"channel": channel, "digits": digits}, {}),
}


def _received(channel_name: str, sequence: str) -> list[dict]:
    return [{"Action": "PlayDTMF", "Channel": channel_name, "Digit": digit, "Receive": "yes"}
            for digit in sequence]


def actions(name: str, args: dict) -> list[dict]:
    """The AMI actions, sent in order, for a validated call-control command."""
    agent_channel = args["channel"]
    if name == "hangup":
        return [{"Action": "Hangup", "Channel": agent_channel, "Cause": 16}]
    if name == "hold":
        return _received(agent_channel, HOLD_FEATURE)
    if name == "retrieve":
        return [{"Action": "Setvar", "Channel": agent_channel, "Variable": HOLD_VARIABLE,
                 "Value": "no"}]
    if name == "blind_transfer":
        return [{"Action": "BlindTransfer", "Channel": agent_channel,
                 "Context": TRANSFER_CONTEXT, "Exten": args["exten"]}]
    if name == "attended_transfer":
        return [{"Action": "Atxfer", "Channel": agent_channel, "Context": TRANSFER_CONTEXT,
                 "Exten": args["exten"]}]
    if name == "attended_complete":
        return _received(agent_channel, ATXFER_COMPLETE)
    if name == "attended_cancel":
        return _received(agent_channel, ATXFER_ABORT)
    if name == "dtmf":
        return _received(agent_channel, args["digits"])
    raise CommandError(f"unknown call-control command {name!r}")
