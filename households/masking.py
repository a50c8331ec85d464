"""Masking of sensitive numbers for display: the full value stays in the database."""
from __future__ import annotations

MASK = "*"


def mask_identity_number(value: str | None) -> str:
    """'110101199003071234' -> '1101**********1234'.

    The first four (province and city) and the last four stay visible: enough for an
    agent to check what the caller reads out (001: verify before acting for someone),
    too little to reuse. Short or odd values keep at most their last two characters.
    """
    if not value:
        return ""
    text = "".join(value.split())
    if len(text) >= 12:
        return text[:4] + MASK * (len(text) - 8) + text[-4:]
    if len(text) > 4:
        return MASK * (len(text) - 2) + text[-2:]
    return MASK * len(text)
