"""The retention periods (maintenance/retention.ini, or a site's copy)."""
from __future__ import annotations

import configparser
import dataclasses
from pathlib import Path

from maintenance.errors import RetentionPolicyError

DEFAULT_POLICY_FILE = Path(__file__).resolve().parent / "retention.ini"
SECTION = "retention"


@dataclasses.dataclass(frozen=True)
class RetentionPolicy:
    recordings_days: int
    referenced_recordings_days: int
    caller_numbers_days: int
    identity_numbers_days: int
    audit_log_days: int
    source: str = ""


PERIOD_NAMES = tuple(field.name for field in dataclasses.fields(RetentionPolicy)
                     if field.name.endswith("_days"))


def load_policy(path: Path = DEFAULT_POLICY_FILE) -> RetentionPolicy:
    parser = configparser.ConfigParser()
    try:
        with open(path, encoding="utf-8") as file:
            parser.read_file(file)
    except (OSError, configparser.Error) as error:
        raise RetentionPolicyError(f"{path}: cannot be read ({error})") from None
    if not parser.has_section(SECTION):
        raise RetentionPolicyError(f"{path}: no [{SECTION}] section")
    values = {}
    for name in PERIOD_NAMES:
        text = parser.get(SECTION, name, fallback=None)
        if text is None:
            raise RetentionPolicyError(f"{path}: {name} is missing")
        if not text.strip().isdigit() or int(text) < 1:
            raise RetentionPolicyError(f"{path}: {name} = {text!r} is not a whole number of "
                                       "days of at least 1")
        values[name] = int(text)
    unknown = set(parser.options(SECTION)) - set(PERIOD_NAMES)
    if unknown:
        raise RetentionPolicyError(f"{path}: unknown setting {sorted(unknown)[0]}")
    if values["referenced_recordings_days"] < values["recordings_days"]:
        raise RetentionPolicyError(f"{path}: referenced_recordings_days must be at least "
                                   "recordings_days (evidence is kept longer, not shorter)")
    return RetentionPolicy(**values, source=str(path))
