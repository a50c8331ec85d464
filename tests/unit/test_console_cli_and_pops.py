"""`hotline users add`, and the pop cache (lookup started when the call queues)."""
from __future__ import annotations

import threading
import time

from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.security import check_password_hash

from call_queue.live import LiveStateSink
from households.terms import HouseholdTerms
from screen_pop.households import HouseholdPops
from screen_pop.pop_cache import PopCache
from telephony.sink_thread import ThreadedSink
from models.console import User
from telephony import events


def run_users_add(console_settings, monkeypatch, *args, password="a long password\n"):
    from agent_console import cli

    monkeypatch.setattr(cli, "get_settings", lambda: console_settings)
    return CliRunner().invoke(cli.users_group, ["add", *args, "--password-stdin"],
                              input=password)


def test_users_add_hashes_the_password_and_binds_the_phone(console_settings, console_sessions,
                                                           monkeypatch):
    result = run_users_add(console_settings, monkeypatch, "carol", "--role", "agent",
                           "--phone", "PJSIP/8003")
    assert result.exit_code == 0, result.output
    with console_sessions() as session:
        user = session.scalar(select(User).where(User.username == "carol"))
    assert user.phone_interface == "PJSIP/8003" and user.role == "agent"
    assert user.password_hash != "a long password"
    assert check_password_hash(user.password_hash, "a long password")


def test_users_add_refuses_bad_input_and_duplicates(console_settings, monkeypatch):
    short = run_users_add(console_settings, monkeypatch, "dave", password="short\n")
    assert short.exit_code != 0 and "at least 8" in str(short.exception)
    assert run_users_add(console_settings, monkeypatch, "erin", "--phone", "8004").exit_code != 0
    assert run_users_add(console_settings, monkeypatch, "fay", "--phone", "PJSIP/8005").exit_code == 0
    again = run_users_add(console_settings, monkeypatch, "gus", "--phone", "PJSIP/8005")
    assert again.exit_code != 0 and "bound to another user" in str(again.exception)
    twice = run_users_add(console_settings, monkeypatch, "fay", "--phone", "PJSIP/8005")
    assert twice.exit_code != 0 and "exists already" in str(twice.exception)
    tolerated = run_users_add(console_settings, monkeypatch, "fay", "--exist-ok")
    assert tolerated.exit_code == 0 and "left as it is" in tolerated.output


def test_pop_cache_builds_once_per_call_and_forgets():
    built = []
    release = threading.Event()

    def build(number, callid):
        release.wait(5)
        built.append(callid)
        return {"callid": callid, "number": number}

    cache = PopCache(build)
    cache.prepare("c1", "138")
    release.set()
    assert cache.get("c1", "138", 5) == {"callid": "c1", "number": "138"}
    assert cache.get("c1", "138", 5)["callid"] == "c1"  # a second ring reuses it
    assert built == ["c1"]
    cache.forget("c1")
    cache.get("c1", "138", 5)
    assert built == ["c1", "c1"]
    cache.close()


class RecordingEmitter:
    def __init__(self):
        self.emitted = []

    def emit(self, name, message, namespace, room):
        self.emitted.append((name, message, namespace, room))


def test_sink_starts_the_lookup_when_the_call_queues(console_settings, console_redis):
    lookups = []
    emitter = RecordingEmitter()
    pops = HouseholdPops(console_settings.database_url,
                         HouseholdTerms.from_settings(console_settings), build=lambda number, callid: (
        lookups.append((time.time(), callid)) or {"unknown": True, "candidates": []}))
    sink = ThreadedSink(LiveStateSink(console_settings, emitter=emitter, emit=lambda b: None,
                                      redis_client=console_redis, pops=pops,
                                      spy_recorder=False, span_recorder=False))
    queued_at = time.time()
    sink.handle(events.CallQueued(at=queued_at, callid="q1", linkedid="q1", queue="hotline",
                                  channel="PJSIP/trunk-1", caller_number="138",
                                  caller_name="", dialled_number="4000", position=1))
    deadline = time.monotonic() + 5
    while not lookups and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [callid for _, callid in lookups] == ["q1"]  # before any ring
    sink.handle(events.AgentRinging(at=time.time(), callid="q1", queue="hotline",
                                    interface="PJSIP/8001", member_name="A",
                                    agent_channel="PJSIP/8001-1", caller_number="138",
                                    caller_name=""))
    assert sink.drain()
    assert len(lookups) == 1
    [(name, message, namespace, room)] = emitter.emitted
    assert (name, namespace, room) == ("screen_pop", "/agent", "agent:PJSIP/8001")
    assert message["received_at"] <= message["sent_at"]
    sink.close()


def test_sink_survives_a_broken_emitter(console_settings, console_redis):
    class Broken:
        def emit(self, *args, **kwargs):
            raise ConnectionError("redis gone")

    sink = ThreadedSink(LiveStateSink(console_settings, emitter=Broken(),
                                      redis_client=console_redis, spy_recorder=False,
                                      span_recorder=False))
    for _ in range(2):
        sink.handle(events.MemberPaused(at=1.0, queue="hotline", interface="PJSIP/8001",
                                        member_name="A", paused=True, reason="lunch"))
        assert sink.drain(), "the worker died"
    sink.close()
