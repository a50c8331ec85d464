"""Reading .xlsx and .csv files into checked rows for the importers.

Everything that can be wrong with a file is found here (sheet_files: the file
and its caps) or by the importer's row parser and reported as a Problem (row,
column, message); the importers write nothing unless the whole file is clean.
Sheets are read the way offices make them: the header is looked for in the
first rows (a title row such as 「阳光花园小区业主信息登记表」 may sit above it),
a column the importer does not know (备注...) is reported and ignored, and a
merged cell fills every cell it covers (sheet_files).
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
from households.import_messages import Message, as_message, msg
from households.sheet_files import (
    DEFAULT_LIMITS, MAX_CELL_CHARS, MAX_FILE_BYTES, FormulaCell, ImportLimits, csv_rows,
    xlsx_rows,
)

_NUMBER_LIKE = re.compile(r"[+\-]?[\d\s().\-]*")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# How far down a header may sit: offices put a title, a date line or a blank
# row or two above it, never a page of them.
HEADER_SEARCH_ROWS = 10


@dataclasses.dataclass(frozen=True)
class Problem:
    row: int | None  # 1-based line/row in the file, as Excel numbers it; None: the whole file
    column: str | None  # the importer's column name (or the header text of one it lacks)
    message: Message | str

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

    @property
    def office_name(self) -> str:
        """The header an office writes for it (the first Chinese alias)."""
        return next((a for a in self.aliases if not a.isascii()), self.name)


@dataclasses.dataclass(frozen=True)
class ColumnPlace:
    """Where a column is in the file, as the office sees it: column C, headed 电话."""
    letter: str
    header: str


@dataclasses.dataclass
class Table:
    path: Path
    columns: list[str]  # canonical names, in file order
    rows: list[tuple[int, dict]]  # (row number, {canonical name: cell})
    problems: list[Problem]
    note: str = ""  # e.g. "read as GB18030"
    places: dict[str, ColumnPlace] = dataclasses.field(default_factory=dict)
    ignored: list[ColumnPlace] = dataclasses.field(default_factory=list)  # unknown columns
    header_row: int = 1
    office_names: dict[str, str] = dataclasses.field(default_factory=dict)  # for missing ones


def column_letter(position: int) -> str:
    """1 → A, 27 → AA (Excel's letters; a CSV opened in Excel gets the same)."""
    letters = ""
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _header_key(text) -> str:
    """'建筑面积(㎡)', ' Floor_Area ', 'floor-area*' all give the same key."""
    without_units = re.sub(r"[(（][^)）]*[)）]", "", str(text or ""))
    return re.sub(r"[\s_\-*:：]", "", without_units).lower()


def read_table(path: Path, columns: list[Column],
               limits: ImportLimits = DEFAULT_LIMITS) -> Table:
    """Rows of the first sheet (xlsx) or the CSV, keyed by canonical column name."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise FileProblem(msg("cannot read the file: %(reason)s",
                              reason=error.strerror or "?")) from None
    if size > MAX_FILE_BYTES:
        raise FileProblem(msg("the file is %(size)d bytes, more than %(limit)d",
                              size=size, limit=MAX_FILE_BYTES))
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        raw_rows, note = xlsx_rows(path, limits), ""
    elif suffix == ".csv":
        raw_rows, note = csv_rows(path, limits)
    else:
        raise FileProblem(msg("%(suffix)s: only .xlsx and .csv files are read",
                              suffix=suffix or "no extension"))
    return _keyed(path, raw_rows, columns, note)


def _find_header(raw_rows, lookup: dict) -> tuple[int, list, list]:
    """(header row number, header cells, rows read past it): the row among the first
    non-blank ones naming the most known columns; the first one when none names any."""
    looked_at = []
    for number, cells in raw_rows:
        if all(_blank(cell) for cell in cells):
            continue
        looked_at.append((number, cells))
        if len(looked_at) == HEADER_SEARCH_ROWS:
            break
    if not looked_at:
        raise FileProblem(msg("the file is empty: no header row"))
    scores = [len({lookup[_header_key(c)] for c in cells
                   if not _blank(c) and _header_key(c) in lookup})
              for _n, cells in looked_at]
    best = scores.index(max(scores))
    number, header = looked_at[best]
    return number, header, looked_at[best + 1:]


def _keyed(path: Path, raw_rows, columns: list[Column], note: str) -> Table:
    lookup = {_header_key(alias): column.name for column in columns
              for alias in (column.name,) + column.aliases}
    header_number, header, read_past = _find_header(raw_rows, lookup)
    names, problems, places, ignored = [], [], {}, []
    for position, cell in enumerate(header, start=1):
        if _blank(cell):
            names.append(None)
            continue
        text = str(cell).strip()[:40]
        place = ColumnPlace(column_letter(position), text)
        name = lookup.get(_header_key(cell))
        if name is None:
            ignored.append(place)  # 备注 and the like: the office's, not ours
        elif name in names:
            problems.append(Problem(header_number, text, msg("column appears twice")))
            name = None
        else:
            places[name] = place
        names.append(name)
    office_names = {c.name: c.office_name for c in columns}
    missing = [c.name for c in columns if c.required and c.name not in names]
    if missing:
        problems.append(Problem(header_number, None, msg(
            "missing required column(s): %(columns)s", columns=", ".join(missing))))
    table = Table(path, [n for n in names if n], [], problems, note, places, ignored,
                  header_number, office_names)
    if problems:
        return table
    for number, cells in _chain(read_past, raw_rows):
        if all(_blank(cell) for cell in cells):
            continue
        extra = [i for i in range(len(names), len(cells)) if not _blank(cells[i])]
        if extra:
            problems.append(Problem(number, None, msg(
                "more cells than header columns (column %(letter)s has no header)",
                letter=column_letter(extra[0] + 1))))
            continue
        table.rows.append((number, {name: cells[i] if i < len(cells) else None
                                    for i, name in enumerate(names) if name}))
    return table


def _chain(first: list, rest):
    yield from first
    yield from rest


def _blank(cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def cell_text(row_number: int, column: str, value, problems: list[Problem]) -> str | None:
    """The cell as stripped text, or None; records a problem for a refused cell."""
    if value is None:
        return None
    if isinstance(value, FormulaCell):
        problems.append(Problem(row_number, column, msg(
            "formulas are not imported (%(formula)s); paste values instead",
            formula=repr(value[:30]))))
        return None
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if len(text) > MAX_CELL_CHARS:
        problems.append(Problem(row_number, column, msg(
            "cell holds %(length)d characters, more than %(limit)d",
            length=len(text), limit=MAX_CELL_CHARS)))
        return None
    text = text.strip()
    if text.startswith(_FORMULA_START) and not _NUMBER_LIKE.fullmatch(text):
        problems.append(Problem(row_number, column, msg(
            "cell starts like a formula (%(text)s): refused (CSV/Excel injection)",
            text=repr(text[:30]))))
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
                self.problems.append(Problem(self.number, column, msg("required cell is empty")))
            return None
        if parse is None:
            return text
        try:
            return parse(text)
        except ValueError as error:
            self.problems.append(Problem(self.number, column, as_message(error)))
            return None

    def refused(self, column: str) -> bool:
        return any(p.column == column for p in self.problems[self.first_problem:])
