"""The softphone's audio report (issue 17.3): the page posts its summary of a call,
it is kept per call and user (SQLite and PostgreSQL), refused whole when a field is
wrong, and shown in the supervisor's call list beside the recording only for the
call that phone took."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models.base import utcnow
from models.call_quality import CallQuality
from models.calls import Call
from tests.support.console_client import csrf_token_from, log_in
from tests.support.settings import make_settings

SOFTPHONE = "PJSIP/webrtc-8005"
REPORT = {"callid": "1796330000.11", "samples": "7", "packets_received": "995",
          "packets_lost": "5", "packets_sent": "1002", "codec": "audio/opus",
          "jitter_ms_mean": "1.24", "jitter_ms_max": "3.5", "rtt_ms_mean": "2.6"}


@pytest.fixture
def console_settings(db_url, tmp_path, console_redis_server, console_redis):
    """The console on each database in turn (the lengths and the unique pair matter)."""
    return make_settings(database_url=db_url, redis_url=console_redis_server,
                         state_dir=tmp_path, secret_key_file=tmp_path / "secret-key",
                         wrapup_s=30)


@pytest.fixture
def soft_agent(make_user):
    return make_user("carol", "agent", SOFTPHONE)


@pytest.fixture
def soft_client(app, soft_agent):
    client = app.test_client()
    assert log_in(client, soft_agent.username).status_code == 302
    return client


def _post(client, **changes):
    token = csrf_token_from(client, "/console")
    return client.post("/api/softphone/quality", data={**REPORT, **changes},
                       headers={"X-CSRFToken": token})


def _calls_today(console_sessions, *pairs: tuple[str, str]) -> None:
    now = utcnow() - dt.timedelta(minutes=5)
    with console_sessions() as session:
        for callid, interface in pairs:
            session.add(Call(callid=callid, caller_number_raw="13900001111",
                             caller_number="13900001111", queue="hotline", entered_queue_at=now,
                             agent_interface=interface, wait_s=4, talk_s=60, outcome="answered",
                             answered_at=now + dt.timedelta(seconds=4)))
        session.commit()


def _stored(console_sessions) -> list[CallQuality]:
    with console_sessions() as session:
        return list(session.scalars(select(CallQuality).order_by(CallQuality.id)))


def test_a_report_is_kept_once_per_call_and_shown_beside_the_recording(
        soft_client, supervisor_client, console_sessions):
    _calls_today(console_sessions, (REPORT["callid"], SOFTPHONE))
    assert _post(soft_client, jitter_ms_mean="9.9").status_code == 200
    assert _post(soft_client).status_code == 200  # sent again: replaces, no second row
    [row] = _stored(console_sessions)
    assert (row.interface, row.packets_lost, row.jitter_ms_mean, row.codec) == (
        SOFTPHONE, 5, 1.24, "audio/opus")
    assert row.loss_percent == pytest.approx(0.5)
    page = supervisor_client.get("/supervisor/calls").get_data(as_text=True)
    assert "jitter 1.2 ms · loss 0.5 % · RTT 3 ms" in page


def test_a_report_about_another_phones_call_is_never_shown(
        soft_client, supervisor_client, console_sessions):
    _calls_today(console_sessions, (REPORT["callid"], "PJSIP/8001"))
    assert _post(soft_client).status_code == 200
    page = supervisor_client.get("/supervisor/calls").get_data(as_text=True)
    assert REPORT["callid"] in page or "13900001111" in page.replace(" ", "")
    assert "jitter 1.2 ms" not in page and 'class="call-quality' not in page


@pytest.mark.parametrize("field, value", [
    ("callid", "1796.1&Action=Hangup"), ("callid", ""), ("callid", "x" * 65),
    ("packets_lost", "-1"), ("packets_received", "1e9"), ("samples", str(10**10)),
    ("jitter_ms_mean", "nan"), ("rtt_ms_mean", "inf"), ("jitter_ms_max", "-0.5"),
    ("codec", "<script>"), ("codec", "a" * 41)])
def test_a_bad_field_refuses_the_whole_report(soft_client, console_sessions, field, value):
    response = _post(soft_client, **{field: value})
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["field"] == field and answer["message"] == \
        "The call's audio report was not understood."
    assert _stored(console_sessions) == []


def test_only_a_softphone_with_the_pages_token_may_report(agent_client, soft_client,
                                                          console_sessions):
    assert _post(agent_client).status_code == 404  # a desk-phone agent has no softphone
    no_token = soft_client.post("/api/softphone/quality", data=REPORT)
    assert no_token.status_code == 400  # CSRF
    with console_sessions() as session:
        assert session.scalar(select(func.count()).select_from(CallQuality)) == 0
