"""Importing fee ledgers (charges and payments): natural keys, receipts, broken rows."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from households.errors import ImportRejected
from households.fees import balance_summary
from households.import_ledger import parse_period
from households.import_values import column_length
from households.importing import import_households_file, import_ledger_file
from households.samples import SAMPLE_AREA_CODE
from models.fees import Charge, Payment
from models.households import Household

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
HEADER = "房号,费用类型,期间,应收金额,实收金额,收据号,缴费日期\n"


def ledger_counts(session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(Charge)),
            session.scalar(select(func.count()).select_from(Payment)))


@pytest.fixture
def households(session_factory):
    with session_factory() as session:
        import_households_file(session, FIXTURES / "households_sample.csv", local_area_code=SAMPLE_AREA_CODE)
    return session_factory


def household_id(session, room_code: str) -> int:
    return session.scalar(select(Household.id).where(Household.number == f"MAIN-{room_code}"))


@pytest.mark.parametrize("name", ["ledger_sample.csv", "ledger_sample.xlsx"])
def test_ledger_imports_and_reimport_never_duplicates(households, name):
    with households() as session:
        report = import_ledger_file(session, FIXTURES / name)
        assert (report.result.charges_written, report.result.payments_written) == (7, 3)
        assert ledger_counts(session) == (7, 3)
        import_ledger_file(session, FIXTURES / "ledger_sample.csv")
        import_ledger_file(session, FIXTURES / "ledger_sample.xlsx")
        assert ledger_counts(session) == (7, 3)
        summary = balance_summary(session, household_id(session, "3-2-1503"),
                                  as_of=dt.date(2026, 10, 20), daily_rate=Decimal("0.0003"))
        assert summary.outstanding == Decimal("1605.60")
        assert summary.months_in_arrears == 6


def test_reimport_with_a_corrected_amount_updates_the_charge(households, tmp_path):
    path = tmp_path / "fix.csv"
    path.write_text(HEADER + "3-2-1503,物业管理费,2026Q4,800.00,,,\n", encoding="utf-8")
    with households() as session:
        import_ledger_file(session, FIXTURES / "ledger_sample.csv")
        import_ledger_file(session, path)
        assert ledger_counts(session) == (7, 3)
        amount = session.scalar(select(Charge.amount).where(
            Charge.household_id == household_id(session, "3-2-1503"),
            Charge.period_start == dt.date(2026, 10, 1)))
        assert Decimal(amount) == Decimal("800.00")


def rejected(session, path: Path) -> list[str]:
    before = ledger_counts(session)
    with pytest.raises(ImportRejected) as caught:
        import_ledger_file(session, path)
    assert ledger_counts(session) == before
    return [str(problem) for problem in caught.value.problems]


def test_broken_ledger_rows_are_all_reported(households, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text(HEADER +
                    "3-2-1502,物业管理费,2026Q4,100,,,\n"         # fine
                    "9-9-999,物业管理费,2026Q4,100,,,\n"          # unknown room
                    "3-2-1502,月饼费,2026Q4,100,,,\n"             # unknown fee kind
                    "3-2-1502,物业管理费,2026Q9,100,,,\n"         # bad period
                    "3-2-1503,物业管理费,2026Q4,,500,,\n"         # payment without receipt
                    "3-2-1504,物业管理费,2026Q4,abc,,,\n"         # not a number
                    "3-2-1502,物业管理费,2026Q4,100,,,\n"         # same charge twice
                    "3-2-1601,物业管理费,2026Q4,,,,\n"            # nothing to record
                    "3-2-1601,物业管理费,2026Q4,=1+1,,,\n",       # formula
                    encoding="utf-8")
    with households() as session:
        problems = rejected(session, path)
    assert problems == [
        "row 3, column room: no household lives in room '9-9-999'",
        "row 4, column fee_kind: '月饼费' is not a known fee kind",
        "row 5, column period: '2026Q9' is not a period like 2026Q3 or 2026-07",
        "row 6, column receipt_number: a payment needs its receipt number and date",
        "row 7, column amount_due: 'abc' is not a number",
        "row 8, column period: the same charge is already on row 2",
        "row 9: neither amount_due nor amount_paid is given",
        "row 10, column amount_due: cell starts like a formula ('=1+1'): refused "
        "(CSV/Excel injection)",
    ]


def test_a_receipt_cannot_move_to_another_household(households, tmp_path):
    path = tmp_path / "moved.csv"
    path.write_text(HEADER + "3-2-1503,物业管理费,2026Q3,,1156.50,R2026-0001,2026-07-05\n",
                    encoding="utf-8")
    with households() as session:
        import_ledger_file(session, FIXTURES / "ledger_sample.csv")
        problems = rejected(session, path)
    assert problems == ["row 2, column receipt_number: receipt R2026-0001 belongs to another "
                        "household"]


@pytest.mark.parametrize("text, expected", [
    ("2026Q3", (dt.date(2026, 7, 1), dt.date(2026, 9, 30), dt.date(2026, 7, 10))),
    ("2026-02", (dt.date(2026, 2, 1), dt.date(2026, 2, 28), dt.date(2026, 2, 10))),
    ("2026年11月", (dt.date(2026, 11, 1), dt.date(2026, 11, 30), dt.date(2026, 11, 10))),
])
def test_periods(text, expected):
    assert parse_period(text) == expected


def test_receipt_numbers_are_bounded_by_their_column(households, tmp_path):
    limit = column_length(Payment.receipt_number)
    over = tmp_path / "long_receipt.csv"
    over.write_text(HEADER + f"3-2-1503,物业管理费,2026Q3,,10,{'R' * (limit + 1)},2026-07-05\n",
                    encoding="utf-8")
    fits = tmp_path / "receipt.csv"
    fits.write_text(HEADER + f"3-2-1503,物业管理费,2026Q3,,10,{'R' * limit},2026-07-05\n",
                    encoding="utf-8")
    with households() as session:
        problems = rejected(session, over)
        import_ledger_file(session, fits)
        assert session.scalar(select(Payment.receipt_number)) == "R" * limit
    assert problems == [f"row 2, column receipt_number: {limit + 1} characters, more than the "
                        f"{limit} that payments.receipt_number holds"]
