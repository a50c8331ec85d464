"""Caller-number normalisation (hypothesis) and matching callers to households."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings, strategies as st

from households.lookup import (
    find_household_by_room, parse_room_text, phone_suffixes, search_households,
)
from households.matching import match_caller, normalize_number, record_call
from households.samples import add_household
from models.households import PhoneKind

LOCAL = "010"
mobiles = st.builds(lambda prefix, rest: prefix + rest,
                    st.sampled_from(["130", "138", "150", "166", "177", "186", "199"]),
                    st.text("0123456789", min_size=8, max_size=8))
separators = st.sampled_from(["", " ", "-", "  ", "."])
two_digit_areas = st.sampled_from(["010", "020", "021", "022", "025", "029"])
four_digit_areas = st.sampled_from(["0755", "0571", "0311", "0898", "0512"])
subscriber8 = st.builds(lambda first, rest: first + rest, st.sampled_from("23456789"),
                        st.text("0123456789", min_size=7, max_size=7))


def spaced(digits: str, separator: str, cut: int = 3) -> str:
    return digits[:cut] + separator + digits[cut:] if separator else digits


@given(mobiles, st.sampled_from(["", "+86", "+86 ", "0086", "0086-", "86", "0"]), separators)
def test_every_way_of_writing_a_mobile_gives_its_11_digits(mobile, prefix, separator):
    number = normalize_number(prefix + spaced(mobile, separator), LOCAL)
    assert number.kind == PhoneKind.MOBILE
    assert number.key == mobile


@given(st.one_of(two_digit_areas.flatmap(lambda a: st.tuples(st.just(a), subscriber8)),
                 four_digit_areas.flatmap(lambda a: st.tuples(
                     st.just(a), st.one_of(subscriber8, subscriber8.map(lambda s: s[:7]))))),
       st.sampled_from(["{a}{s}", "{a}-{s}", "({a}){s}", "+86 {n} {s}", "0086{n}{s}",
                        "+86-{a}-{s}", "{a} {s}"]))
def test_landlines_with_area_code_meet_in_national_form(area_and_subscriber, form):
    area, subscriber = area_and_subscriber
    raw = form.format(a=area, n=area[1:], s=subscriber)
    number = normalize_number(raw, LOCAL)
    assert number.kind == PhoneKind.LANDLINE, raw
    assert number.key == area + subscriber
    assert number.area_code == area


@given(subscriber8, st.sampled_from(["010", "021"]))
def test_a_local_landline_without_area_code_gets_the_local_one(subscriber, local):
    assert normalize_number(subscriber, local).key == local + subscriber
    assert normalize_number(spaced(subscriber, "-", 4), local).key == local + subscriber


@given(subscriber8, st.integers(1, 99999),
       st.sampled_from([" ext {e}", " ext. {e}", "x{e}", "转{e}", "分机{e}", "-{e}", ",,{e}"]))
def test_extensions_are_kept_apart_from_the_number(subscriber, extension, form):
    raw = "010-" + subscriber + form.format(e=extension)
    number = normalize_number(raw, LOCAL)
    assert number.key == "010" + subscriber
    assert number.extension == str(extension)


@given(st.text(max_size=80))
@settings(max_examples=500)
def test_normalizing_never_raises_and_keys_are_stable(raw):
    number = normalize_number(raw, LOCAL)
    if number.key is not None and number.kind in (PhoneKind.MOBILE, PhoneKind.LANDLINE):
        # A key normalises to itself: the stored form is a fixed point.
        assert normalize_number(number.key, LOCAL).key == number.key
    else:
        assert number.kind in PhoneKind


@pytest.mark.parametrize("raw, kind", [
    ("", PhoneKind.EMPTY), ("   ", PhoneKind.EMPTY), (None, PhoneKind.EMPTY),
    ("anonymous", PhoneKind.WITHHELD), ("Anonymous", PhoneKind.WITHHELD),
    ("<unknown>", PhoneKind.WITHHELD), ("withheld", PhoneKind.WITHHELD),
    ("abc!", PhoneKind.INVALID), ("1" * 70, PhoneKind.INVALID), ("12", PhoneKind.INTERNAL),
    ("8001", PhoneKind.INTERNAL), ("95588", PhoneKind.SERVICE), ("400-810-8888", PhoneKind.SERVICE),
    ("+1 415 555 0100", PhoneKind.INTERNATIONAL), ("00442071234567", PhoneKind.INTERNATIONAL),
])
def test_number_kinds(raw, kind):
    number = normalize_number(raw, LOCAL)
    assert number.kind == kind
    assert number.matchable == (kind in (PhoneKind.SERVICE, PhoneKind.INTERNATIONAL))


def test_the_local_area_code_comes_from_the_setting(make_settings):
    from households.terms import HouseholdTerms

    terms = HouseholdTerms.from_settings(make_settings(local_area_code="0755"))
    assert normalize_number("83456789", terms.local_area_code).key == "075583456789"


def test_a_bad_local_area_code_setting_is_named(monkeypatch):
    from hotline.errors import SettingsError
    from hotline.settings import load_settings

    monkeypatch.setenv("HOTLINE_LOCAL_AREA_CODE", "755")
    with pytest.raises(SettingsError, match="HOTLINE_LOCAL_AREA_CODE"):
        load_settings()


@pytest.mark.parametrize("text, parts", [
    ("3-2-1502", ("3", "2", "1502")), ("3*2*1502", ("3", "2", "1502")),
    ("3栋2单元1502室", ("3", "2", "1502")), ("12 1 301", ("12", "1", "301")),
    ("王伟", None), ("13800138000", None),
])
def test_room_text(text, parts):
    assert parse_room_text(text) == parts


def test_match_one_household(session_factory):
    with session_factory() as session:
        household = add_household(session, "3-2-1502", phones=["138 0013 8000", "62345678"])
        session.commit()
        for raw in ("+8613800138000", "010-62345678", "0086 10 6234 5678"):
            match = match_caller(session, raw, LOCAL)
            assert not match.unknown
            assert match.household_id == household.id
            assert match.candidates[0].rooms == ("3-2-1502",)


def test_shared_number_gives_every_household_most_recently_called_first(session_factory):
    with session_factory() as session:
        first = add_household(session, "1-1-101", owner="李娜", phones=["13900000001"])
        second = add_household(session, "1-1-102", owner="张强", phones=["13900000002"],
                               others=[("agent", "链家王", ["13900000009"])])
        third = add_household(session, "1-1-103", owner="赵敏", phones=["13900000009"])
        session.commit()
        match = match_caller(session, "13900000009", LOCAL)
        assert [c.household_id for c in match.candidates] == [second.id, third.id]
        assert match.household_id is None
        record_call(session, "13900000009", third.id,
                    dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc), local_area_code=LOCAL)
        session.commit()
        match = match_caller(session, "13900000009", LOCAL)
        assert [c.household_id for c in match.candidates] == [third.id, second.id]
        record_call(session, "13900000009", second.id,
                    dt.datetime(2026, 11, 2, tzinfo=dt.timezone.utc), local_area_code=LOCAL)
        session.commit()
        match = match_caller(session, "+86 139 0000 0009", LOCAL)
        assert [c.household_id for c in match.candidates] == [second.id, third.id]
        assert match.candidates[1].person_name == "赵敏"
        assert first.id not in [c.household_id for c in match.candidates]


@pytest.mark.parametrize("raw", ["13911112222", "anonymous", "", None, "garbage"])
def test_unknown_caller(session_factory, raw):
    with session_factory() as session:
        add_household(session, "1-1-101")
        session.commit()
        match = match_caller(session, raw, LOCAL)
    assert match.unknown and match.candidates == ()


def test_find_household_by_room(session_factory):
    with session_factory() as session:
        household = add_household(session, "3-2-1502")
        session.commit()
        assert find_household_by_room(session, "3", "2", "1502").id == household.id
        assert find_household_by_room(session, 3, 2, 1502).id == household.id
        assert find_household_by_room(session, "03", "02", "1502").id == household.id
        assert find_household_by_room(session, "3", "2", "1503") is None


def test_search_by_room_name_and_phone_fragment(session_factory):
    with session_factory() as session:
        wang = add_household(session, "3-2-1502", owner="王伟", phones=["13800138000"])
        li = add_household(session, "3-2-1503", owner="李伟", phones=["010-62345678"])
        session.commit()
        assert [h["household_id"] for h in search_households(session, "3-2-1502", local_area_code=LOCAL)] == [wang.id]
        assert {h["household_id"] for h in search_households(session, "伟", local_area_code=LOCAL)} == {wang.id, li.id}
        assert [h["household_id"] for h in search_households(session, "0013", local_area_code=LOCAL)] == [wang.id]
        assert [h["household_id"] for h in search_households(session, "6234 5678", local_area_code=LOCAL)] == [li.id]
        assert search_households(session, "", local_area_code=LOCAL) == []
        assert search_households(session, "%", local_area_code=LOCAL) == []
        found = search_households(session, "王伟", local_area_code=LOCAL)[0]
        assert found["owner"] == "王伟" and found["rooms"] == ["3-2-1502"]


def test_owner_phone_suffixes_for_the_ivr_check(session_factory):
    with session_factory() as session:
        household = add_household(session, "3-2-1502", phones=["138 0013 8000", "62345678"],
                                  others=[("tenant", "赵磊", ["13911112222"])])
        session.commit()
        assert phone_suffixes(session, household.id) == {"8000", "5678"}
        assert phone_suffixes(session, household.id, role="tenant") == {"2222"}


def test_ivr_sessions_and_work_orders_count_as_calls_about_a_household(session_factory):
    from models.console import User, WorkOrder
    from models.ivr import IvrSession

    utc = dt.timezone.utc
    with session_factory() as session:
        first = add_household(session, "1-1-101", phones=["13900000009"])
        second = add_household(session, "1-1-102", phones=["13900000009"])
        third = add_household(session, "1-1-103", phones=["13900000009"])
        session.add(IvrSession(callid="a", household_id=second.id,
                               started_at=dt.datetime(2026, 11, 2, tzinfo=utc)))
        user = User(username="u", password_hash="x")
        session.add(user)
        session.flush()
        session.add(WorkOrder(idempotency_token="w", kind="repair", description="d",
                              household_id=third.id, created_by_id=user.id,
                              call_at=dt.datetime(2026, 11, 3, tzinfo=utc)))
        session.commit()
        order = [c.household_id for c in match_caller(session, "13900000009", LOCAL).candidates]
        assert order == [third.id, second.id, first.id]
        record_call(session, "13900000009", first.id, dt.datetime(2026, 11, 4, tzinfo=utc), local_area_code=LOCAL)
        session.commit()
        order = [c.household_id for c in match_caller(session, "13900000009", LOCAL).candidates]
        assert order == [first.id, third.id, second.id]


def test_a_number_shared_by_many_households_lists_the_most_recent_ones(session_factory):
    from households.matching import MAX_CANDIDATES

    utc = dt.timezone.utc
    with session_factory() as session:
        ids = [add_household(session, f"1-1-{101 + i}", phones=["010-88886666"]).id
               for i in range(MAX_CANDIDATES + 5)]
        record_call(session, "88886666", ids[-1], dt.datetime(2026, 11, 4, tzinfo=utc), local_area_code=LOCAL)
        session.commit()
        match = match_caller(session, "88886666", LOCAL)
    assert match.total_candidates == MAX_CANDIDATES + 5
    assert len(match.candidates) == MAX_CANDIDATES
    assert match.candidates[0].household_id == ids[-1]
    assert match.household_id is None and not match.unknown
