"""Import orchestration: read, validate every row, then write all or nothing."""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from sqlalchemy.orm import Session

from households import import_households, import_ledger
from households.errors import FileProblem, ImportRejected
from households.sheet_files import DEFAULT_LIMITS, ImportLimits
from households.tabular import Problem, read_table

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ImportReport:
    path: str
    rows: int
    note: str
    result: object


def _read(path: Path, columns, limits: ImportLimits):
    try:
        return read_table(path, columns, limits)
    except FileProblem as error:
        raise ImportRejected(str(path), [Problem(error.row, None, error.message)]) from None


def _write_all_or_nothing(session: Session, write):
    """One transaction: any failure leaves the database as it was."""
    try:
        result = write()
        session.commit()
        return result
    except BaseException:
        session.rollback()
        raise


def import_households_file(session: Session, path: Path, community_code: str = "MAIN",
                           progress_factory=None,
                           limits: ImportLimits = DEFAULT_LIMITS, *,
                           local_area_code: str) -> ImportReport:
    """`local_area_code` is settings.local_area_code: a local phone cell gets it."""
    community_problem = import_households.community_code_problem(community_code)
    if community_problem:
        raise ImportRejected(str(path), [community_problem])
    table = _read(Path(path), import_households.COLUMNS, limits)
    rows, problems = import_households.parse_rows(table, community_code, local_area_code)
    if problems:
        raise ImportRejected(str(path), problems)
    result = _write_all_or_nothing(session, lambda: _with_progress(
        progress_factory, len(rows),
        lambda tick: import_households.apply_rows(session, rows, community_code, tick)))
    log.info("imported %d household rows from %s", len(rows), path)
    return ImportReport(str(path), len(rows), table.note, result)


def import_ledger_file(session: Session, path: Path, progress_factory=None,
                       limits: ImportLimits = DEFAULT_LIMITS) -> ImportReport:
    table = _read(Path(path), import_ledger.COLUMNS, limits)
    rows, problems = import_ledger.parse_rows(session, table)
    if problems:
        session.rollback()
        raise ImportRejected(str(path), problems)
    result = _write_all_or_nothing(session, lambda: _with_progress(
        progress_factory, len(rows), lambda tick: import_ledger.apply_rows(session, rows, tick)))
    log.info("imported %d ledger rows from %s", len(rows), path)
    return ImportReport(str(path), len(rows), table.note, result)


def _with_progress(progress_factory, total: int, work):
    if progress_factory is None:
        return work(None)
    with progress_factory(total) as bar:
        return work(bar.update)
