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
from households.import_messages import msg

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
            parts.append(msg("more than %(limit)d rows (HOTLINE_IMPORT_MAX_ROWS)",
                             limit=self.max_rows))
        if columns > self.max_columns:
            parts.append(msg("more than %(limit)d columns (HOTLINE_IMPORT_MAX_COLUMNS)",
                             limit=self.max_columns))
        if len(parts) == 2:
            return msg("%(first)s and %(second)s", first=parts[0], second=parts[1])
        return parts[0] if parts else None


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
        raise FileProblem(msg("not a readable .xlsx workbook (%(error)s)",
                              error=type(error).__name__)) from None


def _first_sheet_rows(reader, limits: ImportLimits):
    """ExcelReader.read() in read-only mode, but for the first worksheet alone
    and only after its scan: read() would parse every sheet's dimensions first."""
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    reader.read_manifest()
    reader.read_workbook()
    name, sheet_path = _first_worksheet(reader)
    with reader.archive.open(sheet_path) as source:
        rows, columns, merges = _scan_sheet(source, limits)
    reader.read_strings()
    apply_stylesheet(reader.archive, reader.wb)
    sheet = ReadOnlyWorksheet(reader.wb, name, sheet_path, reader.shared_strings)
    # Bounds from the scan, never from the file's own (forgeable) dimension.
    cells = sheet.iter_rows(min_row=1, max_row=max(rows, 1), max_col=max(columns, 1))
    numbered = ((number, [_xlsx_value(cell) for cell in row])
                for number, row in enumerate(cells, start=1))
    yield from _filled(numbered, merges)


def _filled(rows, merges: list[tuple[int, int, int, int]]):
    """Rows with every merged range's value in each cell it covers: Excel keeps it
    in the top-left cell only, and a building merged over its two rooms' rows is
    the building of both (read-only openpyxl does not apply merges itself)."""
    merges = sorted(merges, key=lambda bounds: bounds[1])
    waiting, active, values = 0, [], {}
    for number, cells in rows:
        while waiting < len(merges) and merges[waiting][1] <= number:
            active.append(merges[waiting])
            waiting += 1
        active = [bounds for bounds in active if bounds[3] >= number]
        for bounds in active:
            first_column, first_row, last_column, _last_row = bounds
            if first_row == number:
                values[bounds] = (cells[first_column - 1] if first_column <= len(cells)
                                  else None)
            for column in range(first_column, min(last_column, len(cells)) + 1):
                cells[column - 1] = values.get(bounds)
        yield number, cells


def _check_members(archive: zipfile.ZipFile, limits: ImportLimits) -> None:
    members = archive.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise FileProblem(msg("the workbook holds %(count)d parts, more than %(limit)d: "
                              "not a spreadsheet", count=len(members), limit=MAX_ZIP_MEMBERS))
    cap_note = msg("more than %(limit)d MB (HOTLINE_IMPORT_MAX_UNCOMPRESSED_MB)",
                   limit=limits.max_uncompressed_mb)
    for member in members:
        if member.file_size > limits.max_uncompressed_bytes:
            raise FileProblem(msg("%(part)s unpacks to %(size)d bytes, %(cap)s",
                                  part=member.filename, size=member.file_size, cap=cap_note))
        if member.file_size > MAX_PARSED_PART_BYTES and not _is_worksheet(member.filename):
            raise FileProblem(msg("%(part)s unpacks to %(size)d bytes, more than the "
                                  "%(limit)d MB a workbook part other than a sheet may take",
                                  part=member.filename, size=member.file_size,
                                  limit=MAX_PARSED_PART_BYTES // (1024 * 1024)))
    total = sum(member.file_size for member in members)
    if total > limits.max_uncompressed_bytes:
        raise FileProblem(msg("the workbook's parts unpack to %(size)d bytes together, "
                              "%(cap)s", size=total, cap=cap_note))


def _is_worksheet(name: str) -> bool:
    return name.startswith("xl/worksheets/") and name.endswith(".xml")


def _first_worksheet(reader) -> tuple[str, str]:
    for sheet, relation in reader.parser.find_sheets():
        if relation.target in reader.valid_files and "chartsheet" not in relation.Type:
            return sheet.name, relation.target
    raise FileProblem(msg("the workbook has no worksheet"))


def _scan_sheet(source, limits: ImportLimits) -> tuple[int, int, list]:
    """The real extent (last row, last column) of a sheet's XML, read as a stream,
    and its merged ranges (min col, min row, max col, max row); FileProblem at the
    first claim, row, cell or merged range over the caps."""
    from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

    last_row = last_column = row_elements = 0
    row_number = column = cells_in_row = 0
    sheet_data = merge_list = None
    merges = []
    for event, element in iterparse(source, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == _MAIN_NS + "row":
                row_elements += 1
                row_number = int(element.get("r") or row_number + 1)
                column = cells_in_row = 0
                if row_elements > limits.max_rows:
                    raise FileProblem(msg("the sheet has %(over)s",
                                          over=limits.over(row_elements, 0)), row_number)
            elif tag == _MAIN_NS + "c":
                reference = element.get("r")
                row_number, column = (coordinate_to_tuple(reference) if reference
                                      else (row_number, column + 1))
                cells_in_row += 1
                _check_extent(limits, row_number, column,
                              msg("cell %(cell)s", cell=reference or str(column)))
                if cells_in_row > limits.max_columns:
                    raise FileProblem(msg("the row holds %(over)s",
                                          over=limits.over(0, cells_in_row)), row_number)
                last_column = max(last_column, column)
            elif tag == _MAIN_NS + "dimension":
                _check_claim(limits, element.get("ref") or "A1", range_boundaries)
            elif tag == _MAIN_NS + "sheetData":
                sheet_data = element
            elif tag == _MAIN_NS + "mergeCells":
                merge_list = element
        elif tag == _MAIN_NS + "row" and sheet_data is not None:
            # a row without cells
            _check_extent(limits, row_number, 1, msg("row %(row)d", row=row_number))
            last_row = max(last_row, row_number)
            sheet_data.clear()  # keep no finished row: memory stays one row's worth
        elif tag == _MAIN_NS + "mergeCell":
            merges.append(_merged_range(limits, element.get("ref") or "", range_boundaries,
                                        len(merges)))
            if merge_list is not None:
                merge_list.clear()  # the bounds are kept; the elements need not be
    return last_row, last_column, merges


def _merged_range(limits: ImportLimits, ref: str, range_boundaries, count: int):
    # Bounds memory; offices merge a building or unit cell per few rows, far fewer.
    if count >= 2 * limits.max_rows:
        raise FileProblem(msg("the sheet has more than %(limit)d merged ranges",
                              limit=2 * limits.max_rows))
    try:
        bounds = range_boundaries(ref)
    except (ValueError, TypeError):
        raise FileProblem(msg("the sheet has a broken merged range (%(ref)s)",
                              ref=ref[:30])) from None
    if None in bounds:
        raise FileProblem(msg("the sheet has a broken merged range (%(ref)s)", ref=ref[:30]))
    _check_extent(limits, bounds[3], bounds[2], msg("merged range %(ref)s", ref=ref[:30]))
    return bounds


def _check_claim(limits: ImportLimits, claim: str, range_boundaries) -> None:
    bounds = range_boundaries(claim if ":" in claim else f"{claim}:{claim}")
    over = limits.over(bounds[3] or 0, bounds[2] or 0)
    if over:
        raise FileProblem(msg("the sheet's dimension claims %(claim)s: %(over)s",
                              claim=claim, over=over))


def _check_extent(limits: ImportLimits, row: int, column: int, what: str) -> None:
    over = limits.over(row, column)
    if over:
        raise FileProblem(msg("%(what)s is past the importer's caps: %(over)s",
                              what=what, over=over), row)


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
                    raise FileProblem(msg("the file has %(over)s",
                                          over=limits.over(records, 0)), reader.line_num)
                while cells and not cells[-1].strip():
                    cells.pop()  # exporters pad rows with empty cells
                if len(cells) > limits.max_columns:
                    raise FileProblem(msg("%(count)d cells: %(over)s", count=len(cells),
                                          over=limits.over(0, len(cells))), reader.line_num)
                yield reader.line_num, cells
        except csv.Error as error:
            raise FileProblem(msg("line %(line)d: broken CSV (%(error)s)",
                                  line=reader.line_num, error=str(error))) from None


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
            raise FileProblem(msg("a line longer than %(limit)d characters (a row of cells "
                                  "of at most %(cell)d each is shorter): not a table",
                                  limit=limit, cell=MAX_CELL_CHARS), number)
        yield line


def _detect_encoding(path: Path) -> tuple[str, str]:
    """The file's encoding, checked over the whole file in chunks (and no NULs)."""
    with open(path, "rb") as handle:
        start = handle.read(3)
    if start.startswith(b"\xef\xbb\xbf"):
        candidates = [("utf-8-sig", "")]
    elif start.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = [("utf-16", msg("read as UTF-16"))]
    else:
        # Excel on Chinese Windows saves CSV in GBK; GB18030 is its superset.
        candidates = [("utf-8", ""), ("gb18030", msg("read as GB18030 (GBK), not UTF-8"))]
    first_error = None
    for encoding, note in candidates:
        offset = _first_undecodable(path, encoding)
        if offset is None:
            return encoding, note
        first_error = first_error if first_error is not None else offset
    if candidates[0][0] == "utf-8":
        raise FileProblem(msg("not UTF-8 or GBK text (undecodable byte at offset "
                              "%(offset)d); save the CSV as 'CSV UTF-8' or as .xlsx",
                              offset=first_error))
    raise FileProblem(msg("not %(encoding)s text although it starts like it "
                          "(undecodable byte at offset %(offset)d)",
                          encoding=candidates[0][0].upper(), offset=first_error))


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
                raise FileProblem(msg("the file holds NUL bytes: not a CSV text file"))
            if not chunk:
                return None
            consumed += len(chunk)
