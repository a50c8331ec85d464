"""The department's forms: each carries its CSRF token; limits match the columns.

Times are typed as text in a datetime-local control and read by the view (so a
malformed one gets the console's own message next to the field, in the user's
language); numbers and required fields are checked by workflow.department_rules.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from agent_console.forms import at_most, fits
from models.console import WorkOrderEvent
from models.departments import DepartmentTask

TIME_FORMAT = "%Y-%m-%dT%H:%M"


class AcceptForm(FlaskForm):
    promised_at = StringField(_l("Will be done by"), render_kw={"type": "datetime-local"},
                              validators=[at_most(16)])
    note = StringField(_l("Note"), validators=[fits(WorkOrderEvent.note)])


class ProgressForm(FlaskForm):
    note = TextAreaField(_l("Progress"), validators=[fits(WorkOrderEvent.note)])


class CompleteForm(FlaskForm):
    work_hours = StringField(_l("Work hours"), render_kw={"inputmode": "decimal"},
                             validators=[at_most(10)])
    materials = StringField(_l("Materials used"), validators=[fits(DepartmentTask.materials)])
    paid = RadioField(_l("Charge"), choices=[SelectChoice("free", _l("Free repair")),
                                             SelectChoice("paid", _l("Paid repair"))],
                      validate_choice=False)
    note = StringField(_l("Note"), validators=[fits(WorkOrderEvent.note)])


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[fits(DepartmentTask.reject_reason)])
