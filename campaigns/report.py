"""A campaign's results for the supervisor: one row per target, counts by outcome and
by score, and the same rows as CSV or an Excel workbook."""
from __future__ import annotations

import collections
import csv
import dataclasses
import datetime as dt
import io
from typing import Callable, Optional

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.campaigns import Campaign, CampaignAttempt, CampaignTarget

COLUMNS = ("phone", "order", "state", "outcome", "attempts", "score", "solved", "last_call")


@dataclasses.dataclass(frozen=True)
class ResultRow:
    phone: str
    order: Optional[int]
    state: str
    outcome: str
    attempts: int
    score: Optional[int]
    solved: Optional[bool]
    last_call: Optional[dt.datetime]


@dataclasses.dataclass(frozen=True)
class Results:
    rows: list[ResultRow]
    by_outcome: dict[str, int]
    by_score: dict[int, int]


def results(session: Session, campaign: Campaign) -> Results:
    last = dict(session.execute(
        select(CampaignAttempt.target_id, func.max(CampaignAttempt.placed_at))
        .join(CampaignTarget).where(CampaignTarget.campaign_id == campaign.id)
        .group_by(CampaignAttempt.target_id)).all())
    targets = session.scalars(select(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign.id).order_by(CampaignTarget.id)).all()
    rows = [ResultRow(t.phone, t.work_order_id, t.state, t.outcome or t.state, t.attempts,
                      t.score, t.solved, last.get(t.id)) for t in targets]
    by_score = collections.Counter(row.score for row in rows if row.score is not None)
    return Results(rows, dict(collections.Counter(row.outcome for row in rows)),
                   {score: by_score.get(score, 0) for score in range(1, 6)})


def _cells(row: ResultRow, text: Callable[[str, str], str], when: Callable) -> list:
    solved = "" if row.solved is None else text(str(row.solved).lower(), "boolean")
    return [row.phone, row.order or "", text(row.state, "campaign_target_state"),
            text(row.outcome, "campaign_outcome"), row.attempts, row.score or "", solved,
            when(row.last_call) if row.last_call else ""]


def as_csv(found: Results, headings: list[str], text, when) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings)
    for row in found.rows:
        writer.writerow(_cells(row, text, when))
    return "\ufeff" + out.getvalue()  # the BOM: Excel opens UTF-8 Chinese correctly


def as_excel(found: Results, headings: list[str], text, when, title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31] or "campaign"
    sheet.append(headings)
    for row in found.rows:
        sheet.append(_cells(row, text, when))
    for column, width in zip("ABCDEFGH", (16, 8, 14, 18, 8, 8, 8, 18)):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def letters_excel(rows: list, headings: list[str], stage_text, title: str) -> bytes:
    """campaigns.dunning.LetterRow rows as a workbook for the courier (amounts as numbers)."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(headings)
    for row in rows:
        sheet.append([row.household_number, row.rooms, row.owner, row.phone,
                      float(row.total_due), row.oldest_unpaid.isoformat(),
                      row.months_in_arrears, stage_text(row.stage), row.calls_answered])
        sheet.cell(sheet.max_row, 5).number_format = "¥#,##0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
