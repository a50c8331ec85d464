"""Recordings (Range, who may hear what, path traversal, audit), QA scores,
listen/whisper/barge requests and the statistics pages of the supervisor blueprint."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from agent_console.supervisor import views
from call_queue.live import LiveStateSink
from call_queue.supervision import SpyRecorder
from models.calls import Call
from models.supervision import AuditLog, QaScore, SpySession
from telephony import events as ev
from telephony.bridge_presence import alive_key

AUDIO = bytes(range(256)) * 40


@pytest.fixture
def console_settings(console_settings, tmp_path):
    recordings = tmp_path / "monitor"
    recordings.mkdir()
    (recordings / "call-r1.wav").write_bytes(AUDIO)
    (tmp_path / "secret.wav").write_bytes(b"not yours")
    return dataclasses.replace(console_settings, recordings_dir=recordings)


@pytest.fixture
def calls(console_sessions, agent, other_agent):
    now = dt.datetime.now(dt.timezone.utc)
    with console_sessions.begin() as session:
        for callid, interface, path in [("r1", "PJSIP/8001", "call-r1.wav"),
                                        ("r2", "PJSIP/8002", "call-r1.wav"),
                                        ("r3", "PJSIP/8001", "../secret.wav"),
                                        ("r4", "PJSIP/8001", "/var/spool/asterisk/monitor/call-r1.wav")]:
            session.add(Call(callid=callid, agent_interface=interface, recording_path=path,
                             entered_queue_at=now, answered_at=now, outcome="answered",
                             wait_s=3, talk_s=60))


def audit_rows(console_sessions) -> int:
    with console_sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditLog))


def test_supervisor_plays_any_call_with_ranges(supervisor_client, calls, console_sessions):
    whole = supervisor_client.get("/supervisor/recordings/r2")
    assert whole.status_code == 200 and whole.data == AUDIO
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = supervisor_client.get("/supervisor/recordings/r2", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.data == AUDIO[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(AUDIO)}"
    assert audit_rows(console_sessions) == 1  # the continuation is the same playback


def test_agent_hears_only_own_calls(agent_client, calls, console_sessions):
    assert agent_client.get("/supervisor/recordings/r1").status_code == 200
    assert agent_client.get("/supervisor/recordings/r2").status_code == 403
    with console_sessions() as session:
        row = session.scalars(select(AuditLog)).one()
    assert (row.username, row.action, row.target) == ("alice", "recording_opened", "r1")


def test_paths_outside_the_folder_are_refused(supervisor_client, calls):
    assert supervisor_client.get("/supervisor/recordings/r3").status_code == 404
    # Asterisk's absolute path: the same name inside our recordings folder.
    assert supervisor_client.get("/supervisor/recordings/r4").data == AUDIO
    assert supervisor_client.get("/supervisor/recordings/nope").status_code == 404


def test_anonymous_is_sent_to_log_in(app, calls):
    assert app.test_client().get("/supervisor/recordings/r1").status_code == 302


def qa_form(**overrides):
    values = {"greeting": "10", "identity": "15", "listening": "18", "resolution": "20",
              "courtesy": "15", "record": "8", "closing": "5", "comment": "good"}
    return values | overrides


def csrf(client, url):
    from tests.support.console_client import csrf_token_from
    return csrf_token_from(client, url)


def test_qa_score_is_stored_and_counted_on_the_board(supervisor_client, calls,
                                                     console_sessions):
    token = csrf(supervisor_client, "/supervisor/qa/r1")
    saved = supervisor_client.post("/supervisor/qa/r1", data=qa_form(csrf_token=token))
    assert saved.status_code == 302
    with console_sessions() as session:
        score = session.scalars(select(QaScore)).one()
    assert (score.agent_interface, score.total, score.criteria["resolution"]) == (
        "PJSIP/8001", 91, 20)
    board = supervisor_client.get("/supervisor/wallboard").get_data(as_text=True)
    assert "HOTLINE_QA = {\"PJSIP/8001\": 1}" in board


def test_bad_qa_score_is_refused_and_nothing_stored(supervisor_client, agent_client, calls,
                                                    console_sessions):
    token = csrf(supervisor_client, "/supervisor/qa/r1")
    refused = supervisor_client.post("/supervisor/qa/r1",
                                     data=qa_form(resolution="26", csrf_token=token))
    assert refused.status_code == 400 and "0 to 25" in refused.get_data(as_text=True)
    with console_sessions() as session:
        assert session.scalar(select(func.count()).select_from(QaScore)) == 0
    assert agent_client.get("/supervisor/qa/r1").status_code == 403


class FakeCommands:
    def __init__(self, ok=True):
        self.ok, self.calls = ok, []

    def call(self, name, **args):
        self.calls.append((name, args))
        return {"ok": self.ok, "message": "queued" if self.ok else "no such channel"}


def talking_agent(console_settings, console_redis):
    sink = LiveStateSink(console_settings, redis_client=console_redis, emit=lambda b: None,
                         spy_recorder=False)
    sink.handle(ev.CallAnswered(at=1e9, callid="s1", queue="hotline", interface="PJSIP/8001",
                                member_name="alice", agent_channel="PJSIP/8001-0000002a",
                                hold_s=2, ring_s=1))


def test_barge_request_goes_to_the_bridge_and_is_stored(supervisor_client, console_settings,
                                                         console_redis, console_sessions,
                                                         monkeypatch):
    talking_agent(console_settings, console_redis)
    commands = FakeCommands()
    console_redis.set(alive_key("main"), "1", ex=30)  # the main host's bridge is running
    monkeypatch.setattr(views, "_command_client", lambda agent: commands)
    token = csrf(supervisor_client, "/supervisor/wallboard")
    answer = supervisor_client.post("/supervisor/spy", json={"interface": "PJSIP/8001",
                                                             "mode": "barge"},
                                    headers={"X-CSRFToken": token})
    assert answer.get_json()["ok"] is True
    assert commands.calls == [("spy", {"supervisor_interface": "PJSIP/8099",
                                       "spyee_channel": "PJSIP/8001-0000002a", "mode": "barge"})]
    recorder = SpyRecorder(console_settings.database_url)
    recorder.record(ev.SpyStarted(at=1e9 + 5, spyer_channel="PJSIP/8099-01",
                                  spyee_channel="PJSIP/8001-0000002a"))
    recorder.record(ev.SpyStopped(at=1e9 + 65, spyer_channel="PJSIP/8099-01",
                                  spyee_channel="PJSIP/8001-0000002a"))
    with console_sessions() as session:
        spy = session.scalars(select(SpySession)).one()
    assert (spy.mode, spy.spyer_channel, spy.callid) == ("barge", "PJSIP/8099-01", "s1")
    assert (spy.stopped_at - spy.started_at).total_seconds() == 60


def test_spy_refusals(supervisor_client, agent_client, console_settings, console_redis,
                      monkeypatch):
    talking_agent(console_settings, console_redis)
    console_redis.set(alive_key("main"), "1", ex=30)
    monkeypatch.setattr(views, "_command_client", lambda agent: FakeCommands(ok=False))
    token = csrf(supervisor_client, "/supervisor/wallboard")
    headers = {"X-CSRFToken": token}
    refused = supervisor_client.post("/supervisor/spy", headers=headers,
                                     json={"interface": "PJSIP/8001", "mode": "listen"})
    assert refused.status_code == 409 and "no such channel" in refused.get_json()["message"]
    bad_mode = supervisor_client.post("/supervisor/spy", headers=headers,
                                      json={"interface": "PJSIP/8001", "mode": "shout"})
    assert bad_mode.status_code == 409
    unknown = supervisor_client.post("/supervisor/spy", headers=headers,
                                     json={"interface": "PJSIP/8077", "mode": "listen"})
    assert unknown.status_code == 404
    assert agent_client.post("/supervisor/spy", json={}).status_code in (400, 403)


def test_statistics_pages(supervisor_client, agent_client, calls):
    page = supervisor_client.get("/supervisor/stats?from=2020-01-01&to=2030-01-01&by=month")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Average speed of answer" in text and "≤ 20 s" in text
    report = supervisor_client.get("/supervisor/stats.json?from=2020-01-01&to=2030-01-01").get_json()
    assert report["total"]["answered"]["value"] == 4
    excel = supervisor_client.get("/supervisor/stats.xlsx?from=2020-01-01&to=2030-01-01")
    assert load_workbook(io.BytesIO(excel.data)).sheetnames[0] == "by day"
    assert supervisor_client.get("/supervisor/stats?by=year").status_code == 400
    assert agent_client.get("/supervisor/stats").status_code == 403
