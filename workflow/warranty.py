"""Warranty: is a repair free? Within its category's period from the household's
key handover (Household.key_handover_on) it is; after it, it is paid; the agent
may override either way, with a reason that is stored on the order."""
from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Optional

from workflow.errors import BadIntake
from workflow.rules import COMMON_PART_CATEGORIES, WARRANTY_YEARS

OVERRIDE_REASON_MAX = 200


@dataclasses.dataclass(frozen=True)
class WarrantyDecision:
    status: str                  # models.console.WARRANTY_STATUSES
    free: Optional[bool]         # None: no rule decides (no handover date, no period)
    until: Optional[dt.date]


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def decide(category: str, handover_on: Optional[dt.date], on_day: dt.date) -> WarrantyDecision:
    """The rule's answer for a repair of `category` reported on `on_day`."""
    if category in COMMON_PART_CATEGORIES:
        return WarrantyDecision("not_covered", True, None)
    years = WARRANTY_YEARS.get(category)
    if years is None:
        return WarrantyDecision("not_covered", None, None)
    if handover_on is None:
        return WarrantyDecision("no_handover_date", None, None)
    until = _add_years(handover_on, years)
    if on_day < until:
        return WarrantyDecision("in_warranty", True, until)
    return WarrantyDecision("expired", False, until)


def paid_for(decision: WarrantyDecision, agent_paid: bool, override_reason: str) -> bool:
    """Paid or free: the rule's answer unless the agent overrides it, which takes a
    reason (then the agent's paid/free stands). Where no rule decides, the agent's
    choice stands."""
    reason = override_reason.strip()
    if len(reason) > OVERRIDE_REASON_MAX:
        raise BadIntake(f"the override reason has {len(reason)} characters "
                        f"(at most {OVERRIDE_REASON_MAX})")
    if reason or decision.free is None:
        return agent_paid
    return not decision.free
