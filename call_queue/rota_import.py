"""The rota from the office's Excel sheet (排班表): one shift a row, read through the
hardened spreadsheet reader of the imports (households.tabular: size, row and column
caps, zip-bomb and dimension checks, defusedxml, formulas refused), checked row by
row with the same rules as a shift typed on the page (call_queue.rota).

A sheet is imported whole or not at all: every problem is named by its row and
column, as Excel shows them, and nothing is written while one remains. A row
already in the rota (same agent, kind, start and end) is counted as unchanged, so
importing the same sheet twice adds nothing. An overlap with the rota or with
another row of the sheet refuses the row; the import takes each agent's rota lock
(lock_agent_rota) before it looks, as the page does.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from call_queue import rota
from households.errors import FileProblem
from households.import_messages import Message, msg
from households.import_values import parse_date
from households.sheet_files import DEFAULT_LIMITS, ImportLimits
from households.tabular import Column, Problem, RowCells, Table, read_table
from models.rota import RotaShift

log = logging.getLogger(__name__)

COLUMNS = [
    Column("agent", ("坐席", "客服", "姓名", "值班人", "工号", "用户名", "name", "username"),
           required=True),
    Column("day", ("日期", "date"), required=True),
    Column("kind", ("班次", "shift"), required=True),
    Column("start", ("开始", "开始时间", "上班", "上班时间", "start"), required=True),
    Column("end", ("结束", "结束时间", "下班", "下班时间", "end"), required=True),
]
KIND_WORDS = {"day": "day", "白班": "day", "早班": "day", "日班": "day",
              "evening": "evening", "中班": "evening", "午班": "evening", "晚班": "evening",
              "night": "night", "夜班": "night", "值班": "night", "夜间值班": "night"}
# Which sheet column a refusal of call_queue.rota belongs to.
FIELD_COLUMNS = {"user_id": "agent", "day": "day", "kind": "kind", "start": "start",
                 "end": "end"}
REFUSALS = {
    "agent_unknown": msg("no active agent of that name or user name"),
    "day_invalid": msg("not a date like 2026-12-01"),
    "kind_invalid": msg("not a shift: 白班, 中班 or 夜班 (day, evening, night)"),
    "time_invalid": msg("not a time like 08:30"),
    "end_before_start": msg("the shift ends before it starts (only a night shift may end "
                            "the next morning)"),
    "too_long": msg("a shift is at most 16 hours"),
    "overlap": msg("this agent already has a shift at that time"),
}
_TIME_TEXT = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：]\d{2})?$")


@dataclasses.dataclass(frozen=True)
class RotaRow:
    row: int  # as Excel numbers it
    name: str  # the agent's display name
    draft: rota.ShiftDraft
    unchanged: bool  # already in the rota: importing it again adds nothing


@dataclasses.dataclass(frozen=True)
class RotaPreview:
    rows: tuple[RotaRow, ...]
    problems: tuple[Problem, ...]
    table: Optional[Table]

    @property
    def new_rows(self) -> tuple[RotaRow, ...]:
        return tuple(row for row in self.rows if not row.unchanged)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclasses.dataclass(frozen=True)
class RotaImported:
    added: int
    unchanged: int


def _agent_ids(session: Session) -> tuple[dict[str, int], set[str], dict[int, str]]:
    """Name or user name -> id; names two agents share; id -> name to show."""
    by_name: dict[str, int] = {}
    shared: set[str] = set()
    shown: dict[int, str] = {}
    for user in rota.rota_agents(session):
        shown[user.id] = user.display_name or user.username
        for key in {user.username, user.display_name or ""} - {""}:
            if key in by_name and by_name[key] != user.id:
                shared.add(key)
            by_name[key] = user.id
    return by_name, shared, shown


def _time_text(text: str) -> str:
    """'8:00', '08:00:00' (a time cell), '0.3333' (a time that lost its format) as HH:MM."""
    found = _TIME_TEXT.match(text.strip())
    if found:
        return f"{int(found.group(1)):02d}:{found.group(2)}"
    try:
        fraction = float(text)
    except ValueError:
        return text
    if 0 <= fraction < 1:
        minutes = round(fraction * 24 * 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"
    return text


def _form(cells: RowCells, by_name, shared, problems: list[Problem]) -> Optional[rota.ShiftForm]:
    number = cells.number
    agent = cells.get("agent", required=True)
    day = cells.get("day", parse_date, required=True)
    kind_text = cells.get("kind", required=True)
    start, end = cells.get("start", required=True), cells.get("end", required=True)
    if agent is not None and agent in shared:
        problems.append(Problem(number, "agent", msg(
            "two agents are called %(name)s: write the user name", name=agent)))
    elif agent is not None and agent not in by_name:
        problems.append(Problem(number, "agent", REFUSALS["agent_unknown"]))
    kind = KIND_WORDS.get((kind_text or "").strip().lower())
    if kind_text is not None and kind is None:
        problems.append(Problem(number, "kind", REFUSALS["kind_invalid"]))
    for column, text in (("start", start), ("end", end)):
        if text is not None and rota.parse_time(_time_text(text)) is None:
            problems.append(Problem(number, column, REFUSALS["time_invalid"]))
    if len(problems) > cells.first_problem or None in (agent, day, kind, start, end):
        return None
    return rota.ShiftForm(str(by_name[agent]), day.isoformat(), kind, _time_text(start),
                          _time_text(end))


def _overlaps(one: rota.ShiftDraft, other: rota.ShiftDraft) -> bool:
    return (one.user_id == other.user_id and one.starts_at < other.ends_at
            and other.starts_at < one.ends_at)


def _check_row(session: Session, number: int, form: rota.ShiftForm, zone: ZoneInfo,
               accepted: list[RotaRow], shown: dict[int, str],
               problems: list[Problem]) -> Optional[RotaRow]:
    try:
        draft = rota.read_shift(session, form, zone)
    except rota.ShiftRefused as refused:
        problems.extend(Problem(number, FIELD_COLUMNS[field], REFUSALS[code])
                        for field, code in refused.errors.items())
        return None
    earlier = next((row for row in accepted if _overlaps(row.draft, draft)), None)
    if earlier is not None:
        problems.append(Problem(number, "start", msg(
            "overlaps row %(row)d of this sheet (the same agent)", row=earlier.row)))
        return None
    existing = rota.clashing_shift(session, draft)
    if existing is not None and not _same(existing, draft):
        problems.append(Problem(number, "start", REFUSALS["overlap"]))
        return None
    return RotaRow(number, shown[draft.user_id], draft, unchanged=existing is not None)


def _same(shift: RotaShift, draft: rota.ShiftDraft) -> bool:
    return (shift.kind == draft.kind and shift.day == draft.day
            and _utc(shift.starts_at) == draft.starts_at and _utc(shift.ends_at) == draft.ends_at)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def preview_rota(session: Session, path: Path, zone: ZoneInfo,
                 limits: ImportLimits = DEFAULT_LIMITS) -> RotaPreview:
    """Every row read and checked against the rota; nothing written."""
    try:
        table = read_table(path, COLUMNS, limits)
    except FileProblem as problem:
        return RotaPreview((), (Problem(None, None, problem.args[0]),), None)
    problems = list(table.problems)
    by_name, shared, shown = _agent_ids(session)
    accepted: list[RotaRow] = []
    for number, row in table.rows:
        form = _form(RowCells(number, row, problems), by_name, shared, problems)
        if form is not None:
            checked = _check_row(session, number, form, zone, accepted, shown, problems)
            if checked is not None:
                accepted.append(checked)
    if not table.rows and not problems:
        problems.append(Problem(None, None, msg("the sheet has no shifts under its header")))
    return RotaPreview(tuple(accepted), tuple(problems), table)


def import_rota(session: Session, path: Path, zone: ZoneInfo, by_user_id: Optional[int],
                limits: ImportLimits = DEFAULT_LIMITS) -> tuple[RotaPreview, Optional[RotaImported]]:
    """Lock every agent of the sheet, check it again (the rota may have changed since the
    preview) and add its new shifts, in the caller's transaction; nothing when a
    problem remains. The caller commits."""
    first = preview_rota(session, path, zone, limits)
    if not first.ok:
        return first, None
    for user_id in sorted({row.draft.user_id for row in first.rows}):  # one order: no deadlock
        rota.lock_agent_rota(session, user_id)
    checked = preview_rota(session, path, zone, limits)
    if not checked.ok:
        return checked, None
    for row in checked.new_rows:
        rota.add_shift(session, row.draft, by_user_id)
    log.info("rota import: %d shifts added, %d already there", len(checked.new_rows),
             len(checked.rows) - len(checked.new_rows))
    return checked, RotaImported(len(checked.new_rows), len(checked.rows) - len(checked.new_rows))


def problem_text(problem: Problem) -> Message | str:
    return problem.message
