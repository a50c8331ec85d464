"""The campaigns' FastAGI scripts, served by the bridge's FastAGI server.

`campaign_call` runs on the answered half of a campaign call ([campaign-ivr]):
it names the item and reads the resident's keys. `campaign_dial_end` runs in
the dialling half's hangup handler ([campaign-dial-end]) with the DIALSTATUS:
an attempt the IVR did not complete is retried after the campaign's spacing,
or handed on after its last attempt.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable, Optional

from asterisk.agi import AGIAppError
from sqlalchemy.orm import Session

from campaigns import store
from campaigns.dunning import DunningKind, quarter_of
from campaigns.prompts import CP, category_prompt
from campaigns.satisfaction import SatisfactionKind
from telephony.ivr.data import Balance, money_to_fen
from telephony.ivr.words import balance_words, money_words
from models.base import utcnow
from models.campaigns import Campaign, CampaignTarget

log = logging.getLogger(__name__)

SCORE_KEYS = "12345"
SOLVED_KEYS = {"1": True, "2": False}
TRIES = 2


class Line:
    """The resident's channel as the campaign IVR uses it; the keys heard are noted."""

    def __init__(self, agi, input_timeout_ms: int):
        self.agi = agi
        self.input_timeout_ms = input_timeout_ms
        self.heard: list[str] = []

    def play(self, prompt: str) -> None:
        try:
            self.agi.stream_file(prompt, "")
        except AGIAppError:
            log.warning("campaign IVR: %s could not be played", prompt)

    def say_number(self, number: int) -> None:
        self.agi.say_number(int(number), "")

    def say(self, words: list[tuple[str, object]]) -> None:
        """("play", prompt) and ("say", number) steps (telephony.ivr.words)."""
        for kind, value in words:
            if kind == "play":
                self.play(str(value))
            else:
                self.say_number(int(value))

    def choose(self, prompt: str, keys: str) -> Optional[str]:
        """Ask up to TRIES times for one of `keys`; None if never given."""
        for _ in range(TRIES):
            digits, _timed_out = self.agi.get_data_timed(prompt, self.input_timeout_ms, 1)
            self.heard.append(digits or "-")
            if digits in keys:
                return digits
            self.play(CP.INVALID)
        return None


class CampaignCallScript:
    """FastAGI `campaign_call`: agi_arg_1 is the attempt's id."""

    def __init__(self, session_factory: Callable[[], Session], satisfaction: SatisfactionKind,
                 input_timeout_ms: int = 6000, clock: Callable[[], dt.datetime] = utcnow,
                 observer=None, dunning: Optional[DunningKind] = None):
        self.session_factory = session_factory
        self.satisfaction = satisfaction
        self.dunning = dunning
        self.input_timeout_ms = input_timeout_ms
        self.clock = clock
        self.observer = observer

    def __call__(self, agi) -> None:
        attempt_id = _attempt_id(agi)
        with self.session_factory() as session:
            target = store.mark_answered(session, attempt_id, self.clock())
            if target is None:
                log.warning("campaign call for attempt %s, which is not in progress", attempt_id)
                return
            campaign = session.get(Campaign, target.campaign_id)
            if campaign.kind == "satisfaction":
                self._satisfaction(session, agi, attempt_id, target)
            elif campaign.kind == "dunning" and self.dunning is not None:
                self._dunning(session, agi, attempt_id, target)

    def _satisfaction(self, session: Session, agi, attempt_id: int,
                      target: CampaignTarget) -> None:
        words = self.satisfaction.order_words(session, target)
        session.rollback()  # no transaction held open while the resident listens
        line = Line(agi, self.input_timeout_ms)
        for prompt in (CP.INTRO, CP.YOU):
            line.play(prompt)
        line.say_number(words.month)
        line.play(CP.MONTH)
        line.say_number(words.day)
        line.play(CP.DAY_REPORTED)
        line.play(category_prompt(words.category))
        line.play(CP.DONE)
        score = line.choose(CP.ASK_SCORE, SCORE_KEYS)
        solved = None
        if score is not None:
            choice = line.choose(CP.ASK_SOLVED, "".join(SOLVED_KEYS))
            solved = SOLVED_KEYS.get(choice) if choice else None
        self._notify(attempt_id, line.heard)
        if score is None:
            return  # not completed: the dial's end decides a retry
        reopened = self.satisfaction.record(session, attempt_id, int(score), solved, self.clock())
        line.play(CP.REOPENED if reopened else CP.THANKS)

    def _dunning(self, session: Session, agi, attempt_id: int, target: CampaignTarget) -> None:
        """Amount due, oldest unpaid period; 1 the queue with the household, 2 the breakdown."""
        summary = self.dunning.balance(session, target.household_id)
        household_id = target.household_id
        session.rollback()
        line = Line(agi, self.input_timeout_ms)
        line.play(CP.DUNNING_INTRO)
        line.play(CP.DUNNING_DUE)
        line.say(money_words(money_to_fen(summary.total_due)))
        if summary.oldest_overdue_due_on is not None:
            year, quarter = quarter_of(summary.oldest_overdue_due_on)
            line.say([("play", CP.DUNNING_OLDEST), ("say", year), ("play", CP.YEAR),
                      ("say", quarter), ("play", CP.QUARTER)])
        choice = line.choose(CP.DUNNING_MENU, "12")
        self._notify(attempt_id, line.heard)
        if choice == "1":
            self.dunning.record(session, attempt_id, "transferred", self.clock())
            agi.set_variable("HOTLINE_HOUSEHOLD_ID", str(household_id))
            agi.set_variable("HOTLINE_CAMPAIGN_NEXT", "cashier")
            line.play(CP.TO_CASHIER)
            return
        if choice == "2":
            line.say(balance_words(Balance(money_to_fen(summary.total_due),
                                           summary.months_in_arrears,
                                           money_to_fen(summary.late_fee))))
        self.dunning.record(session, attempt_id, "heard", self.clock())

    def _notify(self, attempt_id: int, heard: list[str]) -> None:
        if self.observer is not None:
            self.observer(attempt_id, heard)


class DialEndScript:
    """FastAGI `campaign_dial_end` (hangup handler): agi_arg_1 attempt, agi_arg_2 DIALSTATUS."""

    def __init__(self, session_factory: Callable[[], Session], kinds: dict,
                 clock: Callable[[], dt.datetime] = utcnow):
        self.session_factory = session_factory
        self.kinds = kinds
        self.clock = clock

    def __call__(self, agi) -> None:
        attempt_id = _attempt_id(agi)
        status = agi.env.get("agi_arg_2", "").strip().upper() or "UNKNOWN"
        now = self.clock()
        with self.session_factory() as session:
            exhausted = store.end_attempt(session, attempt_id, status, now)
            if exhausted is not None:
                campaign = session.get(Campaign, exhausted.campaign_id)
                self.kinds[campaign.kind].on_exhausted(session, exhausted, now)
            session.commit()
        log.info("campaign attempt %s ended: %s", attempt_id, status)


def _attempt_id(agi) -> int:
    text = agi.env.get("agi_arg_1", "").strip()
    if not text.isdigit():
        raise ValueError(f"campaign script without an attempt id ({text[:20]!r})")
    return int(text)


def campaign_scripts(session_factory, kinds: dict, satisfaction: SatisfactionKind,
                     input_timeout_ms: int, dunning: Optional[DunningKind] = None) -> dict:
    """The scripts the bridge's FastAGI server adds for campaigns."""
    return {"campaign_call": CampaignCallScript(session_factory, satisfaction, input_timeout_ms,
                                                dunning=dunning),
            "campaign_dial_end": DialEndScript(session_factory, kinds)}
