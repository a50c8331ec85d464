"""Hostile .xlsx files built from the sample households sheet (written by openpyxl):
a far cell with a matching dimension claim, a zip-bomb sheet, a DTD entity."""
from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import openpyxl

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
SHEET = "xl/worksheets/sheet1.xml"
FAR_ROW = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'


def sample_rows() -> list[list[str]]:
    with open(FIXTURES / "households_sample.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_sample_xlsx(path: Path, rows: list[list] | None = None) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows or sample_rows():
        workbook.active.append(row)
    workbook.save(path)
    return path


def replace_member(path: Path, out: Path, name: str, edit=None, chunks=None) -> Path:
    """Copy the workbook with member `name` changed: edit(bytes) -> bytes, or
    replaced by the byte chunks given (streamed, for members too big to hold)."""
    with zipfile.ZipFile(path) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(info, source.read(info))
            elif chunks is None:
                target.writestr(info.filename, edit(source.read(info)))
            else:
                with target.open(info.filename, "w") as member:
                    for chunk in chunks(source.read(info)):
                        member.write(chunk)
    return out


def with_dimension(xml: bytes, ref: str) -> bytes:
    return re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), xml, count=1)


def with_far_cell(xml: bytes) -> bytes:
    return xml.replace(b"</sheetData>", FAR_ROW.encode() + b"</sheetData>", 1)


def far_cell_sheet(tmp_path: Path, claim: bool = True, cell: bool = True) -> Path:
    """The sample with a cell at XFD1048576 and/or a dimension claiming A1:XFD1048576."""
    sample = write_sample_xlsx(tmp_path / "sample.xlsx")

    def edit(xml: bytes) -> bytes:
        xml = with_dimension(xml, "A1:XFD1048576") if claim else xml
        return with_far_cell(xml) if cell else xml
    return replace_member(sample, tmp_path / "far_cell.xlsx", SHEET, edit)


def bomb_sheet(tmp_path: Path, unpacked_mb: int) -> Path:
    """The sample whose sheet XML unpacks to `unpacked_mb` MB (whitespace between
    rows, legal XML) while the file stays a few hundred KB."""
    sample = write_sample_xlsx(tmp_path / "sample.xlsx")
    padding = b" " * (1024 * 1024)

    def chunks(xml: bytes):
        head, tail = xml.split(b"<sheetData>", 1)
        yield head + b"<sheetData>"
        for _ in range(unpacked_mb):
            yield padding
        yield tail
    return replace_member(sample, tmp_path / "bomb.xlsx", SHEET, chunks=chunks)


def entity_sheet(tmp_path: Path) -> Path:
    """A sheet declaring an internal entity (the billion-laughs family)."""
    sample = write_sample_xlsx(tmp_path / "sample.xlsx")

    def edit(xml: bytes) -> bytes:
        dtd = b'<!DOCTYPE worksheet [<!ENTITY lol "lollollollollollol">]>'
        return dtd + xml.replace(b"<t>", b"<t>&lol;", 1)
    return replace_member(sample, tmp_path / "entity.xlsx", SHEET, edit)
