"""The order form's intake fields (channel, urgency, online message time, warranty
override, an enquiry's reply time) as a workflow.intake.Intake."""
from __future__ import annotations

import datetime as dt
from typing import Callable, Optional

from workflow.intake import Intake


def intake_from_form(form, office_time: Callable[[Optional[dt.datetime]], Optional[dt.datetime]],
                     channel: Optional[str] = None) -> Intake:
    """`office_time` reads a typed wall-clock time on the office's clock; `channel`
    is fixed by the page (a walk-in or a letter) or taken from the form."""
    return Intake(
        channel=channel or form.channel.data or "phone",
        message_at=office_time(form.message_at.data),
        urgency=form.urgency.data or "normal",
        warranty_override_reason=form.warranty_override_reason.data or "",
        reply_due_at=office_time(form.reply_due_at.data))
