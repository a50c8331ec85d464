"""Flask-WTF forms: every form carries a CSRF token; every text field has a maximum length.

A field stored in a bounded column takes its limit from that column (`fits`), so
the form and the schema cannot drift apart: an over-long value is refused here,
next to its field with the rest of the input kept, instead of failing (PostgreSQL)
or being stored whole (SQLite, which ignores VARCHAR lengths) at commit.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateTimeLocalField, HiddenField, IntegerField, PasswordField, SelectField,
    StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from models.console import (
    CHANNELS, URGENCIES, COMPLAINT_TIERS, DEPARTMENTS, ORDER_KINDS, FollowUp, User, WorkOrder, WorkOrderEvent,
)

def options(values, blank: bool = False) -> list:
    """Select options whose labels are their values, with an optional empty first one
    (SelectChoice: WTForms 3.3 deprecates (value, label) tuples; pyproject requires 3.3)."""
    pairs = ([("", "-")] if blank else []) + [(value, value) for value in values]
    return [SelectChoice(value, label) for value, label in pairs]

REPAIR_CATEGORIES = ("plumbing", "electrical", "leak", "safety_facility", "doors_windows",
                     "elevator", "public_area", "other",
                     # emergencies, dispatched at once (workflow.rules.EMERGENCY_CATEGORIES)
                     "leak_active", "lift_entrapment", "gas_smell", "fire_alarm", "power_cut")
COMPLAINT_CATEGORIES = ("service", "management", "environment", "noise", "security", "fees",
                        "other")
CATEGORIES = tuple(dict.fromkeys(REPAIR_CATEGORIES + COMPLAINT_CATEGORIES))
PAUSE_REASONS = ("lunch", "training", "meeting", "after_call_work")
# Text columns (no length of their own): the most a form accepts for them.
DESCRIPTION_MAX_CHARS = 2000
HANDOVER_MAX_CHARS = 4000


def column_length(column) -> int:
    """The declared length of a bounded String column (e.g. WorkOrder.address -> 200)."""
    length = getattr(column.property.columns[0].type, "length", None)
    if length is None:
        raise TypeError(f"{column} has no length: give the form field an explicit limit")
    return length


def at_most(limit: int) -> Length:
    # WTForms fills in max and length when the value is too long.
    return Length(max=limit, message=_l("At most %(max)d characters (this has %(length)d)."))


def fits(column) -> Length:
    """A Length validator as long as the column the field is stored in."""
    return at_most(column_length(column))


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), fits(User.username)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), at_most(200)])


class WorkOrderForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), fits(WorkOrder.idempotency_token)])
    callid = HiddenField(validators=[fits(WorkOrder.callid)])
    household_id = HiddenField(validators=[at_most(12)])
    kind = SelectField(_l("Kind"), choices=options(ORDER_KINDS))
    category = SelectField(_l("Category"), choices=options(CATEGORIES))
    description = TextAreaField(_l("Description"),
                                validators=[DataRequired(), at_most(DESCRIPTION_MAX_CHARS)])
    address = StringField(_l("Address"), validators=[fits(WorkOrder.address)])
    contact_name = StringField(_l("Contact name"), validators=[fits(WorkOrder.contact_name)])
    contact_phone = StringField(_l("Contact phone"), validators=[fits(WorkOrder.contact_phone)])
    preferred_visit = StringField(_l("Preferred visit time"),
                                  validators=[fits(WorkOrder.preferred_visit)])
    paid = BooleanField(_l("Paid repair"))
    complaint_tier = SelectField(_l("Complaint tier"),
                                 choices=options(COMPLAINT_TIERS, blank=True))
    resident_deadline = DateTimeLocalField(_l("Resident's deadline"), validators=[Optional()],
                                           format="%Y-%m-%dT%H:%M")
    # Intake (workflow.intake, agent_console.intake_form).
    channel = SelectField(_l("Channel"), choices=options(CHANNELS), default="phone")
    urgency = SelectField(_l("Urgency"), choices=options(URGENCIES), default="normal")
    message_at = DateTimeLocalField(_l("Online message sent at"), validators=[Optional()],
                                    format="%Y-%m-%dT%H:%M")
    warranty_override_reason = StringField(_l("Reason to override the warranty"),
                                           validators=[fits(WorkOrder.warranty_override_reason)])
    reply_due_at = DateTimeLocalField(_l("Reply agreed for"), validators=[Optional()],
                                      format="%Y-%m-%dT%H:%M")


class StatusForm(FlaskForm):
    to_status = SelectField(choices=options(
        ("dispatched", "in_progress", "done", "followed_up", "closed")))
    department = SelectField(choices=options(DEPARTMENTS, blank=True))
    note = StringField(validators=[fits(WorkOrderEvent.note)])
    # Leak repairs: the follow-up is due 3 days after the leak test (seed 004).
    leak_test_at = DateTimeLocalField(validators=[Optional()], format="%Y-%m-%dT%H:%M")


class FollowUpForm(FlaskForm):
    result = SelectField(choices=options(("reached", "unreachable", "refused")))
    satisfaction = IntegerField(validators=[Optional(), NumberRange(min=1, max=5)])
    notes = TextAreaField(validators=[fits(FollowUp.notes)])


class HandoverForm(FlaskForm):
    shift = SelectField(choices=options(("day", "evening", "night")))
    notes = TextAreaField(validators=[at_most(HANDOVER_MAX_CHARS)])
    open_items = TextAreaField(validators=[at_most(HANDOVER_MAX_CHARS)])


class AgentStateForm(FlaskForm):
    action = SelectField(choices=options(("login", "logout", "ready", "pause")))
    # Only "pause" needs a reason; the view checks it, so the field may be absent.
    reason = SelectField(choices=options(PAUSE_REASONS, blank=True),
                         validate_choice=False)


class EmptyForm(FlaskForm):
    """A form with only its CSRF token (buttons that change something)."""
