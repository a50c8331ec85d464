"""Import orchestration: read, validate every row, then write all or nothing.

`preview_*` reads and checks a file without writing (the console's preview);
`import_*` does the same checks and then writes every row in one transaction,
or raises SheetRejected (an ImportRejected) and writes nothing.
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from sqlalchemy.orm import Session

from households import import_households, import_ledger
from households.errors import FileProblem, ImportRejected
from households.sheet_files import DEFAULT_LIMITS, ImportLimits
from households.tabular import ColumnPlace, Problem, Table, read_table

log = logging.getLogger(__name__)
KINDS = ("households", "ledger")


@dataclasses.dataclass
class ImportReport:
    path: str
    rows: int
    note: str
    result: object
    ignored: list[ColumnPlace] = dataclasses.field(default_factory=list)
    header_row: int = 1


@dataclasses.dataclass
class Preview:
    """What an import of the file would do: its rows, or every problem in it."""
    kind: str
    rows: int
    problems: list[Problem]
    table: Table | None  # None: the file could not be read at all

    @property
    def ok(self) -> bool:
        return not self.problems


class SheetRejected(ImportRejected):
    """ImportRejected with the table read (None if unreadable): where each column
    is in the sheet, and the columns ignored."""

    def __init__(self, path: str, problems: list, table: Table | None):
        super().__init__(path, problems)
        self.table = table

    @property
    def ignored(self) -> list[ColumnPlace]:
        return self.table.ignored if self.table else []


def _read(path: Path, columns, limits: ImportLimits) -> tuple[Table | None, list[Problem]]:
    try:
        return read_table(path, columns, limits), []
    except FileProblem as error:
        return None, [Problem(error.row, None, error.message)]


def _write_all_or_nothing(session: Session, write):
    """One transaction: any failure leaves the database as it was."""
    try:
        result = write()
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise


def _checked_households(session, path, community_code, limits, local_area_code):
    community_problem = import_households.community_code_problem(community_code)
    if community_problem:
        return None, [], [community_problem]
    table, problems = _read(Path(path), import_households.COLUMNS, limits)
    if table is None:
        return None, [], problems
    rows, problems = import_households.parse_rows(table, community_code, local_area_code)
    return table, rows, problems


def _checked_ledger(session, path, limits):
    table, problems = _read(Path(path), import_ledger.COLUMNS, limits)
    if table is None:
        return None, [], problems
    rows, problems = import_ledger.parse_rows(session, table)
    if problems:
        session.rollback()  # parse_rows only read; end its transaction
    return table, rows, problems


def preview_households_file(session: Session, path: Path, community_code: str = "MAIN",
                            limits: ImportLimits = DEFAULT_LIMITS, *,
                            local_area_code: str) -> Preview:
    table, rows, problems = _checked_households(session, path, community_code, limits,
                                                local_area_code)
    return Preview("households", len(rows), problems, table)


def preview_ledger_file(session: Session, path: Path,
                        limits: ImportLimits = DEFAULT_LIMITS) -> Preview:
    table, rows, problems = _checked_ledger(session, path, limits)
    return Preview("ledger", len(rows), problems, table)


def import_households_file(session: Session, path: Path, community_code: str = "MAIN",
                           progress_factory=None,
                           limits: ImportLimits = DEFAULT_LIMITS, *,
                           local_area_code: str) -> ImportReport:
    """`local_area_code` is settings.local_area_code: a local phone cell gets it."""
    table, rows, problems = _checked_households(session, path, community_code, limits,
                                                local_area_code)
    if problems:
        raise SheetRejected(str(path), problems, table)
    result = _write_all_or_nothing(session, lambda: _with_progress(
        progress_factory, len(rows),
        lambda tick: import_households.apply_rows(session, rows, community_code, tick)))
    log.info("imported %d household rows from %s", len(rows), path)
    return ImportReport(str(path), len(rows), table.note, result, table.ignored,
                        table.header_row)


def import_ledger_file(session: Session, path: Path, progress_factory=None,
                       limits: ImportLimits = DEFAULT_LIMITS) -> ImportReport:
    table, rows, problems = _checked_ledger(session, path, limits)
    if problems:
        raise SheetRejected(str(path), problems, table)
    result = _write_all_or_nothing(session, lambda: _with_progress(
        progress_factory, len(rows), lambda tick: import_ledger.apply_rows(session, rows, tick)))
    log.info("imported %d ledger rows from %s", len(rows), path)
    return ImportReport(str(path), len(rows), table.note, result, table.ignored,
                        table.header_row)


def _with_progress(progress_factory, total: int, work):
    if progress_factory is None:
        return work(None)
    with progress_factory(total) as bar:
        return work(bar.update)
