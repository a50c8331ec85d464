"""Dunning reminders (issue 18.3) on SQLite and PostgreSQL over the demo community:
the households at the chosen stage enrolled once, the call's words (amount due,
oldest unpaid period), 1 → the queue with the household identified, 2 → the
breakdown, each contact recorded; the courier's letter list."""
from __future__ import annotations

import collections
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from campaigns import store
from campaigns.dunning import STAGES, DunningKind, letter_list, quarter_of
from campaigns.ivr import CampaignCallScript
from campaigns.prompts import CP
from campaigns.satisfaction import SatisfactionKind
from models.campaigns import CampaignTarget
from models.households import Household
from telephony.ivr.data import money_to_fen
from telephony.ivr.words import P, money_words
from tests.support.campaigns import OPEN_NOW, FakeAgi, RecordingDialler
from tests.support.demo import demo_data, household_terms


@pytest.fixture
def community(session_factory):
    with session_factory() as session:
        demo_data(session, households=40, seed=4)
        session.commit()
    return session_factory


def busiest_stage(factory, kind) -> int:
    with factory() as session:
        stages = collections.Counter(
            kind.balance(session, household_id).dunning_stage
            for household_id in session.scalars(select(Household.id)))
    number = {stage: n for n, stage in STAGES.items()}
    stage, _ = max(((s, c) for s, c in stages.items() if s in number), key=lambda sc: sc[1])
    return number[stage]


def a_claim(factory, kind, stage):
    with factory() as session:
        campaign = store.create_campaign(session, store.CampaignSpec(
            kind="dunning", name="催缴", dunning_stage=stage), OPEN_NOW)
        added = kind.enrol(session, campaign, OPEN_NOW)
        assert kind.enrol(session, campaign, OPEN_NOW) == 0  # once per campaign
        session.commit()
        claim = store.claim_next(session, campaign, OPEN_NOW, 1)[0]
        target = session.get(CampaignTarget, claim.target_id)
        return added, claim, kind.balance(session, target.household_id), target.household_id


@pytest.mark.parametrize("key, outcome", [("1", "transferred"), ("2", "heard")])
def test_a_reminder_says_the_amount_and_period_and_records_the_contact(community, key, outcome):
    kind = DunningKind(household_terms())
    stage = busiest_stage(community, kind)
    added, claim, summary, household_id = a_claim(community, kind, stage)
    assert added >= 1
    agi = FakeAgi(claim.attempt_id, [key])
    CampaignCallScript(community, SatisfactionKind(ZoneInfo("Asia/Shanghai")),
                       dunning=kind)(agi)
    year, quarter = quarter_of(summary.oldest_overdue_due_on)
    said = agi.heard
    due = [("play", CP.DUNNING_DUE)] + money_words(money_to_fen(summary.total_due))
    assert said[1:1 + len(due)] == due
    assert [("play", CP.DUNNING_OLDEST), ("say", year), ("play", CP.YEAR), ("say", quarter),
            ("play", CP.QUARTER)] == said[1 + len(due):6 + len(due)]
    if key == "1":
        assert agi.variables == {"HOTLINE_HOUSEHOLD_ID": str(household_id),
                                 "HOTLINE_CAMPAIGN_NEXT": "cashier"}
    else:
        assert ("play", P.TOTAL_DUE) in said and not agi.variables
    with community() as session:
        target = session.get(CampaignTarget, claim.target_id)
        assert (target.state, target.outcome, target.household_id) == \
            ("completed", outcome, household_id)
        assert target.item_key.startswith(f"dunning:{household_id}:{STAGES[stage].value}:")


def test_no_key_is_a_contact_heard_to_the_end(community):
    kind = DunningKind(household_terms())
    _, claim, _, _ = a_claim(community, kind, busiest_stage(community, kind))
    CampaignCallScript(community, SatisfactionKind(ZoneInfo("Asia/Shanghai")),
                       dunning=kind)(FakeAgi(claim.attempt_id, []))
    with community() as session:
        assert session.get(CampaignTarget, claim.target_id).outcome == "heard"


def test_the_courier_list_holds_the_households_whose_letter_is_due(community):
    kind = DunningKind(household_terms())
    with community() as session:
        rows = letter_list(session, kind)
        due = [h for h in session.scalars(select(Household.id))
               if kind.balance(session, h).formal_letter_due]
    assert len(rows) == len(due) >= 1
    assert all(row.total_due > 0 and row.oldest_unpaid and row.rooms for row in rows)
