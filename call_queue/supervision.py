"""Listen, whisper, barge: asking the bridge for ChanSpy and storing the sessions.

The console never opens AMI: `request_spy` sends the `spy` command through Redis
to the bridge (`telephony.commands.CommandClient`) and stores a SpySession with
the mode and the supervisor at once; the ChanSpyStart that follows (SpyStarted)
fills in the spying channel, ChanSpyStop (SpyStopped) closes it. A session
started some other way is stored when its ChanSpyStart arrives.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Optional

from sqlalchemy import select

from call_queue.errors import SpyRequestError
from models.session import session_factory
from models.supervision import SPY_MODES, SpySession
from telephony import events as ev

log = logging.getLogger(__name__)


def _utc(at: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(at, dt.timezone.utc)


class SpyRecorder:
    """Stores SpyStarted/SpyStopped as SpySession rows (used by LiveStateSink)."""

    def __init__(self, database_url: str):
        self.sessions = session_factory(database_url)

    def record(self, event: ev.CallEvent) -> None:
        with self.sessions.begin() as session:
            if isinstance(event, ev.SpyStarted):
                self._started(session, event)
            elif isinstance(event, ev.SpyStopped):
                self._stopped(session, event)

    def _started(self, session, event: ev.SpyStarted) -> None:
        requested = session.scalars(
            select(SpySession)
            .where(SpySession.spyee_channel == event.spyee_channel,
                   SpySession.spyer_channel == "", SpySession.stopped_at.is_(None))
            .order_by(SpySession.id.desc()).limit(1)).first()
        if requested is None:
            session.add(SpySession(started_at=_utc(event.at), spyer_channel=event.spyer_channel,
                                   spyee_channel=event.spyee_channel))
            return
        requested.spyer_channel = event.spyer_channel
        requested.started_at = _utc(event.at)

    def _stopped(self, session, event: ev.SpyStopped) -> None:
        open_session = session.scalars(
            select(SpySession)
            .where(SpySession.spyer_channel == event.spyer_channel,
                   SpySession.stopped_at.is_(None))
            .order_by(SpySession.id.desc()).limit(1)).first()
        if open_session is None:
            log.warning("ChanSpyStop for %s without a stored start", event.spyer_channel)
            open_session = SpySession(started_at=_utc(event.at),
                                      spyer_channel=event.spyer_channel,
                                      spyee_channel=event.spyee_channel)
            session.add(open_session)
        open_session.stopped_at = _utc(event.at)


def request_spy(session, command_client, *, supervisor_interface: str, spyee_channel: str,
                mode: str, supervisor_user_id: Optional[int] = None,
                callid: str = "") -> dict:
    """Ask the bridge to start ChanSpy; store the request; return the bridge's answer."""
    if mode not in SPY_MODES:
        raise SpyRequestError(f"mode {mode!r} is not one of {', '.join(SPY_MODES)}")
    if not spyee_channel:
        raise SpyRequestError("the agent has no call to listen to")
    if not supervisor_interface:
        raise SpyRequestError("no phone is registered for this supervisor")
    answer = command_client.call("spy", supervisor_interface=supervisor_interface,
                                 spyee_channel=spyee_channel, mode=mode)
    if not answer.get("ok"):
        raise SpyRequestError(f"Asterisk refused: {answer.get('message', 'no reason given')}")
    session.add(SpySession(spyer_channel="", spyee_channel=spyee_channel, mode=mode,
                           supervisor_user_id=supervisor_user_id,
                           supervisor_interface=supervisor_interface, callid=callid))
    return answer
