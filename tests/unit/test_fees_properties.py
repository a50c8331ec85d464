"""Properties of the fee rules over many generated households (hypothesis)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, strategies as st

from households.fees import (
    LedgerCharge, Quarter, late_fee, management_fee_for_period, money, outstanding_by_charge,
)
from models.households import Occupancy

CENT = Decimal("0.01")
areas = st.decimals(min_value=Decimal("20"), max_value=Decimal("500"), places=2)
rates = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("10"), places=2)
days = st.dates(min_value=dt.date(2018, 1, 1), max_value=dt.date(2028, 12, 31))
optional_days = st.none() | days
quarters = st.builds(Quarter, st.integers(2019, 2027), st.integers(1, 4))


@given(areas, rates, quarters, optional_days, st.sampled_from(list(Occupancy)), optional_days,
       optional_days)
def test_fee_is_never_more_than_the_full_fee(area, rate, quarter, handover, occupancy,
                                             renovation, move_in):
    fee = management_fee_for_period(area, rate, quarter.start, quarter.end, handover, occupancy,
                                    renovation, move_in)
    assert Decimal(0) <= fee <= money(area * rate * 3)


@given(areas, rates, quarters, days, st.sampled_from(list(Occupancy)), optional_days,
       optional_days, st.integers(0, 90))
def test_a_quarter_is_the_sum_of_its_parts(area, rate, quarter, handover, occupancy, renovation,
                                           move_in, split_after):
    split = min(quarter.start + dt.timedelta(days=split_after), quarter.end)
    whole = management_fee_for_period(area, rate, quarter.start, quarter.end, handover, occupancy,
                                      renovation, move_in)
    first = management_fee_for_period(area, rate, quarter.start, split, handover, occupancy,
                                      renovation, move_in)
    second = management_fee_for_period(area, rate, split + dt.timedelta(days=1), quarter.end,
                                       handover, occupancy, renovation, move_in)
    assert abs(whole - (first + second)) <= CENT  # each part rounds to the cent once


@given(areas, rates, quarters, days)
def test_reductions_are_ordered(area, rate, quarter, handover):
    def fee(occupancy, renovation):
        return management_fee_for_period(area, rate, quarter.start, quarter.end, handover,
                                         occupancy, renovation, None)
    renovated = dt.date(2017, 1, 1)
    half = fee(Occupancy.VACANT, None)
    entrusted = fee(Occupancy.ENTRUSTED, renovated)
    full = fee(Occupancy.VACANT, renovated)
    assert half <= entrusted <= full


amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2)


@given(st.lists(st.tuples(quarters, amounts), min_size=0, max_size=8, unique_by=lambda t: t[0]),
       amounts)
def test_payments_settle_exactly_what_they_cover(items, paid):
    charges = [LedgerCharge(q.start, q.end, q.due_on, amount) for q, amount in items]
    left = outstanding_by_charge(charges, paid)
    total = sum((c.amount for c in charges), Decimal(0))
    assert sum(left, Decimal(0)) == max(Decimal(0), total - paid)
    assert all(Decimal(0) <= rest <= charge.amount for rest, charge in zip(left, charges))
    # Oldest first: a newer charge is touched only once every older one is settled.
    order = sorted(range(len(charges)), key=lambda i: charges[i].due_on)
    touched = [left[i] < charges[i].amount for i in order]
    settled = [left[i] == 0 for i in order]
    for index in range(1, len(order)):
        if touched[index] and charges[order[index]].amount > 0:
            assert all(settled[:index])


@given(amounts, days, days, days, st.decimals(min_value=Decimal("0"), max_value=Decimal("0.01"),
                                             places=5))
def test_late_fee_grows_with_time(overdue, due_on, earlier, later, rate):
    earlier, later = sorted((earlier, later))
    assert late_fee(overdue, due_on, earlier, rate) <= late_fee(overdue, due_on, later, rate)
    assert late_fee(overdue, due_on, due_on, rate) == 0
