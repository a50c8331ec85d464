"""Reading .xlsx and .csv files into checked rows for the importers.

Everything that can be wrong with a file is found here (sheet_files: the file
and its caps) or by the importer's row parser and reported as a Problem (row,
column, message); the importers write nothing unless the whole file is clean.
Cells are refused when they hold a formula or start like one (=, +, -, @
followed by anything that is not a number: CSV/Excel injection), or when they
are longer than MAX_CELL_CHARS; a text longer than its database column is
refused by the importer's parser (import_values.fitting).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

from households.errors import FileProblem
from households.sheet_files import (
    DEFAULT_LIMITS, MAX_CELL_CHARS, MAX_FILE_BYTES, FormulaCell, ImportLimits, csv_rows,
    xlsx_rows,
)

_NUMBER_LIKE = re.compile(r"[+\-]?[\d\s().\-]*")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclasses.dataclass(frozen=True)
class Problem:
    row: int | None  # 1-based line/row in the file, header = 1; None: the whole file
    column: str | None
    message: str

    def __str__(self) -> str:
        where = "file" if self.row is None else f"row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}"


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...]
    required: bool = False


@dataclasses.dataclass
class Table:
    path: Path
    columns: list[str]  # canonical names, in file order
    rows: list[tuple[int, dict]]  # (row number, {canonical name: cell})
    problems: list[Problem]
    note: str = ""  # e.g. "read as GB18030"


def _header_key(text) -> str:
    """'建筑面积(㎡)', ' Floor_Area ', 'floor-area*' all give the same key."""
    without_units = re.sub(r"[(（][^)）]*[)）]", "", str(text or ""))
    return re.sub(r"[\s_\-*]", "", without_units).lower()


def read_table(path: Path, columns: list[Column],
               limits: ImportLimits = DEFAULT_LIMITS) -> Table:
    """Rows of the first sheet (xlsx) or the CSV, keyed by canonical column name."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise FileProblem(f"cannot read the file: {error.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise FileProblem(f"the file is {size} bytes, more than {MAX_FILE_BYTES}")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        raw_rows, note = xlsx_rows(path, limits), ""
    elif suffix == ".csv":
        raw_rows, note = csv_rows(path, limits)
    else:
        raise FileProblem(f"{suffix or 'no extension'}: only .xlsx and .csv files are read")
    return _keyed(path, raw_rows, columns, note)


def _keyed(path: Path, raw_rows, columns: list[Column], note: str) -> Table:
    header_number, header = next(raw_rows, (1, None))
    if not header or all(_blank(cell) for cell in header):
        raise FileProblem("the file is empty: no header row")
    lookup = {_header_key(alias): column.name for column in columns
              for alias in (column.name,) + column.aliases}
    names, problems = [], []
    for position, cell in enumerate(header, start=1):
        if _blank(cell):
            names.append(None)
            continue
        name = lookup.get(_header_key(cell))
        if name is None:
            problems.append(Problem(header_number, str(cell)[:40], "unknown column"))
        elif name in names:
            problems.append(Problem(header_number, str(cell)[:40], "column appears twice"))
        names.append(name)
    missing = [c.name for c in columns if c.required and c.name not in names]
    if missing:
        problems.append(Problem(header_number, None,
                                "missing required column(s): " + ", ".join(missing)))
    if problems:
        return Table(path, [n for n in names if n], [], problems, note)
    rows = []
    for number, cells in raw_rows:
        if all(_blank(cell) for cell in cells):
            continue
        if len(cells) > len(names) and any(not _blank(c) for c in cells[len(names):]):
            problems.append(Problem(number, None, "more cells than header columns"))
            continue
        row = {name: cells[i] if i < len(cells) else None
               for i, name in enumerate(names) if name}
        rows.append((number, row))
    return Table(path, [n for n in names if n], rows, problems, note)


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def cell_text(row_number: int, column: str, value, problems: list[Problem]) -> str | None:
    """The cell as stripped text, or None; records a problem for a refused cell."""
    if value is None:
        return None
    if isinstance(value, FormulaCell):
        problems.append(Problem(row_number, column, "formulas are not imported "
                                f"({value[:30]!r}); paste values instead"))
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if len(text) > MAX_CELL_CHARS:
        problems.append(Problem(row_number, column,
                                f"cell holds {len(text)} characters, more than {MAX_CELL_CHARS}"))
        return None
    text = text.strip()
    if text.startswith(_FORMULA_START) and not _NUMBER_LIKE.fullmatch(text):
        problems.append(Problem(row_number, column,
                                f"cell starts like a formula ({text[:30]!r}): refused "
                                "(CSV/Excel injection)"))
        return None
    return text or None


class RowCells:
    """Reads one row's cells, collecting problems instead of stopping at the first."""

    def __init__(self, number: int, row: dict, problems: list[Problem]):
        self.number, self.row, self.problems = number, row, problems
        self.first_problem = len(problems)  # this row's problems come after this index

    def get(self, column: str, parse=None, required: bool = False):
        text = cell_text(self.number, column, self.row.get(column), self.problems)
        if text is None:
            if required and not self.refused(column):
                self.problems.append(Problem(self.number, column, "required cell is empty"))
            return None
        if parse is None:
            return text
        try:
            return parse(text)
        except ValueError as error:
            self.problems.append(Problem(self.number, column, str(error)))
            return None

    def refused(self, column: str) -> bool:
        return any(p.column == column for p in self.problems[self.first_problem:])
