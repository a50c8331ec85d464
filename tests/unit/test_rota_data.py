"""The rota and adherence on SQLite and PostgreSQL: shifts typed in office time,
refusals by field, and a day's adherence from stored state spans."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from call_queue import rota
from call_queue.adherence import day_adherence
from models.console import User
from models.supervision import AgentStateSpan

OFFICE = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 12, 1)


def at(hour: int, minute: int = 0, day: int = 1) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=OFFICE)


@pytest.fixture
def agents(session_factory):
    with session_factory() as session:
        people = [User(username=name, password_hash="x", role="agent",
                       phone_interface=phone, display_name=shown)
                  for name, phone, shown in (("a1", "PJSIP/8001", "王芳"),
                                             ("a2", "PJSIP/8002", "李强"))]
        session.add_all(people + [User(username="s1", password_hash="x", role="supervisor")])
        session.commit()
        return [person.id for person in people]


def form(user_id, day="2026-12-01", kind="day", start="08:00", end="16:00"):
    return rota.ShiftForm(str(user_id), day, kind, start, end)


def test_shifts_in_office_time_and_refusals_by_field(session_factory, agents):
    with session_factory() as session:
        draft = rota.check_shift(session, form(agents[0]), OFFICE)
        assert draft.starts_at == dt.datetime(2026, 12, 1, 0, tzinfo=dt.timezone.utc)
        rota.add_shift(session, draft, None)
        night = rota.check_shift(session, form(agents[0], kind="night", start="17:30",
                                               end="08:30"), OFFICE)
        assert night.ends_at == at(8, 30, day=2)
        rota.add_shift(session, night, None)
        session.commit()

        def refused(typed) -> dict:
            with pytest.raises(rota.ShiftRefused) as caught:
                rota.check_shift(session, typed, OFFICE)
            return caught.value.errors

        assert refused(form(agents[0], start="15:00", end="18:00")) == {"start": "overlap"}
        assert refused(form(agents[1], start="16:00", end="08:00")) == {"end": "end_before_start"}
        assert refused(form(999, day="12/01", start="25:00", kind="x")) == {
            "user_id": "agent_unknown", "day": "day_invalid", "kind": "kind_invalid",
            "start": "time_invalid"}
        # The other agent may work the same hours; a shift touching another is no overlap.
        rota.check_shift(session, form(agents[1]), OFFICE)
        rota.check_shift(session, form(agents[0], kind="evening", start="16:00",
                                       end="17:30"), OFFICE)
        week = rota.week_shifts(session, dt.date(2026, 11, 30))
        assert [(row.kind, row.day) for row in week] == [("day", DAY), ("night", DAY)]
        assert rota.remove_shift(session, week[0].id) is True
        session.commit()
        assert len(rota.week_shifts(session, dt.date(2026, 11, 30))) == 1


def test_day_adherence_from_stored_spans(session_factory, agents):
    with session_factory() as session:
        for user_id in agents:
            rota.add_shift(session, rota.check_shift(session, form(user_id), OFFICE), None)
        spans = [("PJSIP/8001", "idle", at(7), at(8, 10)), ("PJSIP/8001", "talking", at(8, 10), at(12)),
                 ("PJSIP/8001", "paused", at(12), at(12, 20)),
                 ("PJSIP/8001", "idle", at(12, 20), None),       # still logged in
                 ("PJSIP/8002", "idle", at(8), at(12)),
                 ("PJSIP/8002", "unavailable", at(12), at(20))]
        session.add_all(AgentStateSpan(interface=i, state=s, started_at=a, ended_at=b)
                        for i, s, a, b in spans)
        session.commit()
        rows = day_adherence(session, DAY, now=at(18))
    assert [row.name for row in rows] == ["李强", "王芳"]
    li, wang = rows
    assert (li.adherence.ready_s, li.adherence.rate, li.adherence.meets_norm) == (
        4 * 3600, 0.5, False)
    assert wang.adherence.ready_s == 460 * 60  # 8 h less the 20 min pause
    assert wang.adherence.rate == pytest.approx(460 / 480)
    assert wang.adherence.meets_norm is True
    with session_factory() as session:
        assert day_adherence(session, DAY + dt.timedelta(days=1), now=at(18)) == []
