"""The night cover the wallboard shows, on SQLite and PostgreSQL: the night shifts on
now (one begun the evening before included), else tonight's; day shifts never; and
the wallboard's page and its minute refresh say it with the phone, in office time."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from call_queue import rota
from models.console import User
from models.rota import RotaShift

OFFICE = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=OFFICE)


@pytest.fixture
def rota_rows(session_factory):
    with session_factory.begin() as session:
        people = {name: User(username=name, password_hash="x", role="agent", display_name=shown,
                             phone_interface=phone)
                  for name, shown, phone in (("a1", "王芳", "PJSIP/8001"),
                                             ("a2", "李强", "PJSIP/8002"),
                                             ("a3", "赵敏", None))}
        session.add_all(people.values())
        session.flush()
        for user, kind, start, end in (("a1", "night", at(1, 17, 30), at(2, 8, 30)),
                                       ("a2", "day", at(2, 8), at(2, 16)),
                                       ("a3", "night", at(2, 17, 30), at(3, 8, 30)),
                                       ("a2", "night", at(2, 17, 30), at(3, 8, 30))):
            session.add(RotaShift(user_id=people[user].id, day=start.date(), kind=kind,
                                  starts_at=start, ends_at=end))


def names(covers) -> list[tuple]:
    return [(c.name, c.interface, c.starts_at.astimezone(OFFICE).strftime("%d %H:%M"), c.now)
            for c in covers]


def test_night_cover_now_then_tonight(session_factory, rota_rows):
    with session_factory() as session:
        # 02:00 on the 2nd: the night shift begun on the 1st is on.
        assert names(rota.night_cover(session, at(2, 2))) == [
            ("王芳", "PJSIP/8001", "01 17:30", True)]
        # 10:00: nobody at night now, the day shift does not count; tonight two.
        assert names(rota.night_cover(session, at(2, 10))) == [
            ("李强", "PJSIP/8002", "02 17:30", False), ("赵敏", None, "02 17:30", False)]
        assert [c.now for c in rota.night_cover(session, at(2, 23))] == [True, True]
        assert rota.night_cover(session, at(4, 12)) == []


def test_the_wallboard_names_the_night_cover(supervisor_client, agent, console_sessions):
    now = dt.datetime.now(dt.timezone.utc)
    start = (now - dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    with console_sessions.begin() as session:
        session.add(RotaShift(user_id=agent.id, day=start.astimezone(OFFICE).date(),
                              kind="night", starts_at=start,
                              ends_at=start + dt.timedelta(hours=12)))
    shown = start.astimezone(OFFICE).strftime("%H:%M")
    ends = (start + dt.timedelta(hours=12)).astimezone(OFFICE).strftime("%H:%M")
    html = supervisor_client.get("/supervisor/wallboard").get_data(as_text=True)
    assert '<h3 id="night-cover-title">On night duty now</h3>' in html
    assert (f'<li><strong>{agent.display_name}</strong> · ext. <span class="mono">8001</span>'
            f' · {shown}–{ends}</li>') in html
    data = supervisor_client.get("/supervisor/wallboard/intraday.json").get_json()
    assert data["night_cover"] == [{"name": agent.display_name, "phone": "8001",
                                    "starts": shown, "ends": ends, "now": True,
                                    "day": start.astimezone(OFFICE).date().isoformat()}]


def test_the_wallboard_says_when_nobody_is_on_night_duty(supervisor_client):
    html = supervisor_client.get("/supervisor/wallboard").get_data(as_text=True)
    assert 'id="night-cover-empty"' in html and "Nobody is on night duty in the rota." in html


def test_calls_today_come_from_the_stored_calls_of_the_office_day(supervisor_client,
                                                                  console_sessions):
    from models.calls import Call

    now = dt.datetime.now(dt.timezone.utc)
    midnight = dt.datetime.combine(now.astimezone(OFFICE).date(), dt.time(), OFFICE)
    with console_sessions.begin() as session:
        for callid, at_, agent in (("c1", midnight + dt.timedelta(seconds=1), "PJSIP/8001"),
                                   ("c2", midnight - dt.timedelta(seconds=1), "PJSIP/8001"),
                                   ("c3", midnight + dt.timedelta(minutes=5), "PJSIP/8002"),
                                   ("c4", midnight + dt.timedelta(minutes=6), "PJSIP/8002")):
            session.add(Call(callid=callid, queue="hotline", entered_queue_at=at_,
                             answered_at=at_, agent_interface=agent, outcome="answered",
                             wait_s=1, talk_s=30))
    data = supervisor_client.get("/supervisor/wallboard/intraday.json").get_json()
    assert data["calls_today"] == {"PJSIP/8001": 1, "PJSIP/8002": 2}
    html = supervisor_client.get("/supervisor/wallboard").get_data(as_text=True)
    assert 'window.HOTLINE_CALLS_TODAY = {"PJSIP/8001": 1, "PJSIP/8002": 2};' in html
