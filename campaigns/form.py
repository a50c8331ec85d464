"""The supervisor's new-campaign form, read field by field: every wrong field is
named with a code (the page says it next to the field) and nothing typed is lost."""
from __future__ import annotations

import dataclasses
from typing import Optional

from campaigns.errors import CampaignConfigError
from campaigns.hours import parse_windows
from campaigns.store import CampaignSpec

FIELDS = ("kind", "dunning_stage", "name", "hours", "concurrency_cap", "hourly_cap", "max_attempts", "retry_spacing_min",
          "ring_timeout_s")
LIMITS = {"concurrency_cap": (1, 50), "hourly_cap": (1, 5000), "max_attempts": (1, 5),
          "retry_spacing_min": (1, 1440), "ring_timeout_s": (5, 120)}
KINDS = ("satisfaction", "dunning")
DEFAULTS = {"kind": "satisfaction", "dunning_stage": "", "name": "", "hours": "09:00-12:00,14:00-20:00", "concurrency_cap": "4",
            "hourly_cap": "120", "max_attempts": "3", "retry_spacing_min": "30",
            "ring_timeout_s": "30"}


@dataclasses.dataclass(frozen=True)
class Refused(Exception):
    errors: dict[str, str]


def read(typed: dict[str, str]) -> CampaignSpec:
    """The spec, or Refused with {field: code} (name_missing, hours_invalid,
    number_invalid, stage_missing)."""
    errors: dict[str, str] = {}
    kind = typed.get("kind", "") if typed.get("kind", "") in KINDS else "satisfaction"
    stage = _number(typed.get("dunning_stage", ""), 1, 4)
    if kind == "dunning" and stage is None:
        errors["dunning_stage"] = "stage_missing"
    name = typed.get("name", "").strip()
    if not name or len(name) > 120:
        errors["name"] = "name_missing"
    try:
        parse_windows(typed.get("hours", ""))
    except CampaignConfigError:
        errors["hours"] = "hours_invalid"
    numbers: dict[str, int] = {}
    for field, (low, high) in LIMITS.items():
        value = _number(typed.get(field, ""), low, high)
        if value is None:
            errors[field] = "number_invalid"
        else:
            numbers[field] = value
    if errors:
        raise Refused(errors)
    return CampaignSpec(kind=kind, name=name, hours=typed["hours"].replace(" ", ""),
                        concurrency_cap=numbers["concurrency_cap"],
                        hourly_cap=numbers["hourly_cap"], max_attempts=numbers["max_attempts"],
                        retry_spacing_s=numbers["retry_spacing_min"] * 60,
                        ring_timeout_s=numbers["ring_timeout_s"],
                        dunning_stage=stage if kind == "dunning" else None)


def _number(text: str, low: int, high: int) -> Optional[int]:
    text = text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if not text.isdigit():
        return None
    value = int(text)
    return value if low <= value <= high else None
