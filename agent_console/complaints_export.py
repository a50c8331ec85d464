"""The complaint register as an Excel workbook (openpyxl), one row per complaint,
headed in the reader's language; times on the office's clock."""
from __future__ import annotations

import datetime as dt
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from agent_console.labels import label
from models.complaints import Complaint

WIDTHS = (8, 17, 16, 17, 16, 20, 12, 14, 40, 30, 14, 14, 17, 17, 30, 17, 17, 12)


def _time(moment, zone) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def headers() -> list[str]:
    return [_("No."), _("Registered"), _("Complainant"), _("When it happened"), _("Where"),
            _("Complained about"), _("Tier"), _("Channel"), _("What happened"),
            _("What the resident wants"), _("Department"), _("Escalation"), _("Answer due"),
            _("Resolve due"), _("Result"), _("Result known"), _("Resident told"),
            _("Status")]


def row_values(complaint: Complaint, zone: dt.tzinfo) -> list:
    order = complaint.work_order
    department = complaint.respondent_department
    about = " / ".join(filter(None, [
        complaint.respondent_person,
        label(department, "respondent_department") if department else ""]))
    told = _time(complaint.resident_told_at, zone)
    if told and complaint.resident_told_by:
        told = f"{told} ({label(complaint.resident_told_by, 'told_by')})"
    return [order.id, _time(order.call_at, zone),
            " ".join(filter(None, [order.contact_name, order.contact_phone])),
            _time(complaint.occurred_at, zone), complaint.location, about,
            label(order.complaint_tier, "complaint_tier"), label(order.channel, "channel"),
            order.description, complaint.resident_request,
            label(order.department, "department") if order.department else "",
            label(complaint.escalation, "escalation"), _time(order.answer_due_at, zone),
            _time(order.resolve_due_at, zone), complaint.result,
            _time(complaint.result_known_at, zone), told, label(order.status, "order_status")]


def register_workbook(rows: list[Complaint], zone: dt.tzinfo) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Complaint register")[:31]
    sheet.append(headers())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for complaint in rows:
        sheet.append(row_values(complaint, zone))
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
