"""The FastAGI scripts of the keep-my-place callback (asterisk_conf/extensions.conf.tmpl).

`callback_book`: run by [hotline-queue-keys] when a waiting caller pressed 1 (app_queue
left the queue with EXITWITHKEY): books the request with the caller's household and
its join time, and sets HOTLINE_CALLBACK=booked (the dialplan then says "we will call
you back, you keep your place" and hangs up) or refused (it says sorry and puts the
caller back at the place they had).

`callback_end`: each placeholder's halves report how they ended, from their hangup
handlers: the dialling half the resident's DIALSTATUS, the queue half QUEUESTATUS
(set only when no agent took it). The first report ends the attempt.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Callable

from sqlalchemy.orm import Session

from households.matching import match_caller
from line_callback import store
from line_callback.errors import LineCallbackError
from line_callback.policy import RetryPolicy, dial_outcome, parse_booking

log = logging.getLogger(__name__)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _arg(agi, n: int) -> str:
    return agi.env.get(f"agi_arg_{n}", "").strip()


class BookScript:
    def __init__(self, sessions: Callable[[], Session], host: str, local_area_code: str,
                 clock: Callable[[], dt.datetime] = _utcnow):
        self.sessions, self.host, self.local_area_code = sessions, host, local_area_code
        self.clock = clock

    def __call__(self, agi) -> None:
        try:
            booking = parse_booking(agi.env.get("agi_uniqueid", ""),
                                    agi.env.get("agi_callerid", ""), _arg(agi, 1),
                                    _arg(agi, 2), _arg(agi, 3))
            request_id = self.book(booking)
        except LineCallbackError as error:
            log.warning("callback not booked for %s: %s", agi.env.get("agi_uniqueid"), error)
            agi.set_variable("HOTLINE_CALLBACK", "refused")
            return
        agi.set_variable("HOTLINE_CALLBACK", "booked")
        agi.set_variable("HOTLINE_CALLBACK_REQUEST", str(request_id))

    def book(self, booking) -> int:
        with self.sessions() as session:
            household = match_caller(session, booking.caller_number, self.local_area_code)
            request = store.book(session, booking, household.household_id, self.host,
                                 self.clock())
            session.commit()
            log.info("callback %s booked for %s (%s), joined %s, left at place %s", request.id,
                     booking.callid, booking.caller_number, booking.joined_at.isoformat(),
                     booking.exit_position)
            return request.id


class EndScript:
    def __init__(self, sessions: Callable[[], Session], policy: RetryPolicy,
                 clock: Callable[[], dt.datetime] = _utcnow):
        self.sessions, self.policy, self.clock = sessions, policy, clock

    def __call__(self, agi) -> None:
        attempt_text, half, status = _arg(agi, 1), _arg(agi, 2), _arg(agi, 3).upper()
        if not attempt_text.isdigit() or half not in ("dial", "queue"):
            log.warning("callback_end with arguments %r %r %r: ignored", attempt_text, half,
                        status)
            return
        if half == "queue" and not status:
            return  # an agent took it: the dialling half says how the resident answered
        outcome = dial_outcome(status) if half == "dial" else "no_agent"
        with self.sessions() as session:
            try:
                store.end_attempt(session, int(attempt_text), outcome, status, self.policy,
                                  self.clock())
            except LineCallbackError as error:
                log.warning("callback_end: %s", error)


def callback_scripts(sessions, policy: RetryPolicy, host: str, local_area_code: str) -> dict:
    return {"callback_book": BookScript(sessions, host, local_area_code),
            "callback_end": EndScript(sessions, policy)}
