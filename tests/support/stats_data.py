"""Calls for the statistics page's tests, placed relative to now in the office's days:
yesterday a morning with the norms met and an afternoon with them missed, and two
calls today, so that the presets today / yesterday / this month show different totals."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from models.calls import Call


@dataclasses.dataclass(frozen=True)
class StatsDays:
    today: dt.date
    yesterday: dt.date
    yesterday_answered: int
    today_answered: int


def _call(callid: str, at: dt.datetime, outcome: str, wait: int, agent: str | None,
          talk: int | None) -> Call:
    answered = outcome == "answered"
    return Call(callid=callid, caller_number="13900000000", caller_number_raw="13900000000",
                queue="hotline", entered_queue_at=at, outcome=outcome, wait_s=wait,
                answered_at=at + dt.timedelta(seconds=wait) if answered else None,
                agent_interface=agent, ring_s=min(wait, 6) if answered else None,
                rings=2 if answered else None, talk_s=talk, hold_s=0 if answered else None,
                wrapup_s=40 if answered else None)


def seed_stats_days(session, zone: str, now: dt.datetime, agents=("PJSIP/8001", "PJSIP/8002")
                    ) -> StatsDays:
    """Yesterday: 09:00-10:30 six answered within 20 s; 14:00-15:30 three answered
    late and three abandoned. Today: two answered at 00:10 and 00:40 (always past)."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    yesterday = today - dt.timedelta(days=1)

    def at(day, hour, minute):
        return dt.datetime.combine(day, dt.time(hour), tz) + dt.timedelta(minutes=minute)
    calls = []
    for i in range(6):
        calls.append(_call(f"y-am-{i}", at(yesterday, 9, i * 15), "answered", 8,
                           agents[i % 2], 300))
    for i in range(6):
        late = i % 2 == 0
        calls.append(_call(f"y-pm-{i}", at(yesterday, 14, i * 15),
                           "answered" if late else "abandoned", 75 if late else 45,
                           agents[i % 2] if late else None, 200 if late else None))
    calls.append(_call("t-1", at(today, 0, 10), "answered", 5, agents[0], 280))
    calls.append(_call("t-2", at(today, 0, 40), "answered", 12, agents[1], 320))
    session.add_all(calls)
    return StatsDays(today, yesterday, yesterday_answered=9, today_answered=2)
