"""The quarterly statement 应收管理费用明细表 written to Excel."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
from click.testing import CliRunner

from households.export import HEADERS, statement_lines, write_statement
from households.fees import Quarter
from households.samples import add_charge, add_household, add_payment

RATE = Decimal("0.0003")


def make_ledger(session):
    paid = add_household(session, "3-2-1502", owner="王伟", area=Decimal("100"))
    owing = add_household(session, "3-2-1503", owner="=cmd|x", area=Decimal("80"))
    for household, amount in ((paid, "750"), (owing, "600")):
        add_charge(session, household.id, "2026Q3", Decimal(amount))
        add_charge(session, household.id, "2026Q4", Decimal(amount))
    add_payment(session, paid.id, dt.date(2026, 7, 3), Decimal("750"), "R-1")
    session.commit()
    return paid, owing


def test_statement_lines(session_factory):
    with session_factory() as session:
        make_ledger(session)
        lines = statement_lines(session, Quarter(2026, 4), RATE)
    by_room = {line.rooms: line for line in lines}
    assert by_room["3-2-1502"].arrears == Decimal("0.00")
    assert by_room["3-2-1502"].total_due == Decimal("750.00")
    owing = by_room["3-2-1503"]
    # Q3's 600 unpaid since 10 July: 83 days to 1 October.
    assert owing.arrears == Decimal("600.00")
    assert owing.late_fee == (Decimal("600") * RATE * 83).quantize(Decimal("0.01"))
    assert owing.total_due == Decimal("1200.00") + owing.late_fee
    assert owing.amount_due == Decimal("600.00") and owing.floor_area == Decimal("80")


def test_statement_workbook(session_factory, tmp_path):
    with session_factory() as session:
        make_ledger(session)
        lines = statement_lines(session, Quarter(2026, 4), RATE)
    path = tmp_path / "statement.xlsx"
    write_statement(lines, Quarter(2026, 4), path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert [row[1] for row in rows[1:3]] == ["3-2-1502", "3-2-1503"]
    assert rows[2][2] == "'=cmd|x"  # a name that looks like a formula stays text
    assert rows[-1][0] == "合计"
    assert abs(rows[-1][8] - float(sum(line.total_due for line in lines))) < 0.005
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_export_command(session_factory, db_url, tmp_path, monkeypatch):
    from hotline.cli import main
    from hotline.settings import get_settings

    with session_factory() as session:
        make_ledger(session)
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    out = tmp_path / "q4.xlsx"
    try:
        result = CliRunner().invoke(main, ["export", "statement", "--quarter", "2026Q4",
                                           "--out", str(out)])
        bad = CliRunner().invoke(main, ["export", "statement", "--quarter", "2026Q7"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "2 households, quarter 2026Q4" in result.output
    assert openpyxl.load_workbook(out).worksheets[0].max_row == 4
    assert bad.exit_code == 2 and "'2026Q7' is not a quarter" in bad.output
