"""The supervisor's rota page through the Flask client: add and remove a shift,
refusals next to the field with what was typed kept, CSRF, adherence coloured."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models.base import utcnow
from models.rota import RotaShift
from models.supervision import AgentStateSpan
from tests.support.console_client import csrf_token_from


def _office_today(console_settings) -> dt.date:
    return utcnow().astimezone(ZoneInfo(console_settings.office_timezone)).date()


def _post(client, data: dict):
    token = csrf_token_from(client, "/supervisor/rota")
    return client.post("/supervisor/rota/shifts", data={"csrf_token": token, **data})


def test_add_refuse_and_remove_a_shift(supervisor_client, agent, console_sessions,
                                       console_settings):
    day = (_office_today(console_settings) - dt.timedelta(days=1)).isoformat()
    good = {"user_id": str(agent.id), "day": day, "kind": "day", "start": "08:00",
            "end": "16:00"}
    response = _post(supervisor_client, good)
    assert response.status_code == 303
    page = supervisor_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Shift added." in page and "08:00–16:00" in page and "Day shift" in page

    overlap = _post(supervisor_client, {**good, "start": "15:00", "end": "18:30"})
    text = overlap.get_data(as_text=True)
    assert overlap.status_code == 422
    assert 'id="shift-start-error"' in text and "already has a shift at that time" in text
    assert 'value="15:00"' in text and 'value="18:30"' in text and f'value="{day}"' in text

    backwards = _post(supervisor_client, {**good, "user_id": "", "start": "18:00",
                                          "end": "09:x"})
    text = backwards.get_data(as_text=True)
    assert backwards.status_code == 422
    assert 'id="shift-user-error"' in text and 'id="shift-end-error"' in text
    assert 'value="09:x"' in text
    ends_early = _post(supervisor_client, {**good, "start": "18:00", "end": "09:00"})
    assert "ends before it starts" in ends_early.get_data(as_text=True)

    no_csrf = supervisor_client.post("/supervisor/rota/shifts", data=good)
    assert no_csrf.status_code == 400
    with console_sessions() as session:
        shifts = session.scalars(select(RotaShift)).all()
    assert len(shifts) == 1
    token = csrf_token_from(supervisor_client, "/supervisor/rota")
    gone = supervisor_client.post(f"/supervisor/rota/shifts/{shifts[0].id}/delete",
                                  data={"csrf_token": token, "week": day})
    assert gone.status_code == 303
    assert "Shift removed." in supervisor_client.get(gone.headers["Location"]).get_data(as_text=True)
    with console_sessions() as session:
        assert session.scalars(select(RotaShift)).all() == []


def test_adherence_coloured_against_the_norm(supervisor_client, agent, other_agent,
                                             console_sessions, console_settings):
    zone = ZoneInfo(console_settings.office_timezone)
    day = _office_today(console_settings) - dt.timedelta(days=1)

    def at(hour, minute=0):
        return dt.datetime.combine(day, dt.time(hour, minute), zone)
    for person in (agent, other_agent):
        assert _post(supervisor_client, {"user_id": str(person.id), "day": day.isoformat(),
                                         "kind": "day", "start": "08:00",
                                         "end": "16:00"}).status_code == 303
    with console_sessions() as session:
        session.add_all([
            AgentStateSpan(interface="PJSIP/8001", state="idle", started_at=at(8), ended_at=at(12)),
            AgentStateSpan(interface="PJSIP/8001", state="paused", started_at=at(12),
                           ended_at=at(12, 30)),
            AgentStateSpan(interface="PJSIP/8001", state="talking", started_at=at(12, 30),
                           ended_at=at(17)),
            AgentStateSpan(interface="PJSIP/8002", state="idle", started_at=at(8), ended_at=at(10))])
        session.commit()
    page = supervisor_client.get(f"/supervisor/rota?day={day.isoformat()}").get_data(as_text=True)
    table = page[page.index('id="adherence"'):]
    assert '<td>8:00</td><td>7:30</td>\n      <td class="ok">93.8 %</td>' in table
    assert '<td>8:00</td><td>2:00</td>\n      <td class="missed">25.0 %</td>' in table


def test_a_date_that_cannot_be_read_is_said_by_its_field(supervisor_client):
    response = supervisor_client.get("/supervisor/rota?day=yesterday")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="adherence-day-error"' in text and 'value="yesterday"' in text


def test_agents_get_403(agent_client):
    assert agent_client.get("/supervisor/rota").status_code == 403
    token = csrf_token_from(agent_client, "/console")
    assert agent_client.post("/supervisor/rota/shifts", data={"csrf_token": token}).status_code == 403
