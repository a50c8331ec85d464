"""Load test against the lab: SIPp callers -> Asterisk queue -> `hotline bridge` -> console pops.

Everything runs for real: the lab's Asterisk, `hotline bridge` and `hotline console`
as child processes (a private Redis and database, so no other console sees the
pops), one SIPp UAS answering for all the agent phones (the lab is reloaded for
the run with every 80NN's contact on one port, and put back after), agents logged
in as PJSIP/80NN with MemberName agentNN, each with a python-socketio client on the console's /agent namespace, and two SIPp callers
at the set rate: impatient ones (give up after a few seconds) and patient ones.

It prints: calls offered, answered and abandoned per Asterisk's queue_log and per
the project's records (they must agree exactly, checked call by call with
`hotline verify-queue-log`'s comparison); screen-pop delivery (each AgentCalled
must give exactly one pop, in that agent's client only); pop latency from
Asterisk's event timestamp to the client; CPU and peak memory of the bridge
(and, for context, the console, Asterisk and the SIPp phones).

Run it alone on the lab (it adds 50 queue members and pauses the others):
    flock /tmp/hotline-lab.lock .venv/bin/python -m bench.load             # 60 s
    flock /tmp/hotline-lab.lock .venv/bin/python -m bench.load --rate 10 \\
        --concurrency 100 --duration 300                                   # the target
"""
from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis

from bench import load_lab as parts
from bench import load_mix
from call_queue.live import BOARD_KEY
from hotline import lab as lab_module
from hotline.settings import load_settings
from households.terms import HouseholdTerms
from models.calls import Call
from models.session import make_engine
from telephony.ami.client import AmiConnection
from telephony.queue_log import compare_calls, read_queue_log, summarize_calls

FOLLOWED = ("AgentCalled", "QueueCallerJoin", "QueueCallerAbandon", "AgentComplete", "Hangup")


class AsteriskWatch:
    """Our own AMI session: queue members, and what Asterisk says happened (the truth)."""

    def __init__(self, settings, interfaces: set[str]):
        self.interfaces = interfaces
        self.rings: dict[tuple[str, str], int] = collections.Counter()
        # (callid, interface) -> when this session received the first AgentCalled,
        # and Asterisk's timestamp of it: the baseline for the bridge's pop latency.
        self.ring_arrivals: dict[tuple[str, str], tuple[float, float]] = {}
        self.completed: set[str] = set()
        self.in_progress: set[str] = set()
        self.max_in_progress = 0
        self.samples: list[int] = []
        self._lock = threading.Lock()
        self.ami = AmiConnection(settings.ami_host, settings.ami_port, settings.ami_user,
                                 settings.ami_secret, on_event=self._on_event,
                                 events=FOLLOWED)
        self.ami.start()
        if not self.ami.wait_connected(10):
            raise SystemExit("bench: no AMI session to the lab")

    def _on_event(self, message) -> None:
        name, callid = message.get("Event"), message.get("Uniqueid", "")
        with self._lock:
            if name == "AgentCalled" and message.get("Interface") in self.interfaces:
                key = (callid, message["Interface"])
                self.rings[key] += 1
                self.ring_arrivals.setdefault(key, (time.time(),
                                                    float(message.get("Timestamp") or 0)))
            elif name == "AgentComplete":
                self.completed.add(callid)
            elif name == "QueueCallerJoin":
                self.in_progress.add(callid)
                self.max_in_progress = max(self.max_in_progress, len(self.in_progress))
            elif name in ("QueueCallerAbandon", "AgentComplete", "Hangup"):
                self.in_progress.discard(callid)

    def sample(self) -> None:
        with self._lock:
            self.samples.append(len(self.in_progress))

    def act(self, action: str, **fields):
        return self.ami.send_action({"Action": action, **fields}, timeout=10)


def join_agents(watch: AsteriskWatch, queue: str, agents: int) -> list[str]:
    """Pause foreign members (restored at the end), add ours; returns those paused."""
    paused = []
    for member in watch.act("QueueStatus", Queue=queue).events:
        location = member.get("Location") or member.get("Interface")
        if (member.get("Event") == "QueueMember" and member.get("Paused") == "0"
                and location not in watch.interfaces):
            watch.act("QueuePause", Queue=queue, Interface=location, Paused="true",
                      Reason="bench/load")
            paused.append(location)
    for index in range(1, agents + 1):
        interface = f"PJSIP/80{index:02d}"
        watch.act("QueueRemove", Queue=queue, Interface=interface)  # a crashed run's leftover
        reply = watch.act("QueueAdd", Queue=queue, Interface=interface,
                          MemberName=f"agent{index:02d}", Penalty="0", Paused="false")
        if not reply.ok:
            raise SystemExit(f"bench: QueueAdd {interface} refused: {reply.text}")
    return paused


def hang_up_leftovers(watch: AsteriskWatch, numbers: set[str]) -> int:
    """End the calls Asterisk still has from our callers (a SIPp caller that gave up
    on a call Asterisk kept): the run ends with every call ended on both sides."""
    channels = watch.act("CoreShowChannels").events
    names = [channel["Channel"] for channel in channels
             if channel.get("Event") == "CoreShowChannel"
             and channel.get("CallerIDNum") in numbers]
    for name in names:
        watch.act("Hangup", Channel=name)
    return len(names)


def leave_agents(watch: AsteriskWatch, queue: str, paused: list[str],
                 numbers: set[str]) -> None:
    hang_up_leftovers(watch, numbers)
    for interface in sorted(watch.interfaces):
        watch.act("QueueRemove", Queue=queue, Interface=interface)
    for interface in paused:
        watch.act("QueuePause", Queue=queue, Interface=interface, Paused="false")


def wait_bridge_current(redis_url: str, bridge, timeout_s: float = 30) -> None:
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if bridge.poll() is not None:
            raise SystemExit(f"bench: the bridge exited with {bridge.returncode}")
        raw = client.get(BOARD_KEY)
        if raw and json.loads(raw).get("current"):
            return
        time.sleep(0.1)
    raise SystemExit("bench: the bridge did not resync with the lab within 30 s")


def logged_calls(settings, since: float, numbers: set[str]) -> dict:
    """queue_log's calls of this run: entered our queue after `since` from our callers."""
    calls = summarize_calls(read_queue_log(settings.queue_log_path, tail_bytes=64 << 20))
    return {callid: call for callid, call in calls.items()
            if call.entered_at is not None and call.entered_at >= since
            and call.queue == settings.queue_name and call.caller_number in numbers}


def stored_calls(engine) -> dict[str, dict]:
    with engine.connect() as connection:
        rows = connection.execute(Call.__table__.select()).mappings().all()
    return {row["callid"]: dict(row) for row in rows}


def settle(settings, engine, since: float, numbers: set[str], timeout_s: float = 60):
    """Wait until queue_log has ended every call and the records closed every one."""
    deadline = time.monotonic() + timeout_s
    while True:
        logged, stored = logged_calls(settings, since, numbers), stored_calls(engine)
        done = (all(call.ended_at is not None for call in logged.values())
                and all(stored.get(c, {}).get("outcome") for c in logged))
        if done or time.monotonic() > deadline:
            time.sleep(3)  # the bridge refines exit reasons 2 s after a call closed
            return logged_calls(settings, since, numbers), stored_calls(engine)
        time.sleep(1)


def outcome_counts(outcomes: list) -> dict[str, int]:
    counts = collections.Counter(outcome or "open" for outcome in outcomes)
    return {"offered": len(outcomes), "answered": counts.pop("answered", 0),
            "abandoned": counts.pop("abandoned", 0), **dict(sorted(counts.items()))}


def pop_delivery(watch: AsteriskWatch, clients: list) -> dict:
    got: dict[tuple[str, str], int] = collections.Counter()
    wrong_agent, latencies, sink_ms, to_sink, to_client = 0, [], [], [], []
    for client in clients:
        for received, payload in client.pops:
            if payload.get("interface") != client.interface:
                wrong_agent += 1
            got[(payload["callid"], client.interface)] += 1
            latencies.append((received - payload["event_at"]) * 1000)
            sink_ms.append((payload["sent_at"] - payload["received_at"]) * 1000)
            to_sink.append((payload["received_at"] - payload["event_at"]) * 1000)
            to_client.append((received - payload["sent_at"]) * 1000)
    expected = watch.rings
    listener = [(arrived - stamp) * 1000 for arrived, stamp in watch.ring_arrivals.values()
                if stamp]
    return {
        "to_listener_ms": listener,
        "rings": sum(expected.values()), "pops": sum(got.values()),
        "missing": sum(max(0, n - got.get(key, 0)) for key, n in expected.items()),
        "duplicated": sum(max(0, n - expected.get(key, 0)) for key, n in got.items()
                          if key in expected),
        "without_ring": sum(n for key, n in got.items() if key not in expected),
        "wrong_agent": wrong_agent, "latency_ms": latencies, "sink_ms": sink_ms,
        "to_sink_ms": to_sink, "to_client_ms": to_client,
    }


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def start_stack(options, settings, folder: Path, children, extra_env=None):
    redis_url = parts.start_redis(children, folder)
    database_url = options.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    callers = parts.prepare_database(database_url, options.agents, options.households,
                                     HouseholdTerms.from_settings(settings))
    port = parts.free_tcp_port()
    env = dict(os.environ, HOTLINE_DATABASE_URL=database_url, HOTLINE_REDIS_URL=redis_url,
               HOTLINE_STATE_DIR=str(folder), HOTLINE_AMI_SECRET_FILE=str(
                   settings.ami_secret_file), HOTLINE_CONSOLE_HOST="127.0.0.1",
               HOTLINE_CONSOLE_PORT=str(port),
               HOTLINE_FASTAGI_BIND=f"127.0.0.1:{parts.free_tcp_port()}")
    env.update(extra_env or {})
    console = children.start("console", parts.hotline_argv("console"), env)
    bridge = children.start("bridge", parts.hotline_argv(
        "bridge", switch_interval_ms=options.switch_interval_ms,
        pop_sink_first=options.pop_sink_first), env)
    base_url = f"http://127.0.0.1:{port}"
    parts.wait_http(base_url + "/healthz", console)
    wait_bridge_current(redis_url, bridge)
    return database_url, callers, console, bridge, base_url


def lab_asterisk_pid(settings) -> list[int]:
    state = lab_module._read_state(settings)  # read-only: which pid the lab started
    return [state.asterisk_pid] if state and state.asterisk_pid else []


def report(options, logged, stored, pops, usage, rss, watch, load_s) -> bool:
    mismatches = compare_calls({c: stored[c] for c in stored}, logged)
    duplicates = len(stored) - len({c for c in stored})
    # A call queue_log has not ended is open, even if CONNECT said "answered".
    log_counts = outcome_counts([call.outcome if call.ended_at is not None else None
                                 for call in logged.values()])
    db_counts = outcome_counts([row["outcome"] for row in stored.values()])
    print(f"bench/load: {options.agents} agents, rate {options.rate}/s, cap "
          f"{options.concurrency} calls at once per caller SIPp, {options.duration:.0f} s, "
          f"impatient share {options.impatient_share} ({options.impatient_ms} ms) / patient "
          f"{options.patient_ms} ms, ring {options.ring_ms} ms, talk {options.talk_ms} ms, "
          f"{os.cpu_count()} CPUs, database {options.database_url and 'postgresql' or 'sqlite'}"
          + (f", bridge GIL switch interval {options.switch_interval_ms} ms"
             if options.switch_interval_ms else "")
          + (", screen-pop sink first" if options.pop_sink_first else ""))
    entered = sorted(call.entered_at for call in logged.values())
    span = (entered[-1] - entered[0]) if len(entered) > 1 else load_s
    print(f"  offered rate achieved     {len(logged) / max(span, 1e-9):.2f} calls/s over "
          f"{span:.0f} s (whole run {load_s:.0f} s);"
          f" in progress max {watch.max_in_progress}, mean "
          f"{statistics.fmean(watch.samples or [0]):.1f}")
    print(f"  queue_log                 {log_counts}")
    print(f"  project records           {db_counts}")
    print(f"  call-by-call mismatches   {len(mismatches)}; duplicated records {duplicates}")
    for line in mismatches[:10]:
        callid = line.split(":", 1)[0]
        seen = "saw" if callid in watch.completed else "did not see"
        print(f"    {line} (our AMI session {seen} its AgentComplete)")
    print(f"  screen-pops               rings {pops['rings']}, pops {pops['pops']}, missing "
          f"{pops['missing']}, duplicated {pops['duplicated']}, without a ring "
          f"{pops['without_ring']}, in the wrong agent's client {pops['wrong_agent']}")
    lat = pops["latency_ms"]
    print(f"  pop latency (Asterisk event -> client) p50 {percentile(lat, .5):.1f} ms, "
          f"p99 {percentile(lat, .99):.1f} ms, max {max(lat or [0]):.1f} ms "
          f"(mean {statistics.fmean(lat or [0]):.1f} ms)")
    print_latency_parts(pops)
    for name, (percent, seconds) in usage.items():
        print(f"  CPU {name:<22} {percent:6.1f} % of one core ({seconds:.1f} s), "
              f"peak RSS {rss[name]:.0f} MB")
    exact = not mismatches and log_counts == db_counts and not duplicates
    pops_ok = not (pops["missing"] or pops["duplicated"] or pops["without_ring"]
                   or pops["wrong_agent"])
    p99 = percentile(lat, .99)
    print(f"  verdict: records {'match' if exact else 'DO NOT match'} queue_log; pops "
          f"{'all delivered once' if pops_ok else 'NOT all delivered once'}; pop p99 "
          f"{p99:.1f} ms {'<' if p99 < 100 else '>='} 100 ms target")
    return exact and pops_ok


def print_latency_parts(pops: dict) -> None:
    for key, label in (("to_listener_ms", "baseline: Asterisk event -> our AMI session"),
                       ("to_sink_ms", "Asterisk event -> bridge's pop sink"),
                       ("sink_ms", "in the sink (lookup, Redis, publish)"),
                       ("to_client_ms", "published -> client (Redis, console)")):
        values = pops[key]
        print(f"    {label:<38} p50 {percentile(values, .5):6.1f} ms  "
              f"p99 {percentile(values, .99):6.1f} ms")


def run(options) -> bool:
    settings = load_settings()
    lab_module.up(settings)
    folder = settings.state_dir / "bench-load" / time.strftime("%Y%m%dT%H%M%S")
    folder.mkdir(parents=True)
    children = parts.Children(folder)
    interfaces = {f"PJSIP/80{n:02d}" for n in range(1, options.agents + 1)}
    kinds = load_mix.parse_mix(options.mix) if options.mix else ()
    # The mix runs in the lab's line queue (greeting, announcements, maxlen, the offer).
    queue = f"{settings.queue_name}-line" if kinds else settings.queue_name
    counted = dataclasses.replace(settings, queue_name=queue)
    watch = paused = clients = test_ami = None
    numbers: set[str] = set()
    try:
        lab_module.reload(dataclasses.replace(
            settings, lab_shared_phone_port=parts.SHARED_PHONE_PORT))
        database_url, callers, console, bridge, base_url = start_stack(
            options, settings, folder, children, load_mix.mix_env(settings) if kinds else None)
        phones = parts.start_agent_phones(children, folder, options.ring_ms)
        clients = [parts.AgentClient(base_url, f"agent{n:02d}", f"PJSIP/80{n:02d}")
                   for n in range(1, options.agents + 1)]
        watch = AsteriskWatch(settings, interfaces)
        paused = join_agents(watch, queue, options.agents)
        test_ami = load_mix.TestAmi(settings) if kinds else None
        load_mix.line_on(test_ami and test_ami.act, kinds, settings.sounds_dir)
        time.sleep(1)  # the members' device states settle
        csv_path = folder / "callers.csv"
        parts.write_callers_csv(csv_path, callers)
        numbers = {line.split(";")[0] for line in csv_path.read_text().splitlines()[1:]}
        sampler = parts.ProcessSampler({
            "bridge": [bridge.pid], "console": [console.pid],
            "asterisk": lab_asterisk_pid(settings),
            "SIPp agent phones": [phones.pid]})
        started = time.time() - 1
        sampler.start()
        mixes = [parts.CallerMix("impatient", options.impatient_share, options.impatient_ms,
                                 5091, 17000),
                 parts.CallerMix("patient", 1 - options.impatient_share, options.patient_ms,
                                 5092, 18000)]
        mixes = [mix for mix in mixes if mix.share > 0 and not kinds]
        callers_sipp = [parts.start_callers(children, folder, mix, options.rate,
                                            options.concurrency, options.duration,
                                            options.talk_ms, settings.hotline_number, csv_path)
                        for mix in mixes]
        if kinds:
            load_mix.start_resident(children, folder, options.talk_ms, test_ami.act)
            callers_sipp += load_mix.start_line_callers(children, folder, kinds, options,
                                                        settings.hotline_number, csv_path)
            numbers |= load_mix.mix_numbers(folder)
        deadline = time.monotonic() + options.duration + options.patient_ms / 1000 + 120
        while any(c.poll() is None for c in callers_sipp) and time.monotonic() < deadline:
            watch.sample()
            time.sleep(1)
        for sipp in callers_sipp:
            children.stop(sipp)
        load_s = time.time() - started
        time.sleep(options.talk_ms / 1000 + 2)  # the last answered calls end by themselves
        leftovers = hang_up_leftovers(watch, numbers)
        logged, stored = settle(counted, make_engine(database_url), started, numbers)
        usage = sampler.stop()
        pops = pop_delivery(watch, clients)
        (folder / "result.json").write_text(json.dumps({
            "logged": len(logged), "stored": len(stored), "rings": pops["rings"],
            "pops": pops["pops"], "latency_ms": pops["latency_ms"]}))
        print(f"bench/load: {leftovers} calls Asterisk still had after the callers ended "
              "were hung up before counting (SIPp callers that gave up on them)")
        ok = report(options, logged, stored, pops, usage, sampler.peak_rss, watch, load_s)
        if kinds:
            ok = load_mix.report_mix(settings, database_url, logged) and ok
        print(f"  logs: {folder}")
        return ok
    finally:
        if watch is not None:
            if test_ami is not None:
                load_mix.line_off(test_ami.act, kinds)
                test_ami.close()
            leave_agents(watch, queue, paused or [], numbers)
            watch.ami.close()
        # In parallel: each Socket.IO disconnect waits on its own websocket's close,
        # and 50 of them one after another took about two minutes.
        if clients:
            with ThreadPoolExecutor(max_workers=len(clients)) as pool:
                list(pool.map(parts.AgentClient.close, clients))
        children.stop_all()
        lab_module.reload(settings)  # each phone back on its own port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=4.0, help="new calls per second")
    parser.add_argument("--concurrency", type=int, default=50,
                        help="each caller SIPp's cap on calls at once (-l)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of new calls")
    parser.add_argument("--agents", type=int, default=50, choices=range(1, 51),
                        metavar="1..50")
    parser.add_argument("--impatient-share", type=float, default=0.5)
    parser.add_argument("--impatient-ms", type=int, default=3000,
                        help="an impatient caller gives up after this long in the queue")
    parser.add_argument("--patient-ms", type=int, default=15000)
    parser.add_argument("--talk-ms", type=int, default=4000)
    parser.add_argument("--ring-ms", type=int, default=1000, help="agent phones ring this long")
    parser.add_argument("--households", type=int, default=300)
    parser.add_argument("--switch-interval-ms", type=float, default=None,
                        help="run the bridge with this GIL switch interval (Python: 5 ms)")
    parser.add_argument("--pop-sink-first", action="store_true",
                        help="experiment: the bridge feeds the screen-pop sink before the "
                             "live board's")
    parser.add_argument("--database-url", default=None,
                        help="the bridge's database (default: a fresh SQLite file)")
    parser.add_argument("--mix", default="", help="the line's mix: callbacks,emergencies "
                        "(the lab's line queue; plain callers stay --patient-ms)")
    parser.add_argument("--callback-share", type=float, default=0.2)
    parser.add_argument("--emergency-share", type=float, default=0.1)
    options = parser.parse_args()
    raise SystemExit(0 if run(options) else 1)


if __name__ == "__main__":
    main()
