"""Satisfaction calls (回访): every order that reaches `done` owes a FollowUp
(workflow.orders opens it with its window); the campaign calls
for each pending one and writes its result through workflow.followups, the same
rule the agents' manual follow-ups use: a low score or "not solved" reopens the
order (it is back on the agents' list), a satisfied resident closes the loop.
A resident never reached after the campaign's attempts keeps the FollowUp
pending, with a note, on the agents' follow-up list.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Optional

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from campaigns import store
from models.campaigns import Campaign, CampaignTarget
from models.console import FollowUp, User, WorkOrder, system_user
from workflow import followups

log = logging.getLogger(__name__)

CAMPAIGN_USER = "ivr-campaign"


@dataclasses.dataclass(frozen=True)
class OrderWords:
    """What the IVR says about the order: reported on <month>/<day>, its category."""
    month: int
    day: int
    category: str


def campaign_user(session: Session) -> User:
    """The user the campaign's FollowUps are recorded by (it cannot log in)."""
    return system_user(session, CAMPAIGN_USER, "自动回访")


class SatisfactionKind:
    name = "satisfaction"

    def __init__(self, office_zone: dt.tzinfo):
        self.office_zone = office_zone

    def enrol(self, session: Session, campaign: Campaign, now: dt.datetime) -> int:
        """Every pending FollowUp of a done order not yet called for by any campaign."""
        taken = exists().where(CampaignTarget.follow_up_id == FollowUp.id)
        rows = session.execute(select(FollowUp.id, WorkOrder.id, WorkOrder.household_id,
                                      WorkOrder.contact_phone).join(WorkOrder).where(
            FollowUp.result == "pending", WorkOrder.status == "done",
            or_(FollowUp.offered_at.is_(None), FollowUp.offered_at <= now),
            WorkOrder.contact_phone != "", ~taken).order_by(FollowUp.due_at)).all()
        return store.enrol(session, campaign, (
            store.NewTarget(f"satisfaction:follow_up:{fu_id}", phone, household_id=household,
                            work_order_id=order_id, follow_up_id=fu_id)
            for fu_id, order_id, household, phone in rows), now)

    def on_exhausted(self, session: Session, target: CampaignTarget, now: dt.datetime) -> None:
        follow_up = session.get(FollowUp, target.follow_up_id)
        if follow_up is not None and follow_up.result == "pending":
            note = f"自动回访{target.attempts}次未接通，请人工回访"
            follow_up.notes = (f"{follow_up.notes}; {note}" if follow_up.notes else note)[:1000]
        log.info("satisfaction target %s handed to the agents after %s attempts", target.id,
                 target.attempts)

    def order_words(self, session: Session, target: CampaignTarget) -> OrderWords:
        order = session.get(WorkOrder, target.work_order_id)
        reported = order.call_at.astimezone(self.office_zone)
        return OrderWords(reported.month, reported.day, order.category)

    def record(self, session: Session, attempt_id: int, score: int, solved: Optional[bool],
               now: dt.datetime) -> Optional[bool]:
        """The resident's answers, stored once; whether the order was reopened
        (None: the attempt was already over)."""
        target = store.complete(session, attempt_id, f"score={score} solved={solved}", now,
                                score=score, solved=solved)
        if target is None:
            session.rollback()
            return None
        follow_up = session.get(FollowUp, target.follow_up_id)
        if follow_up.result != "pending" or follow_up.work_order.status != "done":
            target.outcome = "already_followed_up"
            session.commit()
            return False
        outcome = followups.record_attempt(
            session, follow_up, campaign_user(session), "reached", score, solved,
            "自动回访", now, office_zone=self.office_zone)
        target.outcome = "reopened" if outcome.reopened else "satisfied"
        session.commit()
        return outcome.reopened
