"""The wallboard in the console: norm levels in the page and on the socket, the alert
sound, today's half hours, and the supervisors' notifications when a figure crosses
its norm (agent_console/supervisor/norm_alerts.py) on a real Redis and SQLite."""
from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import time

import pytest
from sqlalchemy import select

from agent_console import socketio
from agent_console.supervisor.norm_alerts import BREACH_KEY_PREFIX, NormAlerts
from call_queue.live import LiveStateSink, NAMESPACE, PUSH_EVENT
from call_queue.norms import Norms
from models.calls import Call
from models.notifications import Notification, NotificationDelivery
from telephony import events as ev

T0 = time.time()


def member(at: float, interface: str = "PJSIP/8001", present: bool = True):
    return ev.MemberStatusChanged(at=at, queue="hotline", interface=interface,
                                  member_name="王芳", status="in_use", paused=False,
                                  paused_reason="", in_call=False, present=present)


def queued(callid: str, at: float) -> ev.CallQueued:
    return ev.CallQueued(at=at, callid=callid, linkedid=callid, queue="hotline",
                         channel="PJSIP/trunk-1", caller_number="13800138000",
                         caller_name="张三", dialled_number="4000", position=1)


@pytest.fixture
def sink(app, console_settings, console_redis):  # app: the socketio server to emit into
    settings = dataclasses.replace(console_settings, norm_longest_wait_s=10)
    live = LiveStateSink(settings, redis_client=console_redis, spy_recorder=False,
                         span_recorder=False,
                         emit=lambda board: socketio.emit(PUSH_EVENT, board, namespace=NAMESPACE))
    live.handle(ev.BridgeResynced(at=T0))
    return live


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


def notifications(sessions) -> list[tuple[str, str, int]]:
    with sessions() as session:
        rows = session.execute(select(Notification.kind, Notification.params,
                                      NotificationDelivery.user_id)
                               .join(NotificationDelivery)
                               .order_by(Notification.id)).all()
    return [tuple(row) for row in rows]


def test_a_wait_past_the_norm_notifies_supervisors_once_per_crossing(
        sink, console_redis, console_sessions, supervisor, agent, make_user):
    admin = make_user("ada", "admin")
    clock = Clock(T0 + 5)
    alerts = NormAlerts(console_redis, console_sessions, Norms(longest_wait_s=10), clock=clock)
    sink.handle(member(T0))
    sink.handle(queued("c1", T0 + 1))
    # 4 s: the wait is within its norm; the day's service level (0 answered of 1 offered,
    # as the statistics count it) is not.
    assert [f.key for f in alerts.check()] == ["service_level:hotline"]
    clock.now = T0 + 12
    [new] = alerts.check()                            # 11 s: crossed
    assert new.key == "longest_wait:hotline"
    assert alerts.check() == []                       # still past it: no second notice
    assert notifications(console_sessions)[2:] == [
        ("norm_longest_wait", '{"norm": "0:10", "value": "0:11"}', supervisor.id),
        ("norm_longest_wait", '{"norm": "0:10", "value": "0:11"}', admin.id)]
    # A second console on the same Redis does not raise it again.
    other = NormAlerts(console_redis, console_sessions, Norms(longest_wait_s=10), clock=clock)
    assert other.check() == []
    sink.handle(ev.CallAbandoned(at=T0 + 26, callid="c1", queue="hotline", position=1,
                                 original_position=1, hold_s=25))
    clock.now = T0 + 27
    assert [f.key for f in alerts.check()] == ["abandonment:hotline"]  # the wait cleared
    assert not console_redis.exists(BREACH_KEY_PREFIX + "longest_wait:hotline")
    sink.handle(queued("c2", T0 + 27))
    clock.now = T0 + 40
    assert [f.key for f in alerts.check()] == ["longest_wait:hotline"]  # crossed again
    kinds = [kind for kind, _params, user in notifications(console_sessions)
             if user == supervisor.id]
    assert kinds == ["norm_service_level", "norm_longest_wait", "norm_abandonment",
                     "norm_longest_wait"]


def test_nobody_logged_in_raises_the_24_hour_alert_but_a_stale_board_nothing(
        sink, console_redis, console_sessions, supervisor):
    alerts = NormAlerts(console_redis, console_sessions, Norms(), clock=Clock(T0 + 1))
    sink.handle(member(T0))
    assert alerts.check() == []
    sink.handle(member(T0 + 1, present=False))          # the last agent logs out
    assert [f.key for f in alerts.check()] == ["unattended:"]
    assert notifications(console_sessions) == [("norm_unattended", "{}", supervisor.id)]
    console_redis.delete(BREACH_KEY_PREFIX + "unattended:")
    sink.handle(ev.BridgeDisconnected(at=T0 + 2, reason="test"))
    assert alerts.check() == []                         # not current: nothing is known


def test_the_page_and_the_socket_carry_the_levels(app, supervisor_client, sink):
    sink.handle(member(T0))
    sink.handle(queued("p1", time.time() - 30))
    page = supervisor_client.get("/supervisor/wallboard").get_data(as_text=True)
    assert 'data-queue="hotline"' in page and 'id="norm-alerts"' in page
    assert '"longest_wait": "missed"' in page            # the initial board, levels included
    client = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=supervisor_client)
    [board] = [m["args"][0] for m in client.get_received(NAMESPACE) if m["name"] == PUSH_EVENT]
    assert board["norms"]["norms"]["longest_wait_s"] == 20  # the console's settings
    assert board["norms"]["queues"]["hotline"]["longest_wait"] == "missed"
    wall = supervisor_client.get("/supervisor/wallboard?wall=1").get_data(as_text=True)
    assert "wallboard-page wall" in wall


def test_today_by_half_hour(app, supervisor_client, agent_client, console_sessions):
    now = dt.datetime.now(dt.timezone.utc)
    with console_sessions() as session:
        session.add_all([Call(callid="i1", queue="hotline", outcome="answered", wait_s=5,
                              entered_queue_at=now),
                         Call(callid="i2", queue="hotline", outcome="abandoned", wait_s=40,
                              entered_queue_at=now)])
        session.commit()
    data = supervisor_client.get("/supervisor/wallboard/intraday.json").get_json()
    assert len(data["slots"]) == 48 and data["service_level_norm"] == 0.8
    assert sum(slot["offered"] for slot in data["slots"]) == 2
    assert sum(slot["abandoned"] for slot in data["slots"]) == 1
    assert agent_client.get("/supervisor/wallboard/intraday.json").status_code == 403


def test_alert_sound_is_built_with_sox_and_served(app, supervisor_client, console_settings):
    from agent_console.assets import build_alert_sound, build_ring_sound

    path = build_alert_sound(console_settings.state_dir)
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True)
    rms = float(next(line for line in stat.stderr.splitlines()
                     if line.startswith("RMS     amplitude")).split()[-1])
    assert rms > 0.05, stat.stderr  # a tone, not silence
    assert path.read_bytes() != build_ring_sound(console_settings.state_dir).read_bytes()
    response = supervisor_client.get("/assets/alert.wav")
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    assert response.data == path.read_bytes()
    assert app.test_client().get("/assets/alert.wav").status_code in (302, 401)
