"""Turning checked cell text into values; each parser raises ValueError with a
message fit for the validation report (an import_messages.Message).

Cells are read as offices type them: full-width digits and letters (１３８…,
Ａ座) count as their ASCII selves, a building, unit or room may carry its usual
word (2号楼, 3栋, 2单元, 301室), one cell may hold several phones
(13812345678/13987654321, or split by 、，；,;), and a date may be an Excel date
serial (44263) or written 2021年3月8日.

Every text an import writes is bounded here, by `bounded`, against the length of
the SQLAlchemy column it goes to: the limit is the model's, so it cannot drift,
and PostgreSQL (which enforces lengths) never sees a text too long.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from households.import_messages import msg
from households.numbers import NormalizedNumber, normalize_number
from models.households import Occupancy, Phone

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日", "%Y年%m月%d号")
_PHONE_SEPARATORS = re.compile(r"[;；,，、/／\n]+")
# Full-width ASCII (U+FF01-FF5E) and the ideographic space: what a Chinese IME types.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# The words offices add to a number: 2号楼 / 2#楼 / 3栋 / 3幢 / B座 / 2单元 / 301室 / 第2单元.
_CODE_WORDS = re.compile(r"第?(?P<code>[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)\s*"
                         r"(?:号楼|#楼|#|楼|栋|幢|座|单元|室|号)?")
# Excel counts days from 1899-12-30 (the 1900 leap-year bug included). Five
# digits exactly, 10000-99999, is 1927-05-18 to 2173-10-14: every date these
# sheets hold, while 2021 (a year) stays refused and 20210308 is read as a date.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_EXCEL_SERIAL = re.compile(r"(?P<days>[1-9]\d{4})(?:\.\d+)?")
OCCUPANCY_WORDS = {
    "自住": Occupancy.OWNER_OCCUPIED, "业主自住": Occupancy.OWNER_OCCUPIED,
    "已入住": Occupancy.OWNER_OCCUPIED, "出租": Occupancy.RENTED, "租住": Occupancy.RENTED,
    "空置": Occupancy.VACANT, "未入住": Occupancy.VACANT, "托管": Occupancy.ENTRUSTED,
    **{member.value: member for member in Occupancy},
    "owner-occupied": Occupancy.OWNER_OCCUPIED,
}


def half_width(text: str) -> str:
    """'１３８１２３４５６７８' → '13812345678' (full-width forms as ASCII)."""
    return text.translate(_HALF_WIDTH)


def parse_date(text: str) -> dt.date:
    text = half_width(text).strip()
    if "T" in text and len(text) > 10:  # a datetime cell of the workbook
        text = text.split("T", 1)[0]
    serial = _EXCEL_SERIAL.fullmatch(text)
    if serial:
        # A date cell that lost its date format shows Excel's day number.
        return _EXCEL_EPOCH + dt.timedelta(days=int(serial.group("days")))
    compact = re.sub(r"\s+", "", text)
    for date_format in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(compact, date_format).date()
        except ValueError:
            continue
    raise ValueError(msg("%(text)s is not a date like 2024-03-01", text=repr(text[:30])))


def parse_amount(text: str, *, positive: bool = False, limit: Decimal = Decimal("1e9")) -> Decimal:
    cleaned = (half_width(text).replace(",", "").replace("，", "").replace("¥", "")
               .replace("￥", "").replace("元", "").strip())
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(msg("%(text)s is not a number", text=repr(text[:30]))) from None
    if not value.is_finite() or value < 0 or (positive and value == 0) or value >= limit:
        raise ValueError(msg("%(text)s is out of range", text=repr(text[:30])))
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(msg("%(text)s has more than 2 decimals", text=repr(text[:30])))
    return value.quantize(Decimal("0.01"))


def column_length(attribute) -> int:
    """The length of a model's String column: `column_length(Person.name)` → 100."""
    return attribute.property.columns[0].type.length


def bounded(text: str, attribute) -> str:
    """The text, if it fits the column it is written to; ValueError otherwise."""
    limit = column_length(attribute)
    if len(text) > limit:
        column = attribute.property.columns[0]
        raise ValueError(msg("%(length)d characters, more than the %(limit)d that "
                             "%(column)s holds", length=len(text), limit=limit,
                             column=f"{column.table.name}.{column.name}"))
    return text


def fitting(attribute):
    """A cell parser for plain text written to `attribute` (Person.name...)."""
    return lambda text: bounded(text, attribute)


def parse_phones(text: str, local_area_code: str) -> list[NormalizedNumber]:
    """'138 1234 5678; 010-62345678' or '13812345678/13987654321' → normalised
    numbers, every one matchable (a local number gets `local_area_code`,
    settings.local_area_code)."""
    numbers = []
    for part in _PHONE_SEPARATORS.split(half_width(text)):
        if not part.strip():
            continue
        number = normalize_number(part, local_area_code)
        if not number.matchable:
            raise ValueError(msg("%(text)s is not a phone number (%(kind)s)",
                                 text=repr(part.strip()[:30]), kind=number.kind.value))
        bounded(number.raw.strip(), Phone.raw)
        bounded(number.key, Phone.normalized)
        if number.key not in {n.key for n in numbers}:
            numbers.append(number)
    return numbers


def parse_occupancy(text: str) -> Occupancy:
    value = OCCUPANCY_WORDS.get(half_width(text).strip().lower())
    if value is None:
        raise ValueError(msg("%(text)s is not one of 自住, 出租, 空置, 托管",
                             text=repr(text[:30])))
    return value


def code_for(attribute):
    """A cell parser for a building, unit or room number (letters, digits and one
    dash, with its usual word dropped: 2号楼 → 2) written to `attribute`
    (Building.number...)."""
    def parse_code(text: str) -> str:
        match = _CODE_WORDS.fullmatch(half_width(text).strip())
        if not match:
            raise ValueError(msg("%(text)s is not a building/unit/room number",
                                 text=repr(text[:30])))
        code = match.group("code")
        return bounded((code.lstrip("0") or "0") if code.isdigit() else code, attribute)
    return parse_code
