"""Dunning reminders by phone (seeds 000, 004: phone first; a formal letter by courier
after 3 months unpaid).

A dunning campaign names a stage (1 first notice ... 4 other means); it enrols,
once, every household whose balance is at that stage and has an owner's phone.
The call says the amount due and the oldest unpaid period (year, quarter);
1 sends the resident to the hotline queue with the household identified (the
screen-pop's HOTLINE_HOUSEHOLD_ID), 2 the breakdown. Each contact (heard,
transferred, no answer) is the target's outcome, i.e. recorded against the
household and the campaign's stage (item dunning:<household>:<stage>:<oldest due>).
`letter_list` is the courier's list: households whose formal letter is due.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal
from typing import Callable, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns import store
from households.fees import BalanceSummary, DunningStage, balance_summary
from households.terms import HouseholdTerms
from models.campaigns import Campaign, CampaignTarget
from models.households import Household, Person, PersonRole, Phone, Room

log = logging.getLogger(__name__)

STAGES = {1: DunningStage.FIRST_NOTICE, 2: DunningStage.SECOND_NOTICE,
          3: DunningStage.FINAL_NOTICE, 4: DunningStage.OTHER_MEANS}


@dataclasses.dataclass(frozen=True)
class LetterRow:
    """One line of the courier's formal-letter list."""
    household_number: str
    rooms: str
    owner: str
    phone: str
    total_due: Decimal
    oldest_unpaid: dt.date
    months_in_arrears: int
    stage: str
    calls_answered: int


def owner_phone(session: Session, household_id: int) -> tuple[str, str]:
    """(owner's name, first registered number) or ('', '')."""
    row = session.execute(select(Person.name, Phone.normalized).join(
        Phone, Phone.person_id == Person.id).where(
        Person.household_id == household_id, Person.role == PersonRole.OWNER,
        Phone.normalized != "").order_by(Phone.id)).first()
    return (row[0], row[1]) if row else ("", "")


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


class DunningKind:
    name = "dunning"

    def __init__(self, terms: HouseholdTerms, today: Optional[Callable[[], dt.date]] = None):
        self.terms = terms
        self.today = today or terms.today

    def balance(self, session: Session, household_id: int) -> BalanceSummary:
        return balance_summary(session, household_id, self.today(), self.terms.late_fee_daily_rate)

    def enrol(self, session: Session, campaign: Campaign, now: dt.datetime) -> int:
        """Once per campaign: the households at its stage with an owner's phone."""
        if session.scalar(select(func.count()).select_from(CampaignTarget).where(
                CampaignTarget.campaign_id == campaign.id)):
            return 0
        wanted = STAGES.get(campaign.dunning_stage or 0)
        targets = []
        for (household_id,) in session.execute(select(Household.id).order_by(Household.id)):
            summary = self.balance(session, household_id)
            if summary.dunning_stage != wanted or summary.oldest_overdue_due_on is None:
                continue
            _, phone = owner_phone(session, household_id)
            if phone:
                targets.append(store.NewTarget(
                    f"dunning:{household_id}:{wanted.value}:{summary.oldest_overdue_due_on}",
                    phone, household_id=household_id))
        return store.enrol(session, campaign, targets, now)

    def on_exhausted(self, session: Session, target: CampaignTarget, now: dt.datetime) -> None:
        log.info("dunning target %s (household %s) not reached after %s attempts", target.id,
                 target.household_id, target.attempts)

    def record(self, session: Session, attempt_id: int, outcome: str, now: dt.datetime) -> bool:
        """heard / transferred: the contact, once."""
        target = store.complete(session, attempt_id, outcome, now, outcome=outcome)
        if target is None:
            session.rollback()
            return False
        session.commit()
        return True


def letter_list(session: Session, kind: DunningKind) -> list[LetterRow]:
    """Households whose oldest charge is unpaid 3 months past its first notice."""
    answered = dict(session.execute(
        select(CampaignTarget.household_id, func.count()).join(Campaign).where(
            Campaign.kind == "dunning", CampaignTarget.state == "completed")
        .group_by(CampaignTarget.household_id)).all())
    rows = []
    for household_id, number in session.execute(select(Household.id, Household.number)
                                                .order_by(Household.number)):
        summary = kind.balance(session, household_id)
        if not summary.formal_letter_due:
            continue
        owner, phone = owner_phone(session, household_id)
        rooms = ", ".join(session.scalars(select(Room.code).where(
            Room.household_id == household_id).order_by(Room.code)))
        rows.append(LetterRow(number, rooms, owner, phone, summary.total_due,
                              summary.oldest_overdue_due_on, summary.months_in_arrears,
                              summary.dunning_stage.value, answered.get(household_id, 0)))
    return rows
