"""Reading .xlsx and .csv files as rows of cells, within caps that bound memory.

A file is refused before it costs memory in proportion to what it claims:
- .xlsx: every zip member and their sum within the uncompressed cap (each
  part openpyxl parses whole, such as shared strings and styles, within
  MAX_PARSED_PART_BYTES); then the first sheet's XML is scanned as a stream
  (its <dimension> claim and every real row and cell) against the row and
  column caps, before openpyxl reads any cell. zipfile never inflates a member
  past the size the central directory declares (a lie ends in a CRC error), so
  checking the declared sizes is enough.
- .csv: decoded as a stream; a physical line longer than a full row of
  maximal cells is refused without being held, as are NUL bytes, text that is
  not UTF-8 / GB18030 / UTF-16, and more rows or columns than the caps.
XML goes through defusedxml (openpyxl too, once defusedxml is installed).
"""
from __future__ import annotations

import codecs
import csv
import dataclasses
import zipfile
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from households.errors import FileProblem

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_CELL_CHARS = 1000
# Parts openpyxl parses into memory whole (shared strings, styles, workbook,
# relationships...): a legitimate one is a few MB; a parsed XML tree costs
# several times its text.
MAX_PARSED_PART_BYTES = 20 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000
_READ_CHUNK = 1024 * 1024
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@dataclasses.dataclass(frozen=True)
class ImportLimits:
    """The importer's caps; operators set them with HOTLINE_IMPORT_* (settings)."""
    max_rows: int = 100_000  # rows of the file, the header row included
    max_columns: int = 50
    max_uncompressed_mb: int = 200

    @classmethod
    def from_settings(cls, settings) -> ImportLimits:
        return cls(settings.import_max_rows, settings.import_max_columns,
                   settings.import_max_uncompressed_mb)

    @property
    def max_uncompressed_bytes(self) -> int:
        return self.max_uncompressed_mb * 1024 * 1024

    @property
    def max_line_chars(self) -> int:
        # A full row of maximal cells, every quote doubled, plus separators.
        return self.max_columns * (2 * MAX_CELL_CHARS + 3)

    def over(self, rows: int, columns: int) -> str | None:
        """What is over the caps, worded for the report; None when within."""
        parts = []
        if rows > self.max_rows:
            parts.append(f"more than {self.max_rows} rows (HOTLINE_IMPORT_MAX_ROWS)")
        if columns > self.max_columns:
            parts.append(f"more than {self.max_columns} columns (HOTLINE_IMPORT_MAX_COLUMNS)")
        return " and ".join(parts) or None


DEFAULT_LIMITS = ImportLimits()


# --- .xlsx --------------------------------------------------------------------

def xlsx_rows(path: Path, limits: ImportLimits):
    """(row number, [cell]) of the first worksheet, once it is known to fit."""
    from openpyxl.reader.excel import ExcelReader

    try:
        with zipfile.ZipFile(path) as archive:
            _check_members(archive, limits)
        reader = ExcelReader(str(path), read_only=True, data_only=False)
        try:
            yield from _first_sheet_rows(reader, limits)
        finally:
            reader.archive.close()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, ValueError, EOFError,
            DefusedXmlException, SyntaxError) as error:
        # SyntaxError: ElementTree's ParseError. openpyxl raises the others on
        # malformed parts; none of them says more to the user than this.
        raise FileProblem(f"not a readable .xlsx workbook ({type(error).__name__})") from None


def _first_sheet_rows(reader, limits: ImportLimits):
    """ExcelReader.read() in read-only mode, but for the first worksheet alone
    and only after its scan: read() would parse every sheet's dimensions first."""
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    reader.read_manifest()
    reader.read_workbook()
    name, sheet_path = _first_worksheet(reader)
    with reader.archive.open(sheet_path) as source:
        rows, columns = _scan_sheet(source, limits)
    reader.read_strings()
    apply_stylesheet(reader.archive, reader.wb)
    sheet = ReadOnlyWorksheet(reader.wb, name, sheet_path, reader.shared_strings)
    # Bounds from the scan, never from the file's own (forgeable) dimension.
    cells = sheet.iter_rows(min_row=1, max_row=max(rows, 1), max_col=max(columns, 1))
    for number, row in enumerate(cells, start=1):
        yield number, [_xlsx_value(cell) for cell in row]


def _check_members(archive: zipfile.ZipFile, limits: ImportLimits) -> None:
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise FileProblem(f"the workbook holds {len(members)} parts, more than "
                          f"{MAX_ZIP_MEMBERS}: not a spreadsheet")
    cap_note = (f"more than {limits.max_uncompressed_mb} MB "
                "(HOTLINE_IMPORT_MAX_UNCOMPRESSED_MB)")
    for member in members:
        if member.file_size > limits.max_uncompressed_bytes:
            raise FileProblem(f"{member.filename} unpacks to {member.file_size} bytes, {cap_note}")
        if member.file_size > MAX_PARSED_PART_BYTES and not _is_worksheet(member.filename):
            raise FileProblem(f"{member.filename} unpacks to {member.file_size} bytes, more "
                              f"than the {MAX_PARSED_PART_BYTES // (1024 * 1024)} MB a "
                              "workbook part other than a sheet may take")
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        raise FileProblem(f"the workbook's parts unpack to {total} bytes together, {cap_note}")


def _is_worksheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _first_worksheet(reader) -> tuple[str, str]:
    for sheet, relation in reader.parser.find_sheets():
        if relation.target in reader.valid_files and "chartsheet" not in relation.Type:
            return sheet.name, relation.target
    raise FileProblem("the workbook has no worksheet")


def _scan_sheet(source, limits: ImportLimits) -> tuple[int, int]:
    """The real extent (last row, last column) of a sheet's XML, read as a stream;
    FileProblem at the first claim, row or cell over the caps."""
    from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

    last_row = last_column = row_elements = 0
    row_number = column = cells_in_row = 0
    sheet_data = None
    for event, element in iterparse(source, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == _MAIN_NS + "row":
                row_elements += 1
                row_number = int(element.get("r") or row_number + 1)
                column = cells_in_row = 0
                if row_elements > limits.max_rows:
                    raise FileProblem(f"the sheet has {limits.over(row_elements, 0)}",
                                      row_number)
            elif tag == _MAIN_NS + "c":
                reference = element.get("r")
                row_number, column = (coordinate_to_tuple(reference) if reference
                                      else (row_number, column + 1))
                cells_in_row += 1
                _check_extent(limits, row_number, column, f"cell {reference or column}")
                if cells_in_row > limits.max_columns:
                    raise FileProblem(f"the row holds {limits.over(0, cells_in_row)}",
                                      row_number)
                last_column = max(last_column, column)
            elif tag == _MAIN_NS + "dimension":
                _check_claim(limits, element.get("ref") or "A1", range_boundaries)
            elif tag == _MAIN_NS + "sheetData":
                sheet_data = element
        elif tag == _MAIN_NS + "row" and sheet_data is not None:
            _check_extent(limits, row_number, 1, f"row {row_number}")  # a row without cells
            last_row = max(last_row, row_number)
            sheet_data.clear()  # keep no finished row: memory stays one row's worth
    return last_row, last_column


def _check_claim(limits: ImportLimits, claim: str, range_boundaries) -> None:
    bounds = range_boundaries(claim if ":" in claim else f"{claim}:{claim}")
    over = limits.over(bounds[3] or 0, bounds[2] or 0)
    if over:
        raise FileProblem(f"the sheet's dimension claims {claim}: {over}")


def _check_extent(limits: ImportLimits, row: int, column: int, what: str) -> None:
    over = limits.over(row, column)
    if over:
        raise FileProblem(f"{what} is past the importer's caps: {over}", row)


class FormulaCell(str):
    """A cell that held a formula: kept apart so the checker can refuse it."""


def _xlsx_value(cell):
    if cell.data_type == "f":
        return FormulaCell(str(cell.value))
    return cell.value


# --- .csv ---------------------------------------------------------------------

def csv_rows(path: Path, limits: ImportLimits):
    """(line number, [cell]) of the CSV and a note on its encoding."""
    encoding, note = _detect_encoding(path)
    csv.field_size_limit(max(limits.max_line_chars, 131072))
    return _csv_records(path, encoding, limits), note


def _csv_records(path: Path, encoding: str, limits: ImportLimits):
    with open(path, encoding=encoding, newline="") as handle:
        lines = _bounded_lines(handle, limits.max_line_chars)
        first = next(lines, "")
        delimiter = max(",;\t", key=first.count) if first else ","
        reader = csv.reader(_chain(first, lines), delimiter=delimiter)
        records = 0
        try:
            for cells in reader:
                records += 1
                if records > limits.max_rows:
                    raise FileProblem(f"the file has {limits.over(records, 0)}",
                                      reader.line_num)
                while cells and not cells[-1].strip():
                    cells.pop()  # exporters pad rows with empty cells
                if len(cells) > limits.max_columns:
                    raise FileProblem(f"{len(cells)} cells: {limits.over(0, len(cells))}",
                                      reader.line_num)
                yield reader.line_num, cells
        except csv.Error as error:
            raise FileProblem(f"line {reader.line_num}: broken CSV ({error})") from None


def _chain(first: str, rest):
    if first:
        yield first
    yield from rest


def _bounded_lines(handle, limit: int):
    number = 0
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit:
            raise FileProblem(f"a line longer than {limit} characters (a row of cells of "
                              f"at most {MAX_CELL_CHARS} each is shorter): not a table", number)
        yield line


def _detect_encoding(path: Path) -> tuple[str, str]:
    """The file's encoding, checked over the whole file in chunks (and no NULs)."""
    with open(path, "rb") as handle:
        start = handle.read(3)
    if start.startswith(b"\xef\xbb\xbf"):
        candidates = [("utf-8-sig", "")]
    elif start.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = [("utf-16", "read as UTF-16")]
    else:
        # Excel on Chinese Windows saves CSV in GBK; GB18030 is its superset.
        candidates = [("utf-8", ""), ("gb18030", "read as GB18030 (GBK), not UTF-8")]
    first_error = None
    for encoding, note in candidates:
        offset = _first_undecodable(path, encoding)
        if offset is None:
            return encoding, note
        first_error = first_error if first_error is not None else offset
    if candidates[0][0] == "utf-8":
        raise FileProblem(f"not UTF-8 or GBK text (undecodable byte at offset {first_error}); "
                          "save the CSV as 'CSV UTF-8' or as .xlsx")
    raise FileProblem(f"not {candidates[0][0].upper()} text although it starts like it "
                      f"(undecodable byte at offset {first_error})")


def _first_undecodable(path: Path, encoding: str) -> int | None:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    consumed = 0
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(_READ_CHUNK)
            # The decoder holds back the bytes of an unfinished character.
            pending = len(decoder.getstate()[0])
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                return consumed - pending + error.start
            if "\x00" in text:
                raise FileProblem("the file holds NUL bytes: not a CSV text file")
            if not chunk:
                return None
            consumed += len(chunk)
