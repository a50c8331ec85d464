"""Errors of the households package."""
from __future__ import annotations

from hotline.errors import HotlineError


class HouseholdsError(HotlineError):
    """Base of the errors this package raises; the CLI prints them as one line."""


class FeeRuleError(HouseholdsError):
    """A value the fee rules cannot work with (negative area, bad quarter...)."""


class HouseholdNotFound(HouseholdsError):
    """No household with that id, number or room."""


class ImportRejected(HouseholdsError):
    """A file failed validation; nothing of it was imported. `report` lists why."""

    def __init__(self, path: str, problems: list):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: {len(problems)} problem(s), nothing imported")


class FileProblem(HouseholdsError):
    """An import file that cannot be read at all, or not within the caps; `row` is
    the file's line or row where reading stopped, if any. The importer reports it
    as the file's problem (ImportRejected)."""

    def __init__(self, message: str, row: int | None = None):
        self.message = message
        self.row = row
        super().__init__(message)


class SchemaMissing(HouseholdsError):
    """The database has no households tables yet."""
