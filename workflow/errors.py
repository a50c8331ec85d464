"""Errors of the workflow package: each says what was wrong with the request."""
from __future__ import annotations

from hotline.errors import HotlineError


class WorkflowError(HotlineError):
    """A workflow step was refused; the message says why."""


class BadIntake(WorkflowError):
    """The channel, urgency, warranty or register fields of a new order are not valid."""


class StepRefused(WorkflowError):
    """A complaint or enquiry step does not fit the order (wrong kind, already done)."""


class IllegalTransition(WorkflowError):
    """A work order was asked to move to a status its current one cannot reach."""

    def __init__(self, from_status: str, to_status: str):
        super().__init__(f"cannot go from {from_status} to {to_status}")
        self.from_status = from_status
        self.to_status = to_status


class InvalidOrder(WorkflowError):
    """A work order's fields do not make a valid order; `code` names which rule
    (the console words it from its catalogue, the text is for the log)."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code


class NotPermitted(WorkflowError):
    """The user may not change that work order (agents: only orders they created)."""
