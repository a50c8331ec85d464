"""The console's notifications: the bell's count on every page, the list in the
reader's language, acknowledge (own only), the live signal to the user's room."""
from __future__ import annotations

import datetime as dt

import pytest
from flask_babel import force_locale

from agent_console import socketio
from agent_console.notifications_view import notification_text
from models.console import User
from notifications import service
from notifications.service import Audience
from tests.support.console_client import csrf_token_from, log_in

NOW = dt.datetime(2026, 12, 1, 1, 30, tzinfo=dt.timezone.utc)


def _raise(console_sessions, user_ids, period="2026-11"):
    with console_sessions() as session:
        made = service.notify(session, kind="monthly_report_ready",
                              audience=Audience(user_ids=tuple(user_ids)),
                              params={"period": period}, link="/supervisor/reports", now=NOW)
        session.commit()
        return made.id


@pytest.fixture
def two_users(make_user):
    return make_user("sam", "supervisor", "PJSIP/8099"), make_user("alice", "agent", "PJSIP/8001")


def test_bell_list_and_ack_for_the_recipient_only(app, console_sessions, two_users):
    sam, alice = two_users
    notification_id = _raise(console_sessions, [sam.id])
    as_sam, as_alice = app.test_client(), app.test_client()
    log_in(as_sam, "sam"), log_in(as_alice, "alice")
    page = as_sam.get("/console").get_data(as_text=True)
    assert 'id="notify-count" class="notify-count" >1</span>' in page
    assert 'id="notify-count" class="notify-count" hidden>0</span>' in as_alice.get(
        "/console").get_data(as_text=True)
    data = as_sam.get("/api/notifications").get_json()
    assert data["count"] == 1
    assert data["items"] == [{"id": notification_id, "link": "/supervisor/reports",
                              "created_at": "2026-12-01 09:30",  # office time, Asia/Shanghai
                              "text": "The monthly complaint and follow-up analysis for 2026-11 "
                                      "is ready."}]
    listed = as_sam.get("/notifications").get_data(as_text=True)
    assert "The monthly complaint and follow-up analysis for 2026-11 is ready." in listed
    token = csrf_token_from(as_alice, "/console")
    refused = as_alice.post(f"/notifications/{notification_id}/ack",
                            data={"csrf_token": token})
    assert refused.status_code == 404
    assert as_sam.get("/api/notifications").get_json()["count"] == 1
    token = csrf_token_from(as_sam, "/console")
    assert as_sam.post(f"/notifications/{notification_id}/ack", data={"csrf_token": token},
                       headers={"Accept": "application/json"}).get_json() == {"ok": True,
                                                                              "count": 0}
    assert as_sam.get("/api/notifications").get_json() == {"count": 0, "items": []}


def test_ack_without_csrf_is_refused(app, console_sessions, two_users):
    sam, _ = two_users
    notification_id = _raise(console_sessions, [sam.id])
    client = app.test_client()
    log_in(client, "sam")
    assert client.post(f"/notifications/{notification_id}/ack").status_code == 400
    assert client.get("/api/notifications").get_json()["count"] == 1


def test_text_in_chinese_and_a_missing_param_shows_a_dash(app):
    with app.test_request_context(), force_locale("zh"):
        assert notification_text("monthly_report_ready", {"period": "2026-11"}) == \
            "2026-11 的投诉、回访统计分析报表已生成。"
        assert notification_text("monthly_report_ready", {}) == "— 的投诉、回访统计分析报表已生成。"
        assert notification_text("gone_kind", {}) == "一条本系统已不再识别的通知。"


def test_a_commit_signals_only_the_recipients_room(app, console_sessions, two_users):
    sam, alice = two_users
    as_sam, as_alice = app.test_client(), app.test_client()
    log_in(as_sam, "sam"), log_in(as_alice, "alice")
    sam_socket = socketio.test_client(app, namespace="/notifications", flask_test_client=as_sam)
    alice_socket = socketio.test_client(app, namespace="/notifications", flask_test_client=as_alice)
    assert sam_socket.is_connected("/notifications")
    sam_socket.get_received("/notifications"), alice_socket.get_received("/notifications")
    # through the app's own session factory, where the blueprint hooked the push
    with app.extensions["hotline_sessions"]() as session:
        service.notify(session, kind="weekly_report_ready", audience=Audience(user_ids=(sam.id,)),
                       params={"period": "W48"}, link=None, now=NOW)
        session.commit()
    assert [m["name"] for m in sam_socket.get_received("/notifications")] == [
        "notifications_changed"]
    assert alice_socket.get_received("/notifications") == []


def test_an_anonymous_socket_is_refused(app):
    client = socketio.test_client(app, namespace="/notifications",
                                  flask_test_client=app.test_client())
    assert not client.is_connected("/notifications")
