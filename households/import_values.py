"""Turning checked cell text into values; each parser raises ValueError with a
message fit for the validation report.

Every text an import writes is bounded here, by `bounded`, against the length of
the SQLAlchemy column it goes to: the limit is the model's, so it cannot drift,
and PostgreSQL (which enforces lengths) never sees a text too long.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from households.numbers import NormalizedNumber, normalize_number
from models.households import Occupancy, Phone

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_PHONE_SEPARATORS = re.compile(r"[;；,，、\n]+")
OCCUPANCY_WORDS = {
    "自住": Occupancy.OWNER_OCCUPIED, "业主自住": Occupancy.OWNER_OCCUPIED,
    "已入住": Occupancy.OWNER_OCCUPIED, "出租": Occupancy.RENTED, "租住": Occupancy.RENTED,
    "空置": Occupancy.VACANT, "未入住": Occupancy.VACANT, "托管": Occupancy.ENTRUSTED,
    **{member.value: member for member in Occupancy},
    "owner-occupied": Occupancy.OWNER_OCCUPIED,
}


def parse_date(text: str) -> dt.date:
    text = text.strip()
    if "T" in text and len(text) > 10:  # a datetime cell of the workbook
        text = text.split("T", 1)[0]
    for date_format in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    raise ValueError(f"{text[:30]!r} is not a date like 2024-03-01")


def parse_amount(text: str, *, positive: bool = False, limit: Decimal = Decimal("1e9")) -> Decimal:
    cleaned = text.replace(",", "").replace("，", "").replace("¥", "").replace("元", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text[:30]!r} is not a number") from None
    if not value.is_finite() or value < 0 or (positive and value == 0) or value >= limit:
        raise ValueError(f"{text[:30]!r} is out of range")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{text[:30]!r} has more than 2 decimals")
    return value.quantize(Decimal("0.01"))


def column_length(attribute) -> int:
    """The length of a model's String column: `column_length(Person.name)` → 100."""
    return attribute.property.columns[0].type.length


def bounded(text: str, attribute) -> str:
    """The text, if it fits the column it is written to; ValueError otherwise."""
    limit = column_length(attribute)
    if len(text) > limit:
        column = attribute.property.columns[0]
        raise ValueError(f"{len(text)} characters, more than the {limit} that "
                         f"{column.table.name}.{column.name} holds")
    return text


def fitting(attribute):
    """A cell parser for plain text written to `attribute` (Person.name...)."""
    return lambda text: bounded(text, attribute)


def parse_phones(text: str, local_area_code: str) -> list[NormalizedNumber]:
    """'138 1234 5678; 010-62345678' → normalised numbers, every one matchable
    (a local number gets `local_area_code`, settings.local_area_code)."""
    numbers = []
    for part in _PHONE_SEPARATORS.split(text):
        if not part.strip():
            continue
        number = normalize_number(part, local_area_code)
        if not number.matchable:
            raise ValueError(f"{part.strip()[:30]!r} is not a phone number ({number.kind.value})")
        bounded(number.raw.strip(), Phone.raw)
        bounded(number.key, Phone.normalized)
        if number.key not in {n.key for n in numbers}:
            numbers.append(number)
    return numbers


def parse_occupancy(text: str) -> Occupancy:
    value = OCCUPANCY_WORDS.get(text.strip().lower())
    if value is None:
        raise ValueError(f"{text[:30]!r} is not one of 自住, 出租, 空置, 托管")
    return value


def code_for(attribute):
    """A cell parser for a building, unit or room number (letters, digits and one
    dash) written to `attribute` (Building.number...)."""
    def parse_code(text: str) -> str:
        if not re.fullmatch(r"[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?", text):
            raise ValueError(f"{text[:30]!r} is not a building/unit/room number")
        return bounded((text.lstrip("0") or "0") if text.isdigit() else text, attribute)
    return parse_code
