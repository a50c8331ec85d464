"""The campaign's state in the database, and the claim that makes a call happen once.

`claim_next` turns a pending target into a dialling one with one guarded
UPDATE (state and attempt count as read): whoever loses the race (a second
engine, or the same one restarted) sees rowcount 0 and moves on; the attempt
row's unique (target, number) is a second wall. A call is placed only after its
claim is committed, so a crash between the two loses a call (it is found stale
and counted as an attempt) but never places one twice.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Iterable, Optional

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from campaigns.errors import CampaignError
from models.campaigns import Campaign, CampaignAttempt, CampaignTarget, DoNotCall

log = logging.getLogger(__name__)

FINAL_STATES = ("completed", "handed_to_agent", "do_not_call", "stopped")
CONTROL = {"pause": ("running",), "resume": ("paused",), "stop": ("running", "paused")}
NEXT_STATE = {"pause": "paused", "resume": "running", "stop": "stopped"}
# DIALSTATUS -> the attempt's outcome when the IVR did not complete it.
# The longest a completed call's closing words (thanks, reopened, to the cashier)
# keep its line: past it, a call whose end the bridge never heard is not waited for.
CLOSING_S = 60
DIAL_OUTCOMES = {"ANSWER": "answered", "NOANSWER": "no_answer", "BUSY": "busy",
                 "CANCEL": "no_answer"}


@dataclasses.dataclass(frozen=True)
class CampaignSpec:
    kind: str
    name: str
    hours: str = "09:00-12:00,14:00-20:00"
    concurrency_cap: int = 4
    hourly_cap: int = 120
    max_attempts: int = 3
    retry_spacing_s: int = 1800
    ring_timeout_s: int = 30
    dunning_stage: Optional[int] = None


@dataclasses.dataclass(frozen=True)
class NewTarget:
    item_key: str
    phone: str
    household_id: Optional[int] = None
    work_order_id: Optional[int] = None
    follow_up_id: Optional[int] = None


@dataclasses.dataclass(frozen=True)
class Claim:
    """One attempt claimed for dialling."""
    attempt_id: int
    target_id: int
    campaign_id: int
    number: int
    phone: str
    ring_timeout_s: int


@dataclasses.dataclass(frozen=True)
class Progress:
    campaign_id: int
    state: str
    targets: int
    called: int
    answered: int
    completed: int
    retries_pending: int
    dialling: int
    handed_to_agent: int
    failed: int


def create_campaign(session: Session, spec: CampaignSpec, now: dt.datetime) -> Campaign:
    campaign = Campaign(**dataclasses.asdict(spec), state="running", created_at=now)
    session.add(campaign)
    session.flush()
    return campaign


def enrol(session: Session, campaign: Campaign, targets: Iterable[NewTarget],
          now: dt.datetime) -> int:
    """Add targets whose item no campaign has yet; the number added."""
    wanted = {target.item_key: target for target in targets}
    if not wanted:
        return 0
    known = set(session.scalars(select(CampaignTarget.item_key)
                                .where(CampaignTarget.item_key.in_(list(wanted)))))
    added = 0
    for key, target in wanted.items():
        if key in known:
            continue
        session.add(CampaignTarget(campaign_id=campaign.id, next_at=now, updated_at=now,
                                   **dataclasses.asdict(target)))
        added += 1
    session.flush()
    return added


def control(session: Session, campaign_id: int, action: str, now: dt.datetime) -> Campaign:
    """pause / resume / stop; CampaignError if the campaign is not in a state for it."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignError(f"campaign {campaign_id} does not exist")
    if action not in CONTROL or campaign.state not in CONTROL[action]:
        raise CampaignError(f"campaign {campaign_id} is {campaign.state}: cannot {action}")
    campaign.state = NEXT_STATE[action]
    if action == "stop":
        session.execute(update(CampaignTarget).where(
            CampaignTarget.campaign_id == campaign_id, CampaignTarget.state == "pending")
            .values(state="stopped", outcome="stopped", updated_at=now))
        campaign.finished_at = now
    session.commit()
    return campaign


def active_count(session: Session, campaign_id: int, now: dt.datetime) -> int:
    """Calls of the campaign up now: attempts in progress, and attempts the IVR
    completed whose call is still up (its closing prompt plays until the hangup
    handler reports the dial's end; one never reported stops counting after
    CLOSING_S). Counting only the first let a cap of 20 put 34 calls up at once."""
    dialling = session.scalar(select(func.count()).select_from(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign_id, CampaignTarget.state == "dialling"))
    closing = session.scalar(select(func.count()).select_from(CampaignAttempt).join(
        CampaignTarget).where(
        CampaignTarget.campaign_id == campaign_id, CampaignAttempt.outcome == "completed",
        CampaignAttempt.dial_status == "",
        CampaignAttempt.ended_at >= now - dt.timedelta(seconds=CLOSING_S)))
    return dialling + closing


def placed_since(session: Session, campaign_id: int, since: dt.datetime) -> int:
    return session.scalar(select(func.count()).select_from(CampaignAttempt)
                          .join(CampaignTarget).where(CampaignTarget.campaign_id == campaign_id,
                                                      CampaignAttempt.placed_at >= since))


def _blocked(session: Session, phones: list[str]) -> set[str]:
    if not phones:
        return set()
    return set(session.scalars(select(DoNotCall.phone).where(DoNotCall.phone.in_(phones))))


def claim_next(session: Session, campaign: Campaign, now: dt.datetime,
               limit: int) -> list[Claim]:
    """Up to `limit` attempts claimed (committed) for dialling, the longest waiting first."""
    claims: list[Claim] = []
    candidates = session.execute(
        select(CampaignTarget.id, CampaignTarget.attempts, CampaignTarget.phone)
        .where(CampaignTarget.campaign_id == campaign.id, CampaignTarget.state == "pending",
               CampaignTarget.next_at <= now)
        .order_by(CampaignTarget.next_at, CampaignTarget.id).limit(limit * 2 + 5)).all()
    blocked = _blocked(session, [row.phone for row in candidates])
    for target_id, attempts, phone in candidates:
        if len(claims) >= limit:
            break
        if phone in blocked:
            session.execute(update(CampaignTarget).where(
                CampaignTarget.id == target_id, CampaignTarget.state == "pending")
                .values(state="do_not_call", outcome="do_not_call", updated_at=now))
            session.commit()
            continue
        won = session.execute(update(CampaignTarget).where(
            CampaignTarget.id == target_id, CampaignTarget.state == "pending",
            CampaignTarget.attempts == attempts)
            .values(state="dialling", attempts=attempts + 1, updated_at=now)).rowcount
        if won != 1:
            session.rollback()
            continue
        attempt = CampaignAttempt(target_id=target_id, number=attempts + 1, placed_at=now)
        session.add(attempt)
        session.commit()
        claims.append(Claim(attempt.id, target_id, campaign.id, attempts + 1, phone,
                            campaign.ring_timeout_s))
    return claims


def release(session: Session, claims: list[Claim], now: dt.datetime) -> None:
    """Claims never sent to the bridge: their attempts removed, the targets pending again."""
    for claim in claims:
        session.execute(delete(CampaignAttempt).where(CampaignAttempt.id == claim.attempt_id,
                                                      CampaignAttempt.outcome == "placed"))
        session.execute(update(CampaignTarget).where(
            CampaignTarget.id == claim.target_id, CampaignTarget.state == "dialling",
            CampaignTarget.attempts == claim.number)
            .values(state="pending", attempts=claim.number - 1, updated_at=now))
    session.commit()


def mark_answered(session: Session, attempt_id: int, now: dt.datetime) -> Optional[CampaignTarget]:
    """The resident answered (the IVR starts); the target, or None if the attempt is over."""
    attempt = session.get(CampaignAttempt, attempt_id)
    if attempt is None or attempt.outcome != "placed":
        return None
    attempt.outcome = "answered"
    session.commit()
    return session.get(CampaignTarget, attempt.target_id)


def complete(session: Session, attempt_id: int, detail: str, now: dt.datetime,
             score: Optional[int] = None, solved: Optional[bool] = None,
             outcome: str = "completed") -> Optional[CampaignTarget]:
    """The IVR got its answers: the attempt and its target are done (once)."""
    attempt = session.get(CampaignAttempt, attempt_id)
    if attempt is None or attempt.outcome not in ("placed", "answered"):
        return None
    attempt.outcome, attempt.detail, attempt.ended_at = "completed", detail[:200], now
    target = session.get(CampaignTarget, attempt.target_id)
    target.state, target.outcome, target.updated_at = "completed", outcome, now
    target.score, target.solved = score, solved
    return target


def end_attempt(session: Session, attempt_id: int, dial_status: str,
                now: dt.datetime) -> Optional[CampaignTarget]:
    """The dial ended (hangup handler): an attempt not completed decides a retry.

    Returns the target when its attempts are exhausted (the kind hands it on),
    else None. Ending an attempt twice changes nothing."""
    attempt = session.get(CampaignAttempt, attempt_id)
    if attempt is None:
        return None
    if not attempt.dial_status:
        attempt.dial_status = dial_status[:24]
    attempt.ended_at = attempt.ended_at or now
    if attempt.outcome not in ("placed", "answered"):
        session.commit()
        return None
    attempt.outcome = DIAL_OUTCOMES.get(dial_status, "failed") \
        if attempt.outcome == "placed" else "answered"
    return _after_unfinished(session, attempt, now)


def lose_stale(session: Session, campaign: Campaign, now: dt.datetime,
               stale_after_s: float) -> list[CampaignTarget]:
    """Attempts placed long ago and never ended (the bridge was down when they did):
    counted as made (outcome lost). Returns the targets that are now exhausted."""
    cutoff = now - dt.timedelta(seconds=stale_after_s)
    stale = session.scalars(select(CampaignAttempt).join(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign.id, CampaignTarget.state == "dialling",
        CampaignAttempt.number == CampaignTarget.attempts,
        CampaignAttempt.outcome.in_(("placed", "answered")),
        CampaignAttempt.placed_at < cutoff)).all()
    exhausted = []
    for attempt in stale:
        attempt.outcome, attempt.ended_at = "lost", now
        log.warning("campaign %s: attempt %s never ended; counted as made", campaign.id,
                    attempt.id)
        target = _after_unfinished(session, attempt, now)
        if target is not None:
            exhausted.append(target)
    return exhausted


def fail_attempt(session: Session, attempt_id: int, why: str, now: dt.datetime
                 ) -> Optional[CampaignTarget]:
    """The Originate was refused: the attempt counts, as a failed one."""
    attempt = session.get(CampaignAttempt, attempt_id)
    if attempt is None or attempt.outcome != "placed":
        return None
    attempt.outcome, attempt.detail, attempt.ended_at = "failed", why[:200], now
    return _after_unfinished(session, attempt, now)


def _after_unfinished(session: Session, attempt: CampaignAttempt,
                      now: dt.datetime) -> Optional[CampaignTarget]:
    target = session.get(CampaignTarget, attempt.target_id)
    if target.state != "dialling":
        return None
    campaign = session.get(Campaign, target.campaign_id)
    target.outcome, target.updated_at = attempt.outcome, now
    if target.attempts >= campaign.max_attempts:
        target.state = "handed_to_agent"
        return target
    target.state = "pending"
    target.next_at = now + dt.timedelta(seconds=campaign.retry_spacing_s)
    return None


def finish_if_done(session: Session, campaign: Campaign, now: dt.datetime) -> bool:
    open_targets = session.scalar(select(func.count()).select_from(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign.id,
        CampaignTarget.state.in_(("pending", "dialling"))))
    if open_targets:
        return False
    campaign.state, campaign.finished_at = "finished", now
    session.commit()
    return True


def progress(session: Session, campaign: Campaign) -> Progress:
    states = dict(session.execute(
        select(CampaignTarget.state, func.count()).where(
            CampaignTarget.campaign_id == campaign.id).group_by(CampaignTarget.state)).all())
    outcomes = dict(session.execute(
        select(CampaignAttempt.outcome, func.count()).join(CampaignTarget).where(
            CampaignTarget.campaign_id == campaign.id).group_by(CampaignAttempt.outcome)).all())
    retries = session.scalar(select(func.count()).select_from(CampaignTarget).where(
        CampaignTarget.campaign_id == campaign.id, CampaignTarget.state == "pending",
        CampaignTarget.attempts > 0))
    return Progress(
        campaign_id=campaign.id, state=campaign.state, targets=sum(states.values()),
        called=sum(outcomes.values()),
        answered=outcomes.get("answered", 0) + outcomes.get("completed", 0),
        completed=states.get("completed", 0), retries_pending=retries,
        dialling=states.get("dialling", 0), handed_to_agent=states.get("handed_to_agent", 0),
        failed=outcomes.get("failed", 0) + outcomes.get("lost", 0))


def recent_progress(session: Session, now: dt.datetime) -> list[Progress]:
    """Progress of every campaign not stopped or finished more than a day ago."""
    since = now - dt.timedelta(days=1)
    campaigns = session.scalars(select(Campaign).where(
        (Campaign.finished_at.is_(None)) | (Campaign.finished_at >= since))
        .order_by(Campaign.id.desc())).all()
    return [progress(session, campaign) for campaign in campaigns]
