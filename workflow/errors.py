"""Errors of the workflow package: each says what was wrong with the request."""
from __future__ import annotations

from hotline.errors import HotlineError


class WorkflowError(HotlineError):
    """A workflow step was refused; the message says why."""


class BadIntake(WorkflowError):
    """The channel, urgency, warranty or register fields of a new order are not valid."""


class StepRefused(WorkflowError):
    """A complaint or enquiry step does not fit the order (wrong kind, already done)."""
