"""Residents: communities, rooms, households, people, fee ledgers, caller matching,
the screen-pop record. Domain logic over the models in models/households.py and
models/fees.py; kept out of telephony/ (which only speaks to Asterisk) and out of
agent_console/ (which only presents).

Interfaces other packages use (settings values come in as arguments: the entry
point builds households.terms.HouseholdTerms.from_settings(settings)):
    households.terms.HouseholdTerms(local_area_code, office_timezone, late_fee_daily_rate)
    households.matching.normalize_number(raw, local_area_code) -> NormalizedNumber
    households.matching.match_caller(session, raw_number, local_area_code) -> CallerMatch
    households.matching.record_call(session, raw_number, household_id=None, called_at=None,
                                    local_area_code=...)
    households.lookup.find_household_by_room(session, building, unit, room) -> Household | None
    households.lookup.search_households(session, text, local_area_code=...) -> list[dict]
    households.lookup.phone_suffixes(session, household_id, role="owner") -> set[str]
    households.fees.balance_summary(session, household_id, as_of, daily_rate) -> BalanceSummary
    households.screen_pop.build_screen_pop(session, household_id, callid=None, terms=...) -> dict
    households.screen_pop.screen_pop_for_number(session, raw_number, callid=None, terms=...)
    households.samples.add_household(...), add_charge(...), add_payment(...)  (tests)

Commands: `hotline import households|ledger FILE`, `hotline export statement
--quarter 2026Q4 [--out FILE]`, `hotline demo-data --households N [--seed S]`.
"""
