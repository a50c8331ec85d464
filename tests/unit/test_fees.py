"""Fee rules of the seeds (half rate, 70 %, late fee, dunning) and the balance summary."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from households.errors import FeeRuleError
from households.fees import (
    DunningStage, LedgerCharge, Quarter, balance_summary, dunning_stage, formal_letter_due,
    late_fee, management_fee_factor, management_fee_for_period, outstanding_by_charge, summarize,
)
from households.samples import add_charge, add_household, add_payment
from models.households import Occupancy

D = Decimal
Q4 = Quarter(2026, 4)
RATE = D("0.0003")


def fee(occupancy, handover=dt.date(2020, 1, 1), renovation=None, move_in=None,
        area=D("100"), rate=D("2.5"), quarter=Q4):
    return management_fee_for_period(area, rate, quarter.start, quarter.end, handover, occupancy,
                                     renovation, move_in)


def test_full_rate_for_a_lived_in_home():
    assert fee(Occupancy.OWNER_OCCUPIED) == D("750.00")  # 100 m² × 2.5 × 3 months


def test_half_rate_before_renovation_is_registered():
    assert fee(Occupancy.VACANT) == D("375.00")


def test_full_rate_from_the_day_renovation_is_registered():
    # Oct, Nov at half (125 + 125), Dec full (250).
    assert fee(Occupancy.VACANT, renovation=dt.date(2026, 12, 1)) == D("500.00")


def test_unrenovated_but_lived_in_pays_full_rate():
    assert fee(Occupancy.VACANT, move_in=dt.date(2026, 1, 1)) == D("750.00")


def test_entrusted_home_pays_seventy_percent():
    assert fee(Occupancy.ENTRUSTED, renovation=dt.date(2021, 1, 1)) == D("525.00")


def test_entrusted_unrenovated_home_keeps_the_lower_half_rate():
    assert fee(Occupancy.ENTRUSTED) == D("375.00")


def test_no_fee_before_the_keys_are_handed_over():
    assert fee(Occupancy.VACANT, handover=dt.date(2027, 1, 5)) == D("0.00")
    assert fee(Occupancy.VACANT, handover=None) == D("0.00")


def test_fee_starts_on_the_key_handover_day():
    # Keys on 16 Oct: 16/31 of October, then November and December, full rate.
    expected = (D(250) * 16 / 31 + 500).quantize(D("0.01"))
    assert fee(Occupancy.OWNER_OCCUPIED, handover=dt.date(2026, 10, 16)) == expected


def test_negative_area_is_refused():
    with pytest.raises(FeeRuleError):
        fee(Occupancy.VACANT, area=D("-1"))


@pytest.mark.parametrize("occupancy, renovation, move_in, day, factor", [
    (Occupancy.VACANT, None, None, dt.date(2026, 5, 1), D("0.5")),
    (Occupancy.VACANT, dt.date(2026, 5, 1), None, dt.date(2026, 5, 1), D("1")),
    (Occupancy.VACANT, dt.date(2026, 5, 2), None, dt.date(2026, 5, 1), D("0.5")),
    (Occupancy.RENTED, None, None, dt.date(2026, 5, 1), D("1")),
    (Occupancy.ENTRUSTED, dt.date(2020, 1, 1), None, dt.date(2026, 5, 1), D("0.7")),
])
def test_management_fee_factor(occupancy, renovation, move_in, day, factor):
    assert management_fee_factor(occupancy, renovation, move_in, day) == factor


def test_late_fee_is_daily_rate_times_days_after_the_window():
    due = dt.date(2026, 10, 10)
    assert late_fee(D("1000"), due, due, RATE) == D("0.00")
    assert late_fee(D("1000"), due, dt.date(2026, 10, 11), RATE) == D("0.30")
    assert late_fee(D("1000"), due, dt.date(2026, 11, 9), RATE) == D("9.00")
    assert late_fee(D("0"), due, dt.date(2027, 1, 1), RATE) == D("0.00")


@pytest.mark.parametrize("as_of, stage", [
    (dt.date(2026, 10, 10), DunningStage.NONE),           # still inside the window
    (dt.date(2026, 10, 11), DunningStage.FIRST_NOTICE),   # window closed: notice by the 20th
    (dt.date(2026, 10, 29), DunningStage.FIRST_NOTICE),
    (dt.date(2026, 10, 30), DunningStage.SECOND_NOTICE),  # 10 days after the first (20th)
    (dt.date(2026, 11, 9), DunningStage.FINAL_NOTICE),    # 10 days after the second
    (dt.date(2026, 11, 19), DunningStage.OTHER_MEANS),
])
def test_dunning_stage(as_of, stage):
    assert dunning_stage(dt.date(2026, 10, 10), as_of) == stage


def test_nothing_overdue_means_no_dunning():
    assert dunning_stage(None, dt.date(2026, 12, 1)) == DunningStage.NONE


def test_formal_letter_three_months_after_the_first_notice():
    due = dt.date(2026, 7, 10)
    assert not formal_letter_due(due, dt.date(2026, 10, 19))
    assert formal_letter_due(due, dt.date(2026, 10, 20))


def test_quarter_parse_and_window():
    quarter = Quarter.parse("2026q4")
    assert (quarter.start, quarter.end, quarter.due_on) == (
        dt.date(2026, 10, 1), dt.date(2026, 12, 31), dt.date(2026, 10, 10))
    assert str(quarter.previous()) == "2026Q3" and str(Quarter(2026, 1).previous()) == "2025Q4"
    with pytest.raises(FeeRuleError):
        Quarter.parse("2026Q5")


def _charge(quarter: str, amount: str) -> LedgerCharge:
    q = Quarter.parse(quarter)
    return LedgerCharge(q.start, q.end, q.due_on, D(amount))


def test_payments_settle_the_oldest_charge_first():
    charges = [_charge("2026Q3", "300"), _charge("2026Q2", "300")]
    assert outstanding_by_charge(charges, D("400")) == [D("200"), D("0")]


def test_summary_of_two_unpaid_quarters():
    charges = [_charge("2026Q3", "300"), _charge("2026Q4", "300")]
    summary = summarize(1, charges, D("0"), None, dt.date(2026, 11, 9), RATE)
    # Q3 overdue since 10 Jul (122 days), Q4 since 10 Oct (30 days).
    expected_fee = (D("300") * RATE * 122).quantize(D("0.01")) + \
        (D("300") * RATE * 30).quantize(D("0.01"))
    assert summary.late_fee == expected_fee
    assert summary.total_due == D("600") + expected_fee
    assert summary.months_in_arrears == 6
    assert summary.dunning_stage == DunningStage.OTHER_MEANS
    assert summary.formal_letter_due
    assert summary.arrears_days == 122


def test_prepayment_shows_as_credit_not_as_a_negative_balance():
    summary = summarize(1, [_charge("2026Q4", "300")], D("1000"), None, dt.date(2026, 12, 1),
                        RATE)
    assert summary.total_due == D("0.00") and summary.credit == D("700.00")


def test_summary_ignores_periods_not_yet_billed():
    summary = summarize(1, [_charge("2027Q1", "300")], D("0"), None, dt.date(2026, 12, 1), RATE)
    assert summary.total_due == D("0.00")


def test_balance_summary_from_the_database(session_factory):
    with session_factory() as session:
        household = add_household(session, "3-2-1502")
        add_charge(session, household.id, "2026Q3", D("750"))
        add_charge(session, household.id, "2026Q4", D("750"))
        add_payment(session, household.id, dt.date(2026, 7, 5), D("750"), "R-1")
        add_payment(session, household.id, dt.date(2026, 12, 1), D("750"), "R-LATER")
        session.commit()
        summary = balance_summary(session, household.id, as_of=dt.date(2026, 10, 20),
                                  daily_rate=RATE)
    assert summary.outstanding == D("750.00")
    assert summary.late_fee == D("2.25")  # 750 × 0.0003 × 10 days
    assert summary.total_due == D("752.25")
    assert summary.months_in_arrears == 3
    assert summary.dunning_stage == DunningStage.FIRST_NOTICE
    assert summary.last_payment_on == dt.date(2026, 7, 5)  # the later one is after as_of
    assert summary.as_dict()["dunning_stage"] == "first_notice"


def test_balance_summary_uses_the_late_fee_setting(session_factory, make_settings):
    from households.terms import HouseholdTerms

    terms = HouseholdTerms.from_settings(make_settings(late_fee_daily_rate=0.001))
    with session_factory() as session:
        household = add_household(session, "1-1-101")
        add_charge(session, household.id, "2026Q4", D("1000"))
        session.commit()
        summary = balance_summary(session, household.id, as_of=dt.date(2026, 10, 20),
                                  daily_rate=terms.late_fee_daily_rate)
    assert summary.late_fee == D("10.00")


def test_today_is_the_office_calendar_day(make_settings):
    from households.terms import HouseholdTerms

    moments = {}
    for zone in ("Asia/Shanghai", "Pacific/Kiritimati", "Pacific/Pago_Pago"):
        moments[zone] = HouseholdTerms.from_settings(make_settings(office_timezone=zone)).today()
    # UTC+14 and UTC-11 are always on different calendar days.
    assert moments["Pacific/Kiritimati"] != moments["Pacific/Pago_Pago"]
    # Shanghai (UTC+8) is six hours behind Kiritimati: the same day or the day before.
    assert moments["Asia/Shanghai"] in (moments["Pacific/Kiritimati"],
                                        moments["Pacific/Kiritimati"] - dt.timedelta(days=1))
