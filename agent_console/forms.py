"""Flask-WTF forms: every form carries a CSRF token; every text field has a maximum length."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateTimeLocalField, HiddenField, IntegerField, PasswordField, SelectField,
    StringField, TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from models.console import COMPLAINT_TIERS, DEPARTMENTS, ORDER_KINDS

try:  # WTForms 3.3 deprecates (value, label) tuples in favour of SelectChoice
    from wtforms.fields.choices import SelectChoice
except ImportError:  # older WTForms
    SelectChoice = None


def options(values, blank: bool = False) -> list:
    """Select options whose labels are their values, with an optional empty first one."""
    pairs = ([("", "-")] if blank else []) + [(value, value) for value in values]
    if SelectChoice is None:
        return pairs
    return [SelectChoice(value, label) for value, label in pairs]

REPAIR_CATEGORIES = ("plumbing", "electrical", "leak", "safety_facility", "doors_windows",
                     "elevator", "public_area", "other")
COMPLAINT_CATEGORIES = ("service", "management", "environment", "noise", "security", "fees",
                        "other")
CATEGORIES = tuple(dict.fromkeys(REPAIR_CATEGORIES + COMPLAINT_CATEGORIES))
PAUSE_REASONS = ("lunch", "training", "meeting", "after_call_work")


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class WorkOrderForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=64)])
    callid = HiddenField(validators=[Length(max=64)])
    household_id = HiddenField(validators=[Length(max=12)])
    kind = SelectField(_l("Kind"), choices=options(ORDER_KINDS))
    category = SelectField(_l("Category"), choices=options(CATEGORIES))
    description = TextAreaField(_l("Description"),
                                validators=[DataRequired(), Length(max=2000)])
    address = StringField(_l("Address"), validators=[Length(max=200)])
    contact_name = StringField(_l("Contact name"), validators=[Length(max=80)])
    contact_phone = StringField(_l("Contact phone"), validators=[Length(max=40)])
    preferred_visit = StringField(_l("Preferred visit time"), validators=[Length(max=80)])
    paid = BooleanField(_l("Paid repair"))
    complaint_tier = SelectField(_l("Complaint tier"),
                                 choices=options(COMPLAINT_TIERS, blank=True))
    resident_deadline = DateTimeLocalField(_l("Resident's deadline"), validators=[Optional()],
                                           format="%Y-%m-%dT%H:%M")


class StatusForm(FlaskForm):
    to_status = SelectField(choices=options(
        ("dispatched", "in_progress", "done", "followed_up", "closed")))
    department = SelectField(choices=options(DEPARTMENTS, blank=True))
    note = StringField(validators=[Length(max=500)])
    # Leak repairs: the follow-up is due 3 days after the leak test (seed 004).
    leak_test_at = DateTimeLocalField(validators=[Optional()], format="%Y-%m-%dT%H:%M")


class FollowUpForm(FlaskForm):
    result = SelectField(choices=options(("reached", "unreachable", "refused")))
    satisfaction = IntegerField(validators=[Optional(), NumberRange(min=1, max=5)])
    notes = TextAreaField(validators=[Length(max=1000)])


class HandoverForm(FlaskForm):
    shift = SelectField(choices=options(("day", "evening", "night")))
    notes = TextAreaField(validators=[Length(max=4000)])
    open_items = TextAreaField(validators=[Length(max=4000)])


class AgentStateForm(FlaskForm):
    action = SelectField(choices=options(("login", "logout", "ready", "pause")))
    # Only "pause" needs a reason; the view checks it, so the field may be absent.
    reason = SelectField(choices=options(PAUSE_REASONS, blank=True),
                         validate_choice=False)


class EmptyForm(FlaskForm):
    """A form with only its CSRF token (buttons that change something)."""
