"""Console commands go to the bridge of the agent's Asterisk host (issue 19): the
plan of HOTLINE_AGENT_HOSTS, the live boards, the bridges' running keys, and real
CommandExecutors of two hosts on the test Redis, their AMI recorders."""
from __future__ import annotations

import json
import time

import pytest

from agent_console.command_routes import (BRIDGE_NOT_RUNNING, SPY_ACROSS_HOSTS, agent_of,
                                          route_for)
from agent_console.commands import run_command
from call_queue.host_boards import HOSTS_KEY, board_key
from hotline.errors import SettingsError
from telephony import bridge_presence
from telephony.host_plan import HostPlan, HostPlanError
from tests.support.console_client import csrf_token_from
from tests.support.recording_ami import bridge_commands
from tests.support.settings import make_settings

PLAN = "b=8026-8050, c=8051-8075"


def _board_with(interface: str, present: bool = True) -> str:
    agent = {"present": present, "state": "idle", "state_since": 0.0, "availability": "ready"}
    return json.dumps({"current": True, "note": "", "day": "2026-12-04", "queues": {},
                       "agents": {interface: agent}, "spies": {}, "updated_at": 0.0})


def test_the_plan_puts_each_extension_on_one_host():
    plan = HostPlan.parse(PLAN, "main")
    assert plan.hosts == ("main", "b", "c")
    assert [plan.host_of(phone) for phone in (
        "PJSIP/8001", "PJSIP/8026", "PJSIP/8050", "PJSIP/webrtc-8046", "PJSIP/8051",
        "Local/8086@lab-phones", "PJSIP/trunk")] == ["main", "b", "b", "b", "c", "main", "main"]
    assert HostPlan.parse("", "main").host_of("PJSIP/8026") == "main"


@pytest.mark.parametrize("text, words", [
    ("b:8026-8050", "HOST=FIRST-LAST"), ("b=8050-8026", "ends before it starts"),
    ("b=8026-8050,c=8040-8060", "overlaps b=8026-8050"), ("b]x=1-2", "HOST=FIRST-LAST"),
    ("b=80a6-8050", "HOST=FIRST-LAST")])
def test_a_plan_that_cannot_be_read_is_refused_naming_the_part(text, words):
    with pytest.raises(HostPlanError, match=words):
        HostPlan.parse(text, "main")


def test_the_settings_refuse_a_bad_plan_at_start(monkeypatch):
    monkeypatch.setenv("HOTLINE_AGENT_HOSTS", "b=8026-8050,c=8040-8060")
    with pytest.raises(SettingsError, match="HOTLINE_AGENT_HOSTS.*overlaps"):
        make_settings()
    monkeypatch.setenv("HOTLINE_AGENT_HOSTS", PLAN)
    assert make_settings().agent_hosts == PLAN


@pytest.mark.parametrize("name, arguments, agent", [
    ("queue_pause", {"interface": "PJSIP/8026", "paused": True}, "PJSIP/8026"),
    ("queue_add", {"interface": "PJSIP/webrtc-8046"}, "PJSIP/webrtc-8046"),
    ("originate_call", {"agent_interface": "PJSIP/8030", "number": "13800138000"}, "PJSIP/8030"),
    ("hold", {"channel": "PJSIP/8026-0000001a"}, "PJSIP/8026"),
    ("hangup", {"channel": "PJSIP/webrtc-8046-000000ff"}, "PJSIP/webrtc-8046"),
    ("attended_transfer", {"channel": "Local/8086@lab-phones-0000002b;1", "exten": "8027"},
     "Local/8086@lab-phones"),
])
def test_each_command_names_the_agent_it_is_about(name, arguments, agent):
    assert agent_of(name, arguments) == agent


def test_a_live_board_wins_over_the_plan(console_redis):
    plan = HostPlan.parse(PLAN, "main")
    # The plan says b, but the phone is in c's queue now (a host's range was changed).
    console_redis.sadd(HOSTS_KEY, "b", "c")
    console_redis.set(board_key("c"), _board_with("PJSIP/8026"))
    console_redis.set(board_key("b"), _board_with("PJSIP/8026", present=False))
    route = route_for(plan, console_redis, "PJSIP/8026")
    assert (route.host, route.bridge, route.seen_on_board, route.running) == ("c", "c", True, False)
    console_redis.set(bridge_presence.alive_key("c"), "1", ex=5)
    assert route_for(plan, console_redis, "PJSIP/8026").running is True
    assert route_for(plan, console_redis, "PJSIP/8031").host == "b"  # on no board: the plan


def test_a_pause_reaches_only_the_bridge_of_the_agents_host(console_settings):
    settings = make_settings(**{**_fields(console_settings), "agent_hosts": PLAN})
    with bridge_commands(settings, bridge="main") as on_main, \
            bridge_commands(settings, bridge="b") as on_b:
        answer = run_command(settings, "queue_pause", interface="PJSIP/8026", paused=True,
                             reason="lunch", queue=None)
        assert answer["ok"] is True, answer
        assert [action["Interface"] for action in on_b.sent] == ["PJSIP/8026"]
        assert on_main.sent == []
        run_command(settings, "hold", channel="PJSIP/8001-0000000c")  # a main host's agent
        assert [action["Channel"] for action in on_main.sent] == ["PJSIP/8001-0000000c"]
        assert len(on_b.sent) == 1


def test_a_host_whose_bridge_is_not_running_is_refused_at_once(console_settings):
    settings = make_settings(**{**_fields(console_settings), "agent_hosts": PLAN})
    with bridge_commands(settings, bridge="main") as on_main:
        started = time.monotonic()
        answer = run_command(settings, "queue_pause", interface="PJSIP/8060", paused=True)
        took = time.monotonic() - started
    assert answer == {"ok": False, "message": BRIDGE_NOT_RUNNING, "host": "c"}
    assert took < 0.5 and on_main.sent == []


def test_a_stopped_bridge_is_gone_at_once_and_a_killed_one_after_its_key_lapses(console_settings):
    with bridge_commands(console_settings, bridge="b"):
        assert bridge_presence.running(_client(console_settings), ["b", "main"]) == {"b"}
    assert bridge_presence.running(_client(console_settings), ["b"]) == set()
    ttl = _client(console_settings)
    ttl.set(bridge_presence.alive_key("b"), "1", ex=bridge_presence.ALIVE_TTL_S)
    assert 0 < ttl.ttl(bridge_presence.alive_key("b")) <= bridge_presence.ALIVE_TTL_S


def test_the_refusal_is_worded_from_the_catalogue_chinese_first(app):
    from flask_babel import force_locale

    from agent_console.labels import catalogue_json

    with app.test_request_context():
        chinese = catalogue_json()["asterisk"]
        with force_locale("en"):
            english = catalogue_json()["asterisk"]
    assert "没有连接到控制台" in chinese[BRIDGE_NOT_RUNNING]
    assert "不在同一台电话服务器" in chinese[SPY_ACROSS_HOSTS]
    assert "not connected" in english[BRIDGE_NOT_RUNNING]
    assert "another telephone server" in english[SPY_ACROSS_HOSTS]


def test_a_supervisor_may_not_spy_across_hosts(console_settings, console_redis, make_user):
    from agent_console import create_app
    from tests.support.console_client import log_in

    settings = make_settings(**{**_fields(console_settings), "agent_hosts": PLAN})
    app = create_app(settings, testing=True)
    make_user("sam2", "supervisor", "PJSIP/8099")  # on the main host, by the plan
    console_redis.sadd(HOSTS_KEY, "b")
    talking = {"present": True, "state": "talking", "state_since": time.time(),
               "availability": "ready", "name": "Bo", "queues": ["hotline"],
               "paused_reason": "", "calls_today": 1, "ringing": None,
               "call": {"callid": "b-1.1", "agent_channel": "PJSIP/8026-00000001",
                        "caller_number": "13800138000", "caller_name": ""}}
    console_redis.set(board_key("b"), json.dumps({
        "current": True, "note": "", "day": "2026-12-04", "queues": {},
        "agents": {"PJSIP/8026": talking}, "spies": {}, "updated_at": time.time()}))
    client = app.test_client()
    assert log_in(client, "sam2").status_code == 302
    with bridge_commands(settings, bridge="b") as on_b:
        answer = client.post("/supervisor/spy", json={"interface": "PJSIP/8026", "mode": "listen"},
                             headers={"X-CSRFToken": csrf_token_from(client, "/supervisor/wallboard")})
    assert answer.status_code == 409 and answer.get_json()["message"] == SPY_ACROSS_HOSTS
    assert on_b.sent == []


def test_a_spy_on_a_host_whose_bridge_is_down_is_refused_at_once(console_settings, console_redis,
                                                                 make_user):
    from agent_console import create_app
    from tests.support.console_client import log_in

    settings = make_settings(**{**_fields(console_settings), "agent_hosts": PLAN})
    app = create_app(settings, testing=True)
    make_user("sam3", "supervisor", "PJSIP/8040")  # on host b, like the call
    console_redis.sadd(HOSTS_KEY, "b")
    console_redis.set(board_key("b"), json.dumps({
        "current": True, "note": "", "day": "2026-12-04", "queues": {}, "spies": {},
        "updated_at": time.time(), "agents": {"PJSIP/8026": {
            "present": True, "state": "talking", "state_since": time.time(),
            "availability": "ready", "name": "Bo", "queues": ["hotline"], "paused_reason": "",
            "calls_today": 1, "ringing": None, "call": {
                "callid": "b-1.1", "agent_channel": "PJSIP/8026-00000001",
                "caller_number": "13800138000", "caller_name": ""}}}}))
    client = app.test_client()
    assert log_in(client, "sam3").status_code == 302
    started = time.monotonic()
    answer = client.post("/supervisor/spy", json={"interface": "PJSIP/8026", "mode": "listen"},
                         headers={"X-CSRFToken": csrf_token_from(client, "/supervisor/wallboard")})
    assert answer.status_code == 409
    assert answer.get_json() == {"ok": False, "message": BRIDGE_NOT_RUNNING, "host": "b"}
    assert time.monotonic() - started < 1.0
    with bridge_commands(settings, bridge="b") as on_b:  # b's bridge up: the same host, sent
        answer = client.post("/supervisor/spy", json={"interface": "PJSIP/8026", "mode": "listen"},
                             headers={"X-CSRFToken": csrf_token_from(client, "/supervisor/wallboard")})
    assert answer.status_code == 200, answer.get_json()
    assert [(sent["Action"], sent["Channel"]) for sent in on_b.sent] == [("Originate", "PJSIP/8040")]


def _fields(settings) -> dict:
    return {"database_url": settings.database_url, "redis_url": settings.redis_url,
            "state_dir": settings.state_dir, "secret_key_file": settings.secret_key_file}


def _client(settings):
    import redis

    return redis.Redis.from_url(settings.redis_url)
