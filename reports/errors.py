"""Errors of the reports package; the CLI prints them as one line (HotlineError)."""
from hotline.errors import HotlineError


class ReportError(HotlineError):
    """A period or option the reports cannot use; `field` names the input."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
