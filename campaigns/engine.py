"""The pacing loop: each second, every running campaign places what its caps allow.

Run in the bridge process (hotline.bridge_root). Everything it knows is in the
database, so a restarted bridge goes on where the last one stopped: attempts
that never ended (their hangup came while the bridge was down) are counted as
made once older than the campaign's ring, Originate's margin and `stale_after_s`
(the longest an answered call may last), and the claim (campaigns.store) makes sure no
attempt is ever placed twice.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns import store
from campaigns.hours import CallingHours
from hotline.ticker import Ticker
from models.base import utcnow
from models.campaigns import Campaign, CampaignTarget

log = logging.getLogger(__name__)

HOUR = dt.timedelta(hours=1)
HOLD_OFF_S = 30  # after a command whose fate is unknown (Redis or the bridge silent)
ORIGINATE_MARGIN_S = 15  # telephony.commands: Originate waits the ring and 15 s


class CampaignKind(Protocol):
    name: str

    def enrol(self, session: Session, campaign: Campaign, now: dt.datetime) -> int: ...

    def on_exhausted(self, session: Session, target: CampaignTarget, now: dt.datetime) -> None: ...


class CampaignEngine:
    def __init__(self, session_factory: Callable[[], Session], dialler, hours: CallingHours,
                 kinds: dict[str, CampaignKind], *, tick_s: float = 1.0,
                 stale_after_s: float = 900.0, clock: Callable[[], dt.datetime] = utcnow,
                 publisher=None):
        """`publisher`: campaigns.push.ProgressPublisher (None: nothing pushed)."""
        self.session_factory = session_factory
        self.dialler = dialler
        self.hours = hours
        self.kinds = kinds
        self.tick_s = tick_s
        self.stale_after_s = stale_after_s
        self.clock = clock
        self.publisher = publisher
        self._hold_until: dt.datetime | None = None
        self._ticker = Ticker("campaigns", self.tick, tick_s)

    def start(self) -> None:
        self._ticker.start()
        log.info("campaign engine running (kinds %s)", ", ".join(sorted(self.kinds)))

    def stop(self) -> None:
        self._ticker.stop()

    def tick(self) -> int:
        """One round over the running campaigns; the number of calls placed."""
        placed = 0
        with self.session_factory() as session:
            running = session.scalars(select(Campaign.id).where(
                Campaign.state == "running").order_by(Campaign.id)).all()
        for campaign_id in running:
            with self.session_factory() as session:
                placed += self._campaign_tick(session, session.get(Campaign, campaign_id))
        if self.publisher is not None:
            with self.session_factory() as session:
                self.publisher.publish(store.recent_progress(session, self.clock()))
        return placed

    def _campaign_tick(self, session: Session, campaign: Campaign) -> int:
        now = self.clock()
        kind = self.kinds[campaign.kind]
        stale_s = campaign.ring_timeout_s + ORIGINATE_MARGIN_S + self.stale_after_s
        for target in store.lose_stale(session, campaign, now, stale_s):
            kind.on_exhausted(session, target, now)
        kind.enrol(session, campaign, now)
        session.commit()
        if store.finish_if_done(session, campaign, now):
            log.info("campaign %s finished", campaign.id)
            return 0
        if not self.hours.open_at(campaign.hours, now) or self._holding(now):
            return 0
        room = min(campaign.concurrency_cap - store.active_count(session, campaign.id, now),
                   campaign.hourly_cap - store.placed_since(session, campaign.id, now - HOUR))
        if room <= 0:
            return 0
        claims = store.claim_next(session, campaign, now, room)
        for index, claim in enumerate(claims):
            if not self._place(session, kind, claim):
                store.release(session, claims[index + 1:], now)
                return index + 1
        return len(claims)

    def _holding(self, now: dt.datetime) -> bool:
        return self._hold_until is not None and now < self._hold_until

    def _place(self, session: Session, kind: CampaignKind, claim: store.Claim) -> bool:
        """Place one claimed call; False when the command channel is in doubt."""
        reply = self.dialler.place(claim)
        if reply.ok:
            log.info("campaign %s: attempt %s (%s #%s) placed", claim.campaign_id,
                     claim.attempt_id, claim.phone, claim.number)
            return True
        if not reply.known:
            self._hold_until = self.clock() + dt.timedelta(seconds=HOLD_OFF_S)
            log.warning("campaign %s: attempt %s in doubt (%s); no calls for %s s",
                        claim.campaign_id, claim.attempt_id, reply.message, HOLD_OFF_S)
            return False
        log.warning("campaign %s: attempt %s not placed: %s", claim.campaign_id,
                    claim.attempt_id, reply.message)
        now = self.clock()
        exhausted = store.fail_attempt(session, claim.attempt_id, reply.message, now)
        if exhausted is not None:
            kind.on_exhausted(session, exhausted, now)
        session.commit()
        return True
