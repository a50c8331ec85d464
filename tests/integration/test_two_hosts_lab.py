"""Two Asterisk hosts behind Kamailio (issue 19, ../shared/scale-lab.md): the lab
on 127.0.0.1 and host b from the lab's root on 127.0.0.2 (systemname b, its
configuration from `hotline asterisk-config render`), Debian's Kamailio on
127.0.0.10 in front of both, one bridge per host writing one database.

SIPp residents (on 127.0.0.20) call through Kamailio and give up in the queue:
the calls alternate between the hosts, each host's queue_log has its own, and
each is stored once, with Uniqueids that cannot collide (b's carry "b-"), on its
host; the statistics' per-host breakdown and `stats verify --host` agree with each
host's own queue_log. Then
host b stops: Kamailio marks it down within seconds and the next calls all
reach the lab. Every address is in 127.0.0.0/8.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

import models
from agent_console.command_routes import BRIDGE_NOT_RUNNING
from agent_console.commands import run_command
from call_queue.stats import queue_log_check, report as stats
from models.calls import DEFAULT_HOST, Call
from models.session import make_engine
from telephony.bridge import Bridge
from telephony.queue_log import read_queue_log
from tests import labtools
from tests.labtools import wait_until
from tests.support.asterisk_host import host_commands, start_rendered_host
from tests.support.kamailio_proxy import start_proxy
from tests.support.lab_calls import RecordingSink

pytestmark = pytest.mark.lab

PROXY = "127.0.0.10"
HOST_B = "127.0.0.2"
SECRET = "two hosts test AMI secret"
AGENT_B = "PJSIP/8026"  # a phone of host b's range (its configuration: 8026-8028)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "two-hosts"


@pytest.fixture(scope="module")
def hosts(lab, tmp_path_factory):
    folder = tmp_path_factory.mktemp("two-hosts")
    # Without the office-hours AGI: it answers the caller before the queue (200 OK
    # where the SIPp residents wait for ring-back), and the test may run at night.
    host_b, _ = start_rendered_host(lab, folder / "b", "b", HOST_B, PROXY, SECRET,
                                    extensions="8026-8028", queue_every_call=True)
    proxy = start_proxy(f"{PROXY}:5060", ["127.0.0.1:5060", f"{HOST_B}:5060"], folder / "kamailio")
    try:
        wait_until(lambda: list(proxy.host_flags().values()) == ["AP", "AP"], 15,
                   f"both hosts answering Kamailio's pings ({proxy.log_path})")
        yield folder, host_b, proxy
    finally:
        proxy.stop()
        host_b.stop()


@pytest.fixture
def bridges(lab, hosts, tmp_path):
    """The lab's bridge and host b's, in-process, on one SQLite database."""
    folder, host_b, _ = hosts
    url = f"sqlite:///{tmp_path / 'calls.sqlite3'}"
    engine = make_engine(url)
    models.Base.metadata.create_all(engine)
    secret_file = tmp_path / "b-ami-secret"
    secret_file.write_text(SECRET)
    per_host = {
        DEFAULT_HOST: dataclasses.replace(lab.settings, database_url=url,
                                          state_dir=tmp_path / "lab", asterisk_host=DEFAULT_HOST),
        "b": dataclasses.replace(lab.settings, database_url=url, state_dir=tmp_path / "b",
                                 ami_host=HOST_B, ami_secret_file=secret_file,
                                 queue_log_path=host_b.queue_log, asterisk_host="b")}
    running = {}
    for host, settings in per_host.items():
        sink = RecordingSink()
        bridge = Bridge(settings, engine, sinks=[sink])
        bridge.start()
        labtools.wait_until(lambda: sink.count("bridge_resynced"), 10, "the bridge's first resync")
        running[host] = RunningBridge(bridge, sink)
    yield engine, running
    for one in running.values():
        one.bridge.stop()


@dataclasses.dataclass
class RunningBridge:
    bridge: Bridge
    sink: RecordingSink


def _callers(csv: Path, numbers: list[str], port: int) -> labtools.Sipp:
    csv.write_text("SEQUENTIAL\n" + "".join(f"{number};业主\n" for number in numbers))
    return labtools.Sipp("caller_abandon_uac.xml", [
        f"{PROXY}:5060", "-i", "127.0.0.20", "-p", str(port), "-s", "4000", "-inf", str(csv),
        "-m", str(len(numbers)), "-r", "2", "-l", str(len(numbers)), "-mp", str(port + 1000)],
        ARTIFACTS)


def _size(queue_log: Path) -> int:
    return queue_log.stat().st_size if queue_log.exists() else 0


def _entered(queue_log: Path, numbers: list[str], since: int = 0) -> list[str]:
    """Callids of ENTERQUEUE lines of these callers in one host's queue_log, written
    after byte `since` (the lab's queue_log keeps earlier runs' lines)."""
    if not queue_log.exists():
        return []
    with queue_log.open("rb") as log_file:
        log_file.seek(since)
        text = log_file.read().decode("utf-8", "replace")
    found = []
    for line in text.splitlines():
        fields = line.split("|")
        if len(fields) >= 7 and fields[4] == "ENTERQUEUE" and fields[6] in numbers:
            found.append(fields[1])
    return found


def _stored(engine, numbers: list[str]) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(select(Call.callid).where(Call.caller_number.in_(numbers))))


def _closed_hosts(engine, numbers: list[str]) -> dict[str, str]:
    """{callid: host} of these callers' calls once each is closed (its outcome known)."""
    with engine.connect() as connection:
        return dict(connection.execute(select(Call.callid, Call.host).where(
            Call.caller_number.in_(numbers), Call.outcome.is_not(None))).all())


def _assert_breakdown_matches_each_queue_log(engine, settings, logs: dict, started) -> None:
    """The statistics per host equal each host's queue_log, measure by measure."""
    Session = sessionmaker(engine)
    with Session() as session:
        period = stats.make_period(started, dt.datetime.now(dt.timezone.utc)
                                   + dt.timedelta(minutes=1), "day")
        report = stats.compute_stats(session, period, settings)
        by_host = {row["host"]: stats.flat_values(row) for row in report["by_host"]}
        assert set(by_host) == set(logs), report["by_host"]
        for host, (queue_log, callids) in logs.items():
            checked = queue_log_check.verify(session, settings, queue_log, host=host,
                                             callids=set(callids))
            assert checked["differences"] == [] and checked["calls"] == len(callids), checked
            assert checked["missing_in_database"] == checked["missing_in_queue_log"] == []
            whole = queue_log_check.recompute(queue_log_check.calls_in(
                read_queue_log(queue_log), callids=set(callids)), settings)
            # The callbacks' figures come from queue_log's CALLBACK lines against the stored
            # requests (verify() above compared them), not from the calls recomputed here.
            per_call = [m for m in queue_log_check.QUEUE_MEASURES if m in whole]
            assert {m for m in queue_log_check.QUEUE_MEASURES if m not in whole} == {
                "callbacks_offered", "callbacks_accepted", "callbacks_completed",
                "callbacks_failed"}
            for measure in per_call:
                expected = whole[measure]  # None: undefined for these calls (no answer yet)
                assert by_host[host][measure] == (
                    expected if expected is None else pytest.approx(expected, rel=1e-12)), \
                    (host, measure, by_host[host][measure], expected)


def _member_events(sink: RecordingSink, interface: str, since: float) -> list:
    return [event for at, event in sink.events if at >= since
            and event.name in ("member_paused", "member_status_changed")
            and getattr(event, "interface", "") == interface]


def test_a_console_pause_goes_to_the_agents_host_bridge_only(lab, hosts, bridges,
                                                             private_redis_server):
    """An agent of host b (PJSIP/8026, HOTLINE_AGENT_HOSTS b=8026-8050) logs in and
    pauses from the console: the commands go to b's bridge, which runs them on b's
    Asterisk; the lab's bridge gets none and its Asterisk reports nothing about the
    agent. With b's bridge stopped, the console refuses at once."""
    _, running = bridges
    console = dataclasses.replace(lab.settings, redis_url=private_redis_server.url,
                                  agent_hosts="b=8026-8050")
    key = lab.settings.command_key
    since = time.monotonic()
    with host_commands(running[DEFAULT_HOST].bridge, console.redis_url, DEFAULT_HOST,
                       lab.queue, key) as on_lab:
        with host_commands(running["b"].bridge, console.redis_url, "b", lab.queue,
                           key) as on_b:
            added = run_command(console, "queue_add", interface=AGENT_B, queue=lab.queue,
                                member_name="坐席 8026")
            paused = run_command(console, "queue_pause", interface=AGENT_B, paused=True,
                                 reason="lunch", queue=None)
            seen = wait_until(lambda: [event for event in _member_events(
                running["b"].sink, AGENT_B, since) if event.name == "member_paused"], 10,
                "host b's bridge sees the agent paused")
            removed = run_command(console, "queue_remove", interface=AGENT_B, queue=lab.queue)
        assert added["ok"] and paused["ok"] and removed["ok"], (added, paused, removed)
        assert [fields["Action"] for fields in on_b.sent] == ["QueueAdd", "QueuePause",
                                                              "QueueRemove"]
        assert seen[0].paused is True and seen[0].reason == "lunch"
        time.sleep(1.0)  # any event of the lab about the agent would have come by now
        assert on_lab.sent == [] and _member_events(running[DEFAULT_HOST].sink, AGENT_B,
                                                    since) == []
        started = time.monotonic()
        refused = run_command(console, "queue_pause", interface=AGENT_B, paused=True)
        assert refused == {"ok": False, "message": BRIDGE_NOT_RUNNING, "host": "b"}
        assert time.monotonic() - started < 0.5 and on_lab.sent == []


def test_calls_alternate_between_hosts_and_fail_over(lab, hosts, bridges, members):
    _, host_b, proxy = hosts
    bridges, _ = bridges
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lab_log = lab.settings.queue_log_path
    since = _size(lab_log)
    started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
    first = [f"1390010{index:04d}" for index in range(4)]
    callers = _callers(ARTIFACTS / "first.csv", first, 5310)
    assert callers.wait(60) == 0, callers.log_path.read_text(errors="replace")[-2000:]
    on_lab = wait_until(lambda: _entered(lab_log, first, since) if len(_entered(
        lab_log, first, since)) + len(_entered(host_b.queue_log, first)) == 4 else None,
        15, "4 ENTERQUEUE")
    on_b = _entered(host_b.queue_log, first)
    assert len(on_lab) == 2 and len(on_b) == 2, (on_lab, on_b)
    assert all(callid.startswith("b-") for callid in on_b)
    assert not any(callid.startswith("b-") for callid in on_lab)
    wait_until(lambda: sorted(_stored(bridges, first)) == sorted(on_lab + on_b), 20,
               "every call of both hosts stored once")
    hosts = wait_until(lambda: _closed_hosts(bridges, first) if len(
        _closed_hosts(bridges, first)) == 4 else None, 20, "every call closed")
    assert hosts == {**{callid: DEFAULT_HOST for callid in on_lab},
                     **{callid: "b" for callid in on_b}}
    _assert_breakdown_matches_each_queue_log(
        bridges, lab.settings, {DEFAULT_HOST: (lab_log, on_lab), "b": (host_b.queue_log, on_b)},
        started)

    stopped_at = time.monotonic()
    host_b.stop()
    wait_until(lambda: proxy.host_flags().get(f"sip:{HOST_B}:5060", "").startswith("I"), 15,
               "Kamailio marks host b down")
    marked_down_s = time.monotonic() - stopped_at
    (ARTIFACTS / "failover.txt").write_text(f"host b marked down {marked_down_s:.1f} s after it stopped\n")
    after = [f"1390011{index:04d}" for index in range(3)]
    callers = _callers(ARTIFACTS / "after.csv", after, 5330)
    assert callers.wait(60) == 0, callers.log_path.read_text(errors="replace")[-2000:]
    wait_until(lambda: len(_entered(lab_log, after, since)) == 3, 15, "every later call on the lab")
    wait_until(lambda: len(_stored(bridges, after)) == 3, 20, "the later calls stored")
    assert len(_stored(bridges, first + after)) == 7  # none lost, none doubled
