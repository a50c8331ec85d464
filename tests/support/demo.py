"""Demo households for tests, on the test settings' area code and office calendar."""
from __future__ import annotations

from households.demo import DemoResult, make_demo_data
from households.terms import HouseholdTerms
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
