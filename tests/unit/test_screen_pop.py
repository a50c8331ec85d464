"""The screen-pop record: household, people (masked ids), balance, work orders,
last calls, IVR session; and the record chosen by caller number."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from households.errors import HouseholdNotFound
from households.masking import mask_identity_number
from households.samples import add_charge, add_household
from households.screen_pop import build_screen_pop, screen_pop_for_number
from models.calls import Call
from models.console import User, WorkOrder
from models.ivr import IvrSession
from tests.support.demo import household_terms

UTC = dt.timezone.utc
ID_NUMBER = "110101198001011234"
TERMS = household_terms()


@pytest.mark.parametrize("value, masked", [
    (ID_NUMBER, "1101**********1234"), ("G12345678", "*******78"), ("123", "***"),
    ("", ""), (None, ""),
])
def test_mask_identity_number(value, masked):
    assert mask_identity_number(value) == masked


def seed_history(session, household_id: int) -> None:
    agent = User(username="agent1", password_hash="x", role="agent")
    session.add(agent)
    session.flush()
    for index, status in enumerate(("new", "in_progress", "closed")):
        session.add(WorkOrder(idempotency_token=f"t{index}", kind="repair",
                              description=f"漏水{index}",
                              status=status, household_id=household_id, created_by_id=agent.id))
    base = dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    for index in range(7):
        session.add(Call(callid=f"c{index}", caller_number="13800138000",
                         caller_number_raw="+8613800138000",
                         entered_queue_at=base + dt.timedelta(hours=index),
                         outcome="answered" if index % 2 else "abandoned"))
    session.add(Call(callid="other", caller_number="13999999999",
                     entered_queue_at=base + dt.timedelta(days=2), outcome="answered"))
    session.add(IvrSession(callid="c6", household_id=household_id, identified_by="caller_number",
                           outcome="to_agent", spoken_total_due_fen=75225,
                           steps=[{"t": 0, "kind": "play", "prompt": "hotline/welcome"}]))
    session.commit()


def test_build_screen_pop(session_factory):
    with session_factory() as session:
        household = add_household(session, "3-2-1502", phones=["138 0013 8000"],
                                  identity_number=ID_NUMBER,
                                  others=[("tenant", "赵磊", ["010-62345678"])])
        add_charge(session, household.id, "2026Q4", Decimal("750"))
        seed_history(session, household.id)
        pop = build_screen_pop(session, household.id, callid="c6", as_of=dt.date(2026, 10, 20),
                               terms=TERMS)
    json.dumps(pop)  # JSON-ready
    assert pop["household"]["number"] == "MAIN-3-2-1502"
    assert pop["rooms"] == [{"code": "3-2-1502", "building": "3", "unit": "2", "room": "1502",
                             "floor_area": pop["rooms"][0]["floor_area"]}]
    owner, tenant = pop["people"]
    assert owner["identity_number"] == "1101**********1234"
    assert ID_NUMBER not in json.dumps(pop)
    assert owner["phones"][0]["display"] == "138 0013 8000"
    assert tenant["role"] == "tenant" and tenant["phones"][0]["normalized"] == "01062345678"
    assert pop["balance"]["total_due"] == "752.25"
    assert pop["balance"]["dunning_stage"] == "first_notice"
    # The closed order is not shown.
    assert sorted(order["status"] for order in pop["open_work_orders"]) == ["in_progress", "new"]
    assert [call["callid"] for call in pop["last_calls"]] == ["c6", "c5", "c4", "c3", "c2"]
    assert pop["last_calls"][0]["outcome"] == "abandoned"
    assert pop["ivr_session"]["spoken_total_due_fen"] == 75225
    assert pop["ivr_session"]["steps"][0]["prompt"] == "hotline/welcome"


def test_screen_pop_without_history(session_factory):
    with session_factory() as session:
        household = add_household(session, "1-1-101")
        session.commit()
        pop = build_screen_pop(session, household.id, terms=TERMS)
        with pytest.raises(HouseholdNotFound):
            build_screen_pop(session, household.id + 1000, terms=TERMS)
    assert pop["open_work_orders"] == [] and pop["last_calls"] == []
    assert pop["ivr_session"] is None
    assert pop["balance"]["total_due"] == "0.00"


def test_pop_for_one_household(session_factory):
    with session_factory() as session:
        household = add_household(session, "3-2-1502", phones=["13800138000"])
        session.commit()
        pop = screen_pop_for_number(session, "+86 138 0013 8000", callid="x1", terms=TERMS)
    assert not pop["unknown"]
    assert pop["identified_by"] == "caller_number"
    assert pop["household"]["household"]["id"] == household.id
    assert pop["number"]["kind"] == "mobile" and pop["callid"] == "x1"


def test_pop_for_a_shared_number_lists_candidates(session_factory):
    with session_factory() as session:
        first = add_household(session, "1-1-101", phones=["62345678"])
        second = add_household(session, "1-1-102", owner="李娜", phones=["010-62345678"])
        session.commit()
        pop = screen_pop_for_number(session, "01062345678", terms=TERMS)
    assert pop["household"] is None and not pop["unknown"]
    assert {c["household_id"] for c in pop["candidates"]} == {first.id, second.id}


def test_pop_for_an_unknown_or_withheld_number(session_factory):
    with session_factory() as session:
        add_household(session, "1-1-101")
        session.commit()
        unknown = screen_pop_for_number(session, "13999999999", terms=TERMS)
        withheld = screen_pop_for_number(session, "anonymous", terms=TERMS)
    assert unknown["unknown"] and unknown["household"] is None and unknown["candidates"] == []
    assert withheld["unknown"] and withheld["number"]["kind"] == "withheld"


def test_pop_uses_the_household_identified_in_the_ivr(session_factory):
    with session_factory() as session:
        household = add_household(session, "3-2-1502", phones=["13800138000"])
        session.add(IvrSession(callid="ivr-1", household_id=household.id, identified_by="keypad",
                               outcome="to_agent"))
        session.commit()
        pop = screen_pop_for_number(session, "anonymous", callid="ivr-1", terms=TERMS)
    assert pop["identified_by"] == "ivr"
    assert pop["household"]["household"]["id"] == household.id
    assert pop["ivr_session"]["identified_by"] == "keypad"


def test_two_rooms_and_several_phones_are_each_listed_once(session_factory):
    from models.households import Room, Unit

    with session_factory() as session:
        household = add_household(session, "3-2-1502", phones=["13800138000", "62345678"],
                                  area=Decimal("100"),
                                  others=[("family", "李娜", ["13900139000", "62345678"])])
        unit_id = session.scalar(select(Unit.id))
        session.add(Room(unit_id=unit_id, number="1501", code="3-2-1501",
                         floor_area=Decimal("40.5"), household_id=household.id))
        session.commit()
        pop = build_screen_pop(session, household.id, terms=TERMS)
    assert [room["code"] for room in pop["rooms"]] == ["3-2-1501", "3-2-1502"]
    assert Decimal(pop["household"]["floor_area"]) == Decimal("140.5")
    assert [person["name"] for person in pop["people"]] == ["王伟", "李娜"]
    assert [len(person["phones"]) for person in pop["people"]] == [2, 2]
