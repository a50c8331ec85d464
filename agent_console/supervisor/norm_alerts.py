"""Supervisors' notifications when a wallboard figure crosses its norm.

The board in Redis is checked every few seconds by the console (`hotline
console` starts `run_forever` as a background task): a figure that is newly
outside its norm (call_queue.norms) raises one notification for the
supervisors and administrators (notifications.service.notify), with the figure
and the norm as display text and a link to the wallboard. A longest wait
crosses its norm with the clock alone, with no event from Asterisk, which is
why this is a poll and not a reaction to the bridge's pushes.

"Newly" is kept in Redis (one key per breach, refreshed while it lasts), so two
consoles on one Redis raise it once, and a console restart within HOLD_S does
not raise it again. A board that is not current (bridge away or rebuilding)
raises nothing: its figures are not known to be true.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Callable

import redis as redis_lib
from sqlalchemy.exc import SQLAlchemyError

from call_queue.live import read_board
from call_queue.norms import Figure, Norms, evaluate
from call_queue import board_view
from notifications.service import Audience, notify

log = logging.getLogger(__name__)

BREACH_KEY_PREFIX = "hotline:wallboard:breach:"
HOLD_S = 30
CHECK_EVERY_S = 2.0
AUDIENCE = Audience(roles=("supervisor", "admin"))
LINK = "/supervisor/wallboard"
KIND_OF_MEASURE = {"longest_wait": "norm_longest_wait", "service_level": "norm_service_level",
                   "abandonment": "norm_abandonment", "agents_ready": "norm_agents_ready",
                   "unattended": "norm_unattended"}


def _duration(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def _percent(rate: float, digits: int) -> str:
    return f"{rate * 100:.{digits}f} %"


def params_of(figure: Figure) -> dict:
    """The figure and its norm as the notification shows them (numbers, no codes)."""
    if figure.measure == "longest_wait":
        return {"value": _duration(figure.value), "norm": _duration(figure.norm)}
    if figure.measure in ("service_level", "abandonment"):
        return {"value": _percent(figure.value, 1), "norm": _percent(figure.norm, 0)}
    if figure.measure == "agents_ready":
        return {"value": str(int(figure.value)), "norm": str(int(figure.norm))}
    return {}


class NormAlerts:
    def __init__(self, redis_client: redis_lib.Redis, sessions, norms: Norms,
                 clock: Callable[[], float] = time.time):
        self.redis, self.sessions, self.norms, self.clock = redis_client, sessions, norms, clock

    def check(self) -> list[Figure]:
        """Notify the breaches that are new since the last check; return them."""
        now = self.clock()
        board = read_board(self.redis, now)
        if not board["current"]:
            return []
        breaches = evaluate(board_view.render(board, now), self.norms).breaches
        new = [figure for figure in breaches if self._is_new(figure)]
        self._forget_cleared({figure.key for figure in breaches})
        if new:
            self._notify(new, dt.datetime.fromtimestamp(now, dt.timezone.utc))
        return new

    def _is_new(self, figure: Figure) -> bool:
        key = BREACH_KEY_PREFIX + figure.key
        if self.redis.set(key, "1", nx=True, ex=HOLD_S):
            return True
        self.redis.expire(key, HOLD_S)
        return False

    def _forget_cleared(self, current: set[str]) -> None:
        for key in self.redis.scan_iter(match=BREACH_KEY_PREFIX + "*"):
            name = key.decode() if isinstance(key, bytes) else key
            if name[len(BREACH_KEY_PREFIX):] not in current:
                self.redis.delete(name)

    def _notify(self, figures: list[Figure], now: dt.datetime) -> None:
        with self.sessions() as session:
            for figure in figures:
                notify(session, kind=KIND_OF_MEASURE[figure.measure], audience=AUDIENCE,
                       params=params_of(figure), link=LINK, now=now)
            session.commit()
        log.info("norm alerts raised: %s", ", ".join(figure.key for figure in figures))

    def run_forever(self, sleep: Callable[[float], None] = time.sleep) -> None:
        """The console's background task: check, then wait; an outage is logged, not fatal."""
        while True:
            try:
                self.check()
            except (redis_lib.RedisError, SQLAlchemyError) as error:
                log.warning("norm alerts: cannot check the board (%s); retrying", error)
            sleep(CHECK_EVERY_S)


def start(app, socketio) -> NormAlerts:
    """Run the checks in the console's server, with its settings, Redis and database."""
    alerts = NormAlerts(app.extensions["hotline_redis"], app.extensions["hotline_sessions"],
                        Norms.from_settings(app.extensions["hotline_settings"]))
    socketio.start_background_task(alerts.run_forever, socketio.sleep)
    return alerts
