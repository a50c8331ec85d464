"""Demo data: believable, deterministic for a seed, consistent with the fee rules."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

import models

from households.demo import make_demo_data
from households.demo_people import identity_number
from households.errors import HouseholdsError
from households.fees import balance_summary
from households.matching import match_caller
from households.numbers import normalize_number
from models.fees import Charge, Payment
from models.households import Household, Person, Phone, PhoneKind, Room
from models.session import make_engine

AS_OF = dt.date(2026, 11, 23)
RATE = Decimal("0.0003")
AREA = "010"


def snapshot(session) -> list:
    return [
        session.execute(select(Household.number, Household.occupancy, Household.key_handover_on)
                        .order_by(Household.id)).all(),
        session.execute(select(Person.name, Person.role).order_by(Person.id)).all(),
        session.execute(select(Phone.raw, Phone.normalized).order_by(Phone.id)).all(),
        session.execute(select(Charge.amount).order_by(Charge.id)).all(),
        session.execute(select(Payment.receipt_number, Payment.paid_on).order_by(Payment.id)).all(),
    ]


def test_demo_data_is_believable(session_factory):
    with session_factory() as session:
        result = make_demo_data(session, 600, seed=5, as_of=AS_OF, local_area_code="021")
        session.commit()
        assert result.households == 600
        assert session.scalar(select(func.count()).select_from(Household)) == 600
        assert result.rooms >= 600 and result.charges > 1500 and result.payments > 1200
        roles = dict(session.execute(select(Person.role, func.count()).group_by(Person.role)).all())
        assert {role.value for role in roles} >= {"owner", "family", "tenant"}
        kinds = {kind.value for kind in session.scalars(select(Phone.kind).distinct())}
        assert kinds == {"mobile", "landline"}
        # Every stored number is its own normal form, and some are shared between households.
        for raw, key in session.execute(select(Phone.raw, Phone.normalized).limit(200)):
            assert normalize_number(raw, "021").key == key
        # Most landlines are local: in the area passed in (Shanghai here, not the default 010).
        landlines = session.scalars(select(Phone.normalized).where(
            Phone.kind == PhoneKind.LANDLINE)).all()
        assert sum(key.startswith("021") for key in landlines) > 0.7 * len(landlines) > 0
        shared = session.execute(select(Phone.normalized).group_by(Phone.normalized)
                                 .having(func.count(Phone.household_id.distinct()) > 1)).all()
        assert shared
        assert len(match_caller(session, shared[0][0], "021").candidates) > 1
        codes = session.scalars(select(Room.code).limit(5)).all()
        assert all(code.count("-") == 2 for code in codes)
        # A year of ledgers leaves some households in arrears, most not.
        owing = [balance_summary(session, household_id, AS_OF, RATE).months_in_arrears
                 for household_id in session.scalars(select(Household.id))]
        assert 0 < sum(1 for months in owing if months) < len(owing) // 2


def test_same_seed_same_data_other_seed_other_data(session_factory, tmp_path):
    other = make_engine(f"sqlite:///{tmp_path / 'second.sqlite3'}")
    models.Base.metadata.create_all(other)
    with session_factory() as first, sessionmaker(other)() as second:
        make_demo_data(first, 150, seed=9, as_of=AS_OF, local_area_code=AREA)
        make_demo_data(second, 150, seed=9, as_of=AS_OF, local_area_code=AREA)
        first.commit()
        second.commit()
        assert snapshot(first) == snapshot(second)
        make_demo_data(second, 150, seed=10, as_of=AS_OF, community_code="OTHER", local_area_code=AREA)
        second.commit()
        names = second.scalars(select(Person.name).order_by(Person.id)).all()
        assert names[:150] != names[-150:]


def test_demo_data_refuses_to_load_a_community_twice(session_factory):
    with session_factory() as session:
        make_demo_data(session, 5, seed=1, as_of=AS_OF, local_area_code=AREA)
        with pytest.raises(HouseholdsError, match="already exists"):
            make_demo_data(session, 5, seed=1, as_of=AS_OF, local_area_code=AREA)


def test_demo_charges_follow_the_fee_rules(session_factory):
    with session_factory() as session:
        make_demo_data(session, 300, seed=2, as_of=AS_OF, local_area_code=AREA)
        session.commit()
        rows = session.execute(
            select(Charge.amount, Charge.floor_area, Charge.rate, Household.occupancy,
                   Household.renovation_registered_on, Household.key_handover_on)
            .join(Household, Household.id == Charge.household_id)
            .where(Charge.period_start == dt.date(2026, 10, 1))).all()
    full_quarter = [r for r in rows if r.key_handover_on < dt.date(2026, 10, 1)]
    checked = {"entrusted": 0, "lived_in": 0, "half": 0}
    for amount, area, rate, occupancy, renovated, _ in full_quarter:
        full = Decimal(area) * Decimal(rate) * 3
        renovated_before = renovated is not None and renovated < dt.date(2026, 10, 1)
        if occupancy.value == "entrusted" and renovated_before:
            assert Decimal(amount) == (full * Decimal("0.7")).quantize(Decimal("0.01"))
            checked["entrusted"] += 1
        elif occupancy.value in ("owner_occupied", "rented"):
            assert Decimal(amount) == full.quantize(Decimal("0.01"))
            checked["lived_in"] += 1
        elif occupancy.value == "vacant" and renovated is None:
            assert Decimal(amount) == (full * Decimal("0.5")).quantize(Decimal("0.01"))
            checked["half"] += 1
    assert all(checked.values()), checked


def test_identity_numbers_carry_a_valid_check_digit():
    import random

    number = identity_number(random.Random(1))
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights))
    assert len(number) == 18 and "10X98765432"[total % 11] == number[17]


def test_demo_data_command(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from hotline.cli import main
    from hotline.settings import get_settings

    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        missing = CliRunner().invoke(main, ["demo-data", "--households", "10"])
        models.Base.metadata.create_all(make_engine(url))
        made = CliRunner().invoke(main, ["demo-data", "--households", "50", "--seed", "3"])
    finally:
        get_settings.cache_clear()
    assert missing.exit_code == 2 and "hotline db upgrade" in missing.output
    assert made.exit_code == 0, made.output
    assert "50 households" in made.output
