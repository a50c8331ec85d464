"""Caller-number normalisation for Chinese numbers (pure: no database).

One key per line a resident can call from, whatever the trunk delivered:
mobiles as their 11 digits ("13812345678"), landlines in national form with the
trunk 0 ("01062345678", "075583456789"), so "+86 10 6234 5678", "0086-10-62345678",
"010 6234 5678" and a local "62345678" (area code from the setting) all meet.
"""
from __future__ import annotations

import dataclasses
import re

from models.households import PhoneKind

WITHHELD_WORDS = frozenset({
    "anonymous", "withheld", "private", "restricted", "unknown", "unavailable",
    "<unknown>", "asterisk", "s", "匿名", "未知", "unavailable number",
})
# Extensions: "ext 12", "x12", "转12", "分机12", "#12", or ",,12" dialled after pauses.
_EXTENSION = re.compile(r"(?:ext\.?|extension|x|转|分机|#|,+|;)\s*(\d{1,6})\s*$", re.I)
_DASHED_EXTENSION = re.compile(r"-\s*(\d{1,5})\s*$")
_SEPARATORS = re.compile(r"[\s\-().\u3000/·]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_SERVICE = re.compile(r"(?:1\d{2}|1\d{4}|95\d{3}|96\d{3,5}|400\d{7}|800\d{7})")
# 2-digit area codes (010, 020..029) take 8-digit numbers; the rest 7 or 8.
_LANDLINE_NATIONAL = re.compile(r"0(?:(?:10|2\d)[2-9]\d{7}|[3-9]\d{2}[2-9]\d{6,7})")
MAX_RAW_LENGTH = 64


@dataclasses.dataclass(frozen=True)
class NormalizedNumber:
    raw: str
    kind: PhoneKind
    key: str | None  # what phones.normalized holds; None when there is nothing to match
    area_code: str | None = None
    extension: str | None = None

    @property
    def matchable(self) -> bool:
        return self.key is not None and self.kind in (
            PhoneKind.MOBILE, PhoneKind.LANDLINE, PhoneKind.SERVICE,
            PhoneKind.INTERNATIONAL)


def normalize_number(raw: str | None, local_area_code: str) -> NormalizedNumber:
    """Classify and normalise a caller number; never raises.

    `local_area_code` is settings.local_area_code (a local "62345678" gets it),
    handed in by the caller (households.terms.HouseholdTerms).
    """
    text = "" if raw is None else str(raw)
    raw_kept = text[:MAX_RAW_LENGTH]
    stripped = text.strip().strip('"').strip()
    if not stripped:
        return NormalizedNumber(raw_kept, PhoneKind.EMPTY, None)
    if stripped.lower() in WITHHELD_WORDS or len(text) > MAX_RAW_LENGTH:
        kind = PhoneKind.WITHHELD if stripped.lower() in WITHHELD_WORDS else PhoneKind.INVALID
        return NormalizedNumber(raw_kept, kind, None)
    body, extension = _split_extension(stripped)
    plus = body.startswith("+")
    digits = _SEPARATORS.sub("", body.lstrip("+"))
    if not digits.isascii() or not digits.isdigit():
        return NormalizedNumber(raw_kept, PhoneKind.INVALID, None)
    area = local_area_code
    number = _classify(raw_kept, digits, plus, extension, area)
    trailing = _DASHED_EXTENSION.search(body)
    if number.kind == PhoneKind.INVALID and extension is None and trailing:
        # "010-62345678-123": the last dashed group is an extension.
        shorter = _SEPARATORS.sub("", body[:trailing.start()].lstrip("+"))
        if shorter.isdigit():
            retry = _classify(raw_kept, shorter, plus, trailing.group(1), area)
            if retry.kind in (PhoneKind.LANDLINE, PhoneKind.MOBILE):
                return retry
    return number


def _split_extension(text: str) -> tuple[str, str | None]:
    match = _EXTENSION.search(text)
    if match and match.start() > 0:
        return text[:match.start()], match.group(1)
    return text, None


def _split_country_code(digits: str, plus: bool) -> tuple[str | None, bool]:
    """(national digits, came in international form); None national = not Chinese."""
    if plus:
        return (digits[2:], True) if digits.startswith("86") else (None, True)
    if digits.startswith("0086"):
        return digits[4:], True
    if digits.startswith("00"):
        return None, True
    rest = digits[2:]
    if digits.startswith("86") and (_MOBILE.fullmatch(rest) or
                                    _LANDLINE_NATIONAL.fullmatch("0" + rest)):
        return rest, True
    return digits, False


def _classify(raw: str, digits: str, plus: bool, extension: str | None,
              area: str) -> NormalizedNumber:
    national, country_form = _split_country_code(digits, plus)
    if national is None:
        foreign = digits[2:] if digits.startswith("00") else digits
        if 7 <= len(foreign) <= 15:
            return NormalizedNumber(raw, PhoneKind.INTERNATIONAL, "+" + foreign,
                                    extension=extension)
        return NormalizedNumber(raw, PhoneKind.INVALID, None)
    if _MOBILE.fullmatch(national):
        return NormalizedNumber(raw, PhoneKind.MOBILE, national, extension=extension)
    if national.startswith("0") and _MOBILE.fullmatch(national[1:]):
        # Some PBXs dial a trunk 0 before a mobile from another city.
        return NormalizedNumber(raw, PhoneKind.MOBILE, national[1:], extension=extension)
    if _SERVICE.fullmatch(national):
        return NormalizedNumber(raw, PhoneKind.SERVICE, national, extension=extension)
    with_trunk = national if national.startswith("0") or not country_form else "0" + national
    if _LANDLINE_NATIONAL.fullmatch(with_trunk):
        return NormalizedNumber(raw, PhoneKind.LANDLINE, with_trunk,
                                area_code=_area_of(with_trunk), extension=extension)
    if not country_form and _is_local_subscriber(national, area):
        return NormalizedNumber(raw, PhoneKind.LANDLINE, area + national,
                                area_code=area, extension=extension)
    if not country_form and 2 <= len(national) <= 6:
        return NormalizedNumber(raw, PhoneKind.INTERNAL, national, extension=extension)
    return NormalizedNumber(raw, PhoneKind.INVALID, None)


def _is_local_subscriber(digits: str, area: str) -> bool:
    return bool(_LANDLINE_NATIONAL.fullmatch(area + digits)) and digits[0] in "23456789"


def _area_of(national: str) -> str:
    return national[:3] if national[1] in "12" else national[:4]


def format_number(key: str | None) -> str:
    """A key as people write it: 138 1234 5678, 010-62345678."""
    if not key:
        return ""
    if _MOBILE.fullmatch(key):
        return f"{key[:3]} {key[3:7]} {key[7:]}"
    if _LANDLINE_NATIONAL.fullmatch(key):
        area = _area_of(key)
        return f"{area}-{key[len(area):]}"
    return key
