"""The production serving path on real engines (issue 19.1): Debian's nginx with
TLS in front of two gunicorn console workers on loopback ports, one SQLite
database, a private redis-server.

Proves: log-in and /healthz over https through nginx; two Socket.IO clients
whose addresses nginx hashes to different workers both upgrade to WebSocket
through nginx and stay on their worker (sticky); a notification acknowledged on
one worker reaches the browser held by the other (the Redis message queue); an
X-Forwarded-For sent by the client is not believed past the one trusted hop.
"""
from __future__ import annotations

import datetime as dt
import statistics
import threading
import time
from pathlib import Path

import pytest
import requests
import socketio

from models.console import User
from models.session import session_factory
from notifications import push
from notifications.service import Audience, notify
from tests.labtools import wait_until
from tests.support.production_stack import (
    bound_session, bound_tls_socket, csrf_token, log_in, sources_per_worker,
    start_production_lab, upstream_of)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "production"
USERS = {"agent": "agent", "other": "agent"}
SPOOFED = "127.9.9.9"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = start_production_lab(tmp_path_factory.mktemp("production"), USERS)
    yield lab
    lab.stop()


@pytest.fixture(scope="module")
def sources(lab) -> list[str]:
    """A client address per worker, in the order of lab.worker_ports."""
    by_worker = sources_per_worker(lab)
    return [by_worker[f"127.0.0.1:{port}"] for port in lab.worker_ports]


def test_health_and_log_in_over_https_through_nginx(lab, sources):
    with bound_session(lab, sources[0]) as session:
        health = session.get(lab.base_url + "/healthz", timeout=5)
        assert (health.status_code, health.text) == (200, "ok\n")
        assert health.headers["Strict-Transport-Security"].startswith("max-age=")
        response = log_in(lab, session, "agent")
        assert response.status_code == 302, response.text[:300]
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie  # the browser came over TLS
        desk = session.get(lab.base_url + response.headers["Location"], timeout=10)
        assert desk.status_code == 200 and 'name="csrf-token"' in desk.text
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(lab.base_url + "/healthz", timeout=5)  # no trust without the lab's cert


def _socket_client(lab, session, source: str, received: list, got: threading.Event):
    # websocket-client would add an Origin of its own to the one given below.
    client = socketio.Client(http_session=session, reconnection=False, websocket_extra_options={
        "socket": bound_tls_socket(lab, source), "suppress_origin": True})

    @client.on(push.EVENT, namespace=push.NAMESPACE)
    def _changed(data):
        received.append((time.monotonic(), data))
        got.set()

    # Origin as a browser sends it: Socket.IO compares it with the forwarded host.
    client.connect(lab.base_url, namespaces=[push.NAMESPACE], wait_timeout=10,
                   headers={"Origin": lab.base_url})
    return client


def _notification_for(lab, username: str) -> int:
    with session_factory(lab.database_url)() as session:
        user = session.query(User).filter_by(username=username).one()
        item = notify(session, kind="norm_unattended", audience=Audience(user_ids=(user.id,)),
                      params={}, link="/supervisor/wallboard", now=dt.datetime.now(dt.timezone.utc))
        session.commit()
        return item.id


def test_an_event_from_one_worker_reaches_a_browser_on_the_other(lab, sources):
    sessions = [bound_session(lab, source) for source in sources]
    for session in sessions:
        assert log_in(lab, session, "other").status_code == 302
    received = [[], []]
    got = [threading.Event(), threading.Event()]
    clients = [_socket_client(lab, sessions[i], sources[i], received[i], got[i]) for i in (0, 1)]
    try:
        wait_until(lambda: all(c.transport() == "websocket" for c in clients), 10,
                   "both Socket.IO clients upgraded to WebSocket through nginx")
        for index, source in enumerate(sources):  # sticky: every request on its own worker
            served = set(upstream_of(lab, source, "/socket.io/"))
            assert served == {f"127.0.0.1:{lab.worker_ports[index]}"}, served
        notification_id = _notification_for(lab, "other")
        page = lab.base_url + "/notifications"
        token = csrf_token(sessions[0], page)
        started = time.monotonic()
        ack = sessions[0].post(f"{page}/{notification_id}/ack", timeout=10, headers={
            "X-CSRFToken": token, "Accept": "application/json", "Referer": page})
        assert ack.status_code == 200 and ack.json() == {"ok": True, "count": 0}
        ack_path = f"/notifications/{notification_id}/ack"
        assert upstream_of(lab, sources[0], ack_path) == [f"127.0.0.1:{lab.worker_ports[0]}"]
        assert got[1].wait(10), "the client on the other worker heard nothing"
        assert got[0].wait(5), "the client on the acknowledging worker heard nothing"
        delay_ms = (received[1][0][0] - started) * 1000
        _note(f"ack on worker {lab.worker_ports[0]} -> event on worker "
              f"{lab.worker_ports[1]}'s client: {delay_ms:.1f} ms after the POST began")
    finally:
        for client in clients:
            client.disconnect()
        for session in sessions:
            session.close()


def test_a_forwarded_for_from_the_client_is_not_believed(lab, sources):
    redis = lab.redis.client()
    try:
        with bound_session(lab, sources[1]) as session:
            response = log_in(lab, session, "agent", password="wrong password",
                              headers={"X-Forwarded-For": SPOOFED})
        assert response.status_code == 401
        keys = {key.decode() for key in redis.scan_iter("hotline:console:login-fail:addr:*")}
        assert keys == {f"hotline:console:login-fail:addr:{sources[1]}"}, keys
    finally:
        redis.close()


def _median_ms(session: requests.Session, url: str, rounds: int = 60) -> float:
    session.get(url, timeout=5).raise_for_status()  # connection and TLS set up once
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        session.get(url, timeout=5).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def test_a_request_through_nginx_costs_little_over_direct(lab, sources):
    with bound_session(lab, sources[0]) as through, requests.Session() as direct:
        via_nginx = _median_ms(through, lab.base_url + "/healthz")
        straight = _median_ms(direct, lab.worker_url(0) + "/healthz")
    _note(f"/healthz median of 60, keep-alive: through nginx (TLS) {via_nginx:.2f} ms, "
          f"direct to the worker {straight:.2f} ms")
    assert via_nginx < straight + 25, (via_nginx, straight)


def _note(line: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS / "figures.txt").open("a", encoding="utf-8") as figures:
        figures.write(f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} {line}\n")
    print(line)
