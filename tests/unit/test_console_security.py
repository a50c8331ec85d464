"""Issue 11 (web): households only from the agent's own call, recordings audited however
Range is spelt, work orders changed by their owner or a supervisor, cookies Secure behind
TLS, a log-in back-off per user and per address, equal work for unknown users, /vendor/
paths normalised, and form fields bounded by their columns (SQLite and PostgreSQL)."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from agent_console import auth, forms
from workflow import orders as service
from workflow.errors import NotPermitted
from agent_console.live import AgentLiveStore, channel_of_interface
from agent_console.ratelimit import USERNAME_BACK_OFF, LoginLimiter
from models.base import utcnow
from models.calls import Call
from models.console import AccessAuditEntry, User, WorkOrder, WorkOrderEvent
from models.session import session_factory as make_session_factory
from models.supervision import AuditLog
from tests.support.console_client import PASSWORD, csrf_token_from, log_in

OFFICE_ZONE = ZoneInfo("Asia/Shanghai")  # the default office_timezone

CALLID = "1763900000.777"
TOKEN_RE = re.compile(r'id="token" name="token" type="hidden" value="([^"]+)"')


def put_part(console_redis, key_interface="PJSIP/8001", part="call", **fields):
    values = dict(callid=CALLID, interface=key_interface, caller_number="13800138000",
                  ringing_at=time.time() - 30, pop={"unknown": True, "candidates": []})
    AgentLiveStore(console_redis).put(key_interface, **{part: values | fields})


@pytest.fixture
def households(console_sessions):
    from tests.support.demo import demo_data

    with console_sessions() as session:
        demo_data(session, 2)
        session.commit()


def audit_entries(console_sessions) -> int:
    with console_sessions() as session:
        return session.scalar(select(func.count(AccessAuditEntry.id)))


# --- a household is opened only from the agent's own call -----------------------------

def test_order_form_with_a_household_but_no_call_is_refused(agent_client, supervisor_client,
                                                           households, console_sessions):
    from households.screen_pop import build_screen_pop
    from tests.support.demo import household_terms

    with console_sessions() as session:
        owner = build_screen_pop(session, 1, "", terms=household_terms())["people"][0]["name"]
    for client in (agent_client, supervisor_client):
        response = client.get("/work-orders/new?household_id=1")
        assert response.status_code == 403
        assert owner not in response.get_data(as_text=True)
    assert audit_entries(console_sessions) == 0


def test_order_posted_with_a_household_but_no_call_is_refused(agent_client, console_sessions):
    page = agent_client.get("/work-orders/new").get_data(as_text=True)
    form = {"csrf_token": csrf_token_from(agent_client, "/work-orders/new"),
            "token": TOKEN_RE.search(page).group(1), "kind": "enquiry", "category": "other",
            "description": "asks about the lift", "household_id": "1"}
    response = agent_client.post("/work-orders/new", data=form)
    assert response.status_code == 400
    assert "A household can be linked only from a call." in response.get_data(as_text=True)
    with console_sessions() as session:
        assert session.scalar(select(func.count(WorkOrder.id))) == 0


@pytest.mark.parametrize("fields", [
    {"interface": "PJSIP/8002"},                          # the entry names another phone
    {"agent_channel": "PJSIP/8002-0000002a"},             # answered on another phone
    {"agent_channel": "PJSIP/80011-0000002a"},            # a longer extension is not ours
])
def test_live_entry_not_on_the_agents_own_channel_opens_nothing(agent_client, console_redis,
                                                                households, console_sessions,
                                                                fields):
    put_part(console_redis, **fields)
    assert agent_client.get(f"/api/households/1/pop?callid={CALLID}").status_code == 404
    assert agent_client.get(f"/work-orders/new?callid={CALLID}").status_code == 404
    assert audit_entries(console_sessions) == 0


def test_live_entry_on_the_agents_own_channel_opens_the_household(agent_client, console_redis,
                                                                  households):
    put_part(console_redis, agent_channel="PJSIP/8001-0000002a")
    assert agent_client.get(f"/api/households/1/pop?callid={CALLID}").status_code == 200


def test_channels_of_interfaces():
    assert channel_of_interface("PJSIP/8001-0000002a", "PJSIP/8001")
    assert channel_of_interface("Local/8001@agents-00000002;1", "Local/8001@agents/n")
    assert not channel_of_interface("PJSIP/80012-0000002a", "PJSIP/8001")
    assert not channel_of_interface("Local/8002@agents-00000002;1", "Local/8001@agents/n")


# --- recordings: every opening audited ---------------------------------------------------

@pytest.fixture
def recording(console_settings, console_sessions, tmp_path, agent):
    folder = tmp_path / "monitor"
    folder.mkdir()
    (folder / "call-r1.wav").write_bytes(bytes(range(256)) * 40)
    now = dt.datetime.now(dt.timezone.utc)
    with console_sessions.begin() as session:
        session.add(Call(callid="r1", agent_interface="PJSIP/8001", recording_path="call-r1.wav",
                         entered_queue_at=now, answered_at=now, outcome="answered",
                         wait_s=3, talk_s=60))
    return folder


@pytest.fixture
def recording_client(app, recording, agent):
    app.extensions["hotline_settings"] = dataclasses.replace(
        app.extensions["hotline_settings"], recordings_dir=recording)
    client = app.test_client()
    assert log_in(client, agent.username).status_code == 302
    return client


def recording_audits(console_sessions) -> int:
    with console_sessions() as session:
        return session.scalar(select(func.count(AuditLog.id)))


@pytest.mark.parametrize("spelling", [
    "bytes=0-", "bytes=00-", "BYTES=0-", "bytes= 0-", " bytes=0-", "bytes=0-0", "bytes=-99999",
    "bytes=0-99, 100-", "bytes=5-,0-", "bytes=abc", "bytes=1-",
])
def test_first_request_of_a_playback_is_audited_however_range_is_spelt(
        recording_client, console_sessions, spelling):
    response = recording_client.get("/supervisor/recordings/r1", headers={"Range": spelling})
    assert response.status_code in (200, 206, 416)  # werkzeug refuses some ranges
    assert recording_audits(console_sessions) == 1


def test_seeking_within_an_opened_playback_is_not_audited_again(recording_client,
                                                                console_sessions):
    recording_client.get("/supervisor/recordings/r1", headers={"Range": "bytes=0-"})
    part = recording_client.get("/supervisor/recordings/r1", headers={"Range": "bytes=500-"})
    assert part.status_code == 206
    assert recording_audits(console_sessions) == 1
    recording_client.get("/supervisor/recordings/r1", headers={"Range": "bytes=00-"})
    assert recording_audits(console_sessions) == 2  # back to the start: a new opening


# --- work orders: the owner or a supervisor ---------------------------------------------

def alices_order(console_sessions) -> int:
    with console_sessions() as session:
        alice = session.scalar(select(User).where(User.username == "alice"))
        order, _ = service.create_order(session, alice, service.OrderInput(
            kind="repair", category="leak", description="ceiling drips"), "tok-a", utcnow(), office_zone=OFFICE_ZONE)
        return order.id


def change(client, order_id: int, to_status="dispatched"):
    token = csrf_token_from(client, f"/work-orders/{order_id}")
    return client.post(f"/work-orders/{order_id}/status", data={
        "csrf_token": token, "to_status": to_status, "department": "engineering"})


def order_state(console_sessions, order_id: int) -> tuple[str, int]:
    with console_sessions() as session:
        events = session.scalar(select(func.count(WorkOrderEvent.id))
                                .where(WorkOrderEvent.work_order_id == order_id))
        return session.get(WorkOrder, order_id).status, events


def test_another_agent_cannot_change_the_order(agent_client, other_agent_client,
                                               supervisor_client, console_sessions):
    order_id = alices_order(console_sessions)
    refused = change(other_agent_client, order_id)
    assert refused.status_code == 403
    assert "Only the agent who registered" in refused.get_data(as_text=True)
    assert order_state(console_sessions, order_id) == ("new", 1)
    assert change(agent_client, order_id).status_code == 302
    assert change(supervisor_client, order_id, "in_progress").status_code == 302
    assert order_state(console_sessions, order_id) == ("in_progress", 3)


def test_the_service_refuses_a_non_owner_too(console_sessions, agent, other_agent):
    order_id = alices_order(console_sessions)
    with console_sessions() as session:
        bob = session.get(User, other_agent.id)
        with pytest.raises(NotPermitted):
            service.change_status(session, session.get(WorkOrder, order_id), "dispatched",
                                  bob, utcnow(), department="engineering")
    assert order_state(console_sessions, order_id) == ("new", 1)


# --- cookies Secure behind TLS ----------------------------------------------------------

def session_cookie(response) -> str:
    return next(value for key, value in response.headers.items()
                if key == "Set-Cookie" and value.startswith("session="))


def log_in_over(client, username, base_url="http://localhost", headers=None):
    page = client.get("/login", base_url=base_url, headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": token}, base_url=base_url, headers=headers)


def test_cookie_is_secure_when_the_browser_came_over_tls(app, agent):
    plain = log_in_over(app.test_client(), agent.username)
    assert "Secure" not in session_cookie(plain)
    # Over https Flask-WTF also wants a same-origin Referer, as browsers send.
    direct_tls = log_in_over(app.test_client(), agent.username,
                             base_url="https://console.test",
                             headers={"Referer": "https://console.test/login"})
    assert "Secure" in session_cookie(direct_tls)
    # No proxy is trusted by default: a client's own X-Forwarded-Proto changes nothing.
    forged = log_in_over(app.test_client(), agent.username,
                         headers={"X-Forwarded-Proto": "https"})
    assert "Secure" not in session_cookie(forged)


def test_cookie_is_secure_behind_one_trusted_tls_proxy(console_settings, agent):
    from agent_console import create_app

    app = create_app(dataclasses.replace(console_settings, trusted_proxy_hops=1), testing=True)
    proxied = log_in_over(app.test_client(), agent.username,
                          headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.9",
                                   "Referer": "https://localhost/login"})
    assert proxied.status_code == 302
    assert "Secure" in session_cookie(proxied)


# --- log-in back-off per user and per address; equal work for unknown users --------------

class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app):
    fake = Clock()
    app.extensions["hotline_clock"] = fake
    return fake


def attempt(app, username, password, address="127.0.0.2"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return log_in(client, username, password).status_code


def test_back_off_doubles_and_is_never_a_lock(console_redis):
    clock = Clock()
    limiter = LoginLimiter(console_redis, clock=clock)
    for _ in range(5):
        assert limiter.wait_s("sam", "127.0.0.2") == 0
        limiter.failed("sam", "127.0.0.2")
    waits = []
    for _ in range(8):
        waits.append(limiter.wait_s("sam", "127.0.0.2"))
        clock.now += waits[-1]
        limiter.failed("sam", "127.0.0.2")
    assert waits == [2, 4, 8, 16, 32, 60, 60, 60]  # capped: the name is never locked
    assert USERNAME_BACK_OFF.delay_s(10_000) == USERNAME_BACK_OFF.max_delay_s


def test_anyone_can_only_make_a_supervisor_wait_a_minute(app, supervisor, clock):
    for _ in range(30):  # a stranger hammering the supervisor's name
        attempt(app, "sam", "guess", address="127.0.0.2")
        clock.now += 1
    assert attempt(app, "sam", PASSWORD, address="127.0.0.3") == 429
    clock.now += USERNAME_BACK_OFF.max_delay_s
    assert attempt(app, "sam", PASSWORD, address="127.0.0.3") == 302


def test_a_name_guessed_from_many_addresses_slows_down(app, agent, clock):
    for number in range(5):
        assert attempt(app, "alice", "guess", address=f"127.0.0.{10 + number}") == 401
    assert attempt(app, "alice", "guess", address="127.0.0.20") == 429
    clock.now += 2
    assert attempt(app, "alice", PASSWORD, address="127.0.0.21") == 302


def test_one_address_guessing_many_names_slows_down(app, clock):
    for number in range(20):
        assert attempt(app, f"nobody{number}", "guess") == 401
    assert attempt(app, "nobody-else", "guess") == 429


def test_refusal_says_how_long_to_wait(app, agent, clock):
    for _ in range(5):
        attempt(app, "alice", "guess")
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.2"
    response = log_in(client, "alice", PASSWORD)
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    assert "请等待 2 秒后再试" in response.get_data(as_text=True)


@pytest.fixture
def hash_checks(monkeypatch):
    checked = []
    real = auth.check_password_hash

    def recording(stored, password):
        checked.append(stored)
        return real(stored, password)
    monkeypatch.setattr(auth, "check_password_hash", recording)
    return checked


def test_unknown_and_disabled_users_cost_one_hash_check_like_a_wrong_password(
        app, make_user, console_sessions, hash_checks, clock):
    user = make_user("dora", "agent")
    with console_sessions() as session:
        stored = session.get(User, user.id).password_hash
        disabled = User(username="ex", role="agent", password_hash=stored, active=False)
        session.add(disabled)
        session.commit()
    assert attempt(app, "dora", "wrong password") == 401
    assert attempt(app, "no-such-user", "wrong password") == 401
    assert attempt(app, "ex", PASSWORD) == 401
    assert hash_checks == [stored, auth.DUMMY_PASSWORD_HASH, auth.DUMMY_PASSWORD_HASH]
    # the same method and cost as a real account's hash
    assert auth.DUMMY_PASSWORD_HASH.split("$")[0] == stored.split("$")[0]


# --- /vendor/ ---------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/vendor/socket.io-client/dist/../package.json",
    "/vendor/socket.io-client/dist/%2e%2e/package.json",
    "/vendor/socket.io-client/dist/..%2fpackage.json",
    "/vendor/socket.io-client/dist/./../../chart.js/package.json",
    "/vendor/socket.io-client/dist/..\\package.json",
])
def test_vendor_paths_are_normalised_before_the_prefix_check(agent_client, path):
    assert agent_client.get(path).status_code == 404


def test_vendor_bundles_are_still_served(agent_client):
    response = agent_client.get("/vendor/socket.io-client/dist/./socket.io.js")
    assert response.status_code == 200
    response.close()


# --- form fields bounded by their columns ------------------------------------------------

BOUNDED = [(forms.WorkOrderForm, name, getattr(WorkOrder, name)) for name in
           ("address", "contact_name", "contact_phone", "preferred_visit", "callid")]
BOUNDED += [(forms.WorkOrderForm, "token", WorkOrder.idempotency_token),
            (forms.LoginForm, "username", User.username),
            (forms.StatusForm, "note", WorkOrderEvent.note)]


@pytest.mark.parametrize("form_class, field, column", BOUNDED)
def test_form_limits_are_the_column_lengths(app, form_class, field, column):
    with app.test_request_context():
        validators = getattr(form_class(meta={"csrf": False}), field).validators
    limits = [v.max for v in validators if hasattr(v, "max") and hasattr(v, "min")]
    assert limits == [column.property.columns[0].type.length]


@pytest.fixture
def db_app(db_url, console_settings):
    """The console over the db_url database (SQLite, then PostgreSQL) with one agent."""
    from agent_console import create_app

    with make_session_factory(db_url)() as session:
        session.add(User(username="alice", role="agent", phone_interface="PJSIP/8001",
                         display_name="Alice", language="en",
                         password_hash=generate_password_hash(PASSWORD)))
        session.commit()
    return create_app(dataclasses.replace(console_settings, database_url=db_url), testing=True)


def db_orders(db_url) -> list[WorkOrder]:
    with make_session_factory(db_url)() as session:
        return session.scalars(select(WorkOrder)).all()


def test_over_long_field_is_refused_next_to_it_and_the_input_is_kept(db_app, db_url,
                                                                     console_redis):
    client = db_app.test_client()
    assert log_in(client, "alice").status_code == 302
    put_part(console_redis)
    url = f"/work-orders/new?callid={CALLID}"
    page = client.get(url).get_data(as_text=True)
    limit = WorkOrder.address.property.columns[0].type.length
    form = {"csrf_token": csrf_token_from(client, url), "token": TOKEN_RE.search(page).group(1),
            "callid": CALLID, "kind": "repair", "category": "leak",
            "description": "卫生间天花板漏水，楼上 1-1-201", "contact_name": "王芳",
            "contact_phone": "13800138000", "preferred_visit": "明天上午",
            "address": "楼" * (limit + 1), "complaint_tier": ""}
    refused = client.post("/work-orders/new", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    error = re.search(r'name="address"[^>]*>\s*<small class="field-error" id="address-error"'
                      r'[^>]*>([^<]+)</small>', html)
    assert error and error.group(1) == f"At most {limit} characters (this has {limit + 1})."
    for kept in ("卫生间天花板漏水，楼上 1-1-201", "王芳", "明天上午", "楼" * (limit + 1)):
        assert kept in html
    assert db_orders(db_url) == []
    # Exactly the column's length is stored whole on either database.
    form["address"] = "楼" * limit
    assert client.post("/work-orders/new", data=form).status_code == 302
    (order,) = db_orders(db_url)
    assert order.address == "楼" * limit and order.contact_name == "王芳"


def test_column_length_refuses_an_unbounded_column():
    with pytest.raises(TypeError):
        forms.column_length(WorkOrder.description)
