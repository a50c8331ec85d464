"""Demo households for tests, on the test settings' area code and office calendar."""
from __future__ import annotations

from sqlalchemy import func, select

from households.demo import DemoResult, make_demo_data
from households.terms import HouseholdTerms
from models.households import Phone
from models.session import session_factory
from tests.support.settings import make_settings


def household_terms() -> HouseholdTerms:
    """The household terms of the default test settings (what a console under test uses)."""
    return HouseholdTerms.from_settings(make_settings())


def demo_data(session, households: int, **options) -> DemoResult:
    """make_demo_data with as_of = the office's today and the settings' area code."""
    terms = household_terms()
    options.setdefault("as_of", terms.today())
    options.setdefault("local_area_code", terms.local_area_code)
    return make_demo_data(session, households, **options)


def one_household_number(url: str) -> tuple[str, int]:
    """A plain mobile number of exactly one household of the database at `url`."""
    with session_factory(url)() as session:
        shared = dict(session.execute(select(Phone.normalized, func.count(Phone.id))
                                      .group_by(Phone.normalized)).all())
        for phone in session.scalars(select(Phone).order_by(Phone.id)):
            if phone.raw.isdigit() and len(phone.raw) == 11 and shared[phone.normalized] == 1:
                return phone.raw, phone.household_id
    raise AssertionError("demo data has no single-household mobile number")
