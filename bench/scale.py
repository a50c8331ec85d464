"""Scale-out bench (issue 19.4): two Asterisk hosts behind Kamailio, one host killed mid-run.

Two Asterisk 22 hosts from the lab's root on 127.0.0.2 (systemname a, agents
8001-8025) and 127.0.0.3 (b, 8026-8050), Debian's Kamailio on 127.0.0.10 in
front (round robin, OPTIONS pings, failover: hotline.kamailio), one `hotline
bridge` per host, two `hotline console --production` workers (gunicorn) behind
nginx with TLS and sticky sessions, PostgreSQL and a private Redis. SIPp
residents call through Kamailio; a SIPp UAS per host plays its agents' phones;
each agent has a Socket.IO client through nginx. Midway one host is killed
(SIGKILL): Kamailio marks it down and new calls go to the survivor.

It prints calls offered per second and in progress, pops delivered (each ring
once, in the ringing agent's client only), pop p99, call-by-call mismatches
against each host's own queue_log (and `stats verify --host` per host), the
failover time, and that every call either host logged is stored exactly once.

The main lab (127.0.0.1) is not used: only its root (built by ./setup.sh), so the
bench needs no lab lock. Run it on a quiet machine:
    .venv/bin/python -m bench.scale                   # 20 calls/s for 60 s
    .venv/bin/python -m bench.scale --duration 20     # a short run
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy.orm import sessionmaker

from bench import load_lab as parts, scale_stack as stack
from bench.load import AsteriskWatch, outcome_counts, percentile, pop_delivery
from bench.load import stored_calls
from call_queue.stats import queue_log_check
from hotline.settings import load_settings
from households.terms import HouseholdTerms
from models.session import make_engine
from telephony.queue_log import compare_calls, read_queue_log, summarize_calls
from tests.support.kamailio_proxy import start_proxy
from tests.support.production_stack import start_production_lab


@dataclasses.dataclass
class Running:
    """A host with what follows it: its Asterisk, settings, bridge and our AMI watch."""
    spec: stack.HostSpec
    asterisk: object
    settings: object
    bridge: object = None
    watch: AsteriskWatch = None
    killed_at: float | None = None


def logged(host: Running, since: float, numbers: set[str]) -> dict:
    calls = summarize_calls(read_queue_log(host.settings.queue_log_path))
    return {callid: call for callid, call in calls.items()
            if call.entered_at is not None and call.entered_at >= since
            and call.caller_number in numbers}


def settle(hosts: list[Running], engine, since: float, numbers: set[str], timeout_s=90):
    """Until every call a live host logged has ended in its queue_log and is closed in the
    records (a killed host's calls that it never ended stay open on both sides)."""
    deadline = time.monotonic() + timeout_s
    while True:
        per_host = {host.spec.name: logged(host, since, numbers) for host in hosts}
        stored = stored_calls(engine)
        done = all(stored.get(callid, {}).get("outcome")
                   for calls in per_host.values() for callid, call in calls.items()
                   if call.ended_at is not None)
        done = done and all(call.ended_at is not None for host in hosts if host.killed_at is None
                            for call in per_host[host.spec.name].values())
        if done or time.monotonic() > deadline:
            time.sleep(3)  # the bridges refine exit reasons 2 s after a call closed
            return ({host.spec.name: logged(host, since, numbers) for host in hosts},
                    stored_calls(engine))
        time.sleep(1)


def watch_failover(proxy, address: str, killed_at: float, result: dict) -> None:
    """Seconds from the kill until Kamailio's dispatcher marks the host inactive."""
    while time.monotonic() - killed_at < 30:
        if proxy.host_flags().get(f"sip:{address}:5060", "").startswith("I"):
            result["marked_down_s"] = time.monotonic() - killed_at
            return
        time.sleep(0.1)


def check_records(per_host: dict, stored: dict, settings, engine) -> tuple[bool, list[str]]:
    lines, ok = [], True
    logged_ids = {callid for calls in per_host.values() for callid in calls}
    ours = {callid: row for callid, row in stored.items()}
    lost = sorted(logged_ids - set(ours))
    extra = sorted(set(ours) - logged_ids)
    wrong_host = sorted(callid for name, calls in per_host.items() for callid in calls
                        if callid in ours and ours[callid]["host"] != name)
    lines.append(f"  stored exactly once: {len(logged_ids)} calls in the two queue_logs, "
                 f"{len(ours)} records; lost {len(lost)}, not in any queue_log {len(extra)}, "
                 f"on the wrong host {len(wrong_host)} (callid is unique: no doubles)")
    ok &= not (lost or extra or wrong_host)
    Session = sessionmaker(engine)
    for name, calls in sorted(per_host.items()):
        ended = {callid: call for callid, call in calls.items() if call.ended_at is not None}
        mine = {callid: ours[callid] for callid in ended if callid in ours}
        mismatches = compare_calls(mine, ended)
        counts = outcome_counts([call.outcome for call in ended.values()])
        db = outcome_counts([row["outcome"] for row in mine.values()])
        with Session() as session:
            verified = queue_log_check.verify(session, settings, per_host_log(settings, name),
                                              host=name, callids=set(ended)) if ended else None
        differ = len(verified["differences"]) if verified else 0
        lines.append(f"  host {name}: queue_log {counts}; records {db}; call-by-call "
                     f"mismatches {len(mismatches)}; stats verify --host {name}: {differ} "
                     f"measures differ; cut by the kill (never ended in queue_log) "
                     f"{len(calls) - len(ended)}")
        lines += [f"    {line}" for line in mismatches[:5]]
        ok &= not mismatches and counts == db and not differ
    return ok, lines


def per_host_log(settings, name: str) -> Path:
    return settings.lab_root / f"var/log/asterisk-{name}/queue_log"


def run(options) -> bool:
    settings = load_settings()
    if not (settings.lab_root / "proc/self").exists():
        raise SystemExit("bench: the lab's root is not ready (./setup.sh, then `hotline lab up`)")
    folder = settings.state_dir / "bench-scale" / time.strftime("%Y%m%dT%H%M%S")
    folder.mkdir(parents=True)
    children = parts.Children(folder)
    hosts: list[Running] = []
    proxy = web = None
    agents: list[stack.BrowserAgent] = []
    numbers: set[str] = set()
    try:
        database_url = stack.fresh_database(options.postgres_url)
        callers = parts.prepare_database(database_url, 50, options.households,
                                         HouseholdTerms.from_settings(settings))
        for spec in stack.HOSTS:
            asterisk, own = stack.start_host(settings, spec, folder)
            hosts.append(Running(spec, asterisk, own))
        proxy = start_proxy(f"{stack.PROXY}:5060", [f"{h.spec.address}:5060" for h in hosts],
                            folder / "kamailio")
        parts_wait(lambda: all(f.startswith("A") for f in proxy.host_flags().values())
                   and len(proxy.host_flags()) == 2, 20, "Kamailio pings both hosts")
        # Each agent's WebSocket holds a gunicorn thread: 50 agents over two workers.
        web = start_production_lab(folder / "web", {}, workers=2, database_url=database_url,
                                   threads=64)
        for host in hosts:
            env = stack.bridge_env(dict(os.environ), host.settings, host.spec, database_url,
                                   web.redis.url, folder)
            host.bridge = children.start(f"bridge-{host.spec.name}",
                                         parts.hotline_argv("bridge"), env)
            stack.start_phones(children, folder, host.spec, options.ring_ms)
            host.watch = AsteriskWatch(host.settings, host.spec.interfaces)
            for extension in host.spec.extensions:
                host.watch.act("QueueAdd", Queue=settings.queue_name,
                               Interface=f"PJSIP/{extension}",
                               MemberName=f"agent{extension % 100:02d}", Paused="false")
        time.sleep(3)  # the bridges log in and resync; the members' device states settle
        for index in range(50):
            extension = 8001 + index
            agents.append(stack.BrowserAgent(
                web, stack.BROWSER_SOURCES[index % len(stack.BROWSER_SOURCES)],
                f"agent{index + 1:02d}", f"PJSIP/{extension}"))
        csv_path = folder / "callers.csv"
        parts.write_callers_csv(csv_path, callers)
        numbers = {line.split(";")[0] for line in csv_path.read_text().splitlines()[1:]}
        return drive(options, hosts, proxy, web, agents, children, folder, csv_path, numbers,
                     settings)
    finally:
        if agents:
            with ThreadPoolExecutor(max_workers=len(agents)) as pool:
                list(pool.map(stack.BrowserAgent.close, agents))
        for host in hosts:
            if host.watch is not None:
                host.watch.ami.close()
        children.stop_all()
        if web is not None:
            web.stop()
        if proxy is not None:
            proxy.stop()
        for host in hosts:
            host.asterisk.stop()


def with_children(pids: list[int]) -> list[int]:
    """The processes and their children (gunicorn's workers under its arbiter)."""
    found = list(pids)
    for pid in pids:
        try:
            found += [int(child) for child in
                      Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            pass
    return found


def parts_wait(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise SystemExit(f"bench: not within {timeout_s} s: {what}")


def drive(options, hosts, proxy, web, agents, children, folder, csv_path, numbers,
          settings) -> bool:
    pids = {f"bridge {h.spec.name}": [h.bridge.pid] for h in hosts}
    pids |= {f"asterisk {h.spec.name}": [h.asterisk.process.pid] for h in hosts}
    pids["console workers"] = with_children([p.pid for p in web.processes[:-1]])
    pids["nginx"] = with_children([web.processes[-1].pid])
    pids["kamailio"] = with_children([proxy.process.pid])
    sampler = parts.ProcessSampler(pids)
    started = time.time() - 1
    sampler.start()
    mixes = [parts.CallerMix("impatient", options.impatient_share, options.impatient_ms,
                             5091, 45000),
             parts.CallerMix("patient", 1 - options.impatient_share, options.patient_ms,
                             5092, 46000)]
    sipps = [stack.start_callers(children, folder, mix, options.rate, options.concurrency,
                                 options.duration, options.talk_ms, settings.hotline_number,
                                 csv_path) for mix in mixes if mix.share > 0]
    failover: dict = {}
    kill_at = time.monotonic() + options.duration * options.kill_at
    victim = hosts[-1]
    samples: list[int] = []
    deadline = time.monotonic() + options.duration + options.patient_ms / 1000 + 90
    while any(s.poll() is None for s in sipps) and time.monotonic() < deadline:
        if victim.killed_at is None and options.kill_at < 1 and time.monotonic() >= kill_at:
            victim.asterisk.process.kill()
            victim.killed_at = time.monotonic()
            threading.Thread(target=watch_failover, args=(
                proxy, victim.spec.address, victim.killed_at, failover), daemon=True).start()
        for host in hosts:
            host.watch.sample()
        samples.append(sum(len(host.watch.in_progress) for host in hosts
                           if host.killed_at is None))
        time.sleep(1)
    for sipp in sipps:
        children.stop(sipp)
    load_s = time.time() - started
    time.sleep(options.talk_ms / 1000 + 2)
    engine = make_engine(web.database_url)
    per_host, stored = settle(hosts, engine, started, numbers)
    usage = sampler.stop()
    pops = pop_delivery(_Rings(hosts), agents)
    return report(options, per_host, stored, pops, usage, sampler.peak_rss, samples, load_s,
                  failover, victim, settings, engine, web, folder)


class _Rings:
    """Both hosts' AgentCalled counts and arrival times, as pop_delivery reads one watch."""

    def __init__(self, hosts):
        self.rings, self.ring_arrivals = {}, {}
        for host in hosts:
            self.rings.update(host.watch.rings)
            self.ring_arrivals.update(host.watch.ring_arrivals)


def report(options, per_host, stored, pops, usage, rss, samples, load_s, failover, victim,
           settings, engine, web, folder) -> bool:
    entered = sorted(call.entered_at for calls in per_host.values() for call in calls.values())
    span = (entered[-1] - entered[0]) if len(entered) > 1 else load_s
    print(f"bench/scale: 2 Asterisk hosts (a 127.0.0.2, b 127.0.0.3) behind Kamailio "
          f"{stack.PROXY}, 2 bridges, {len(web.worker_ports)} console workers behind nginx, "
          f"PostgreSQL, Redis; 50 agents (25 a host); rate {options.rate}/s for "
          f"{options.duration:.0f} s, impatient share {options.impatient_share} "
          f"({options.impatient_ms} ms) / patient {options.patient_ms} ms, talk "
          f"{options.talk_ms} ms, ring {options.ring_ms} ms; {os.cpu_count()} CPUs")
    print(f"  calls offered             {len(entered)} in {span:.0f} s: "
          f"{len(entered) / max(span, 1e-9):.2f} calls/s through Kamailio "
          f"(a {len(per_host['a'])}, b {len(per_host['b'])})")
    print(f"  calls in progress         max {max(samples or [0])}, mean "
          f"{statistics.fmean(samples or [0]):.1f} (both hosts' queue callers and calls)")
    ok, lines = check_records(per_host, stored, settings, engine)
    for line in lines:
        print(line)
    print(f"  screen-pops               rings {pops['rings']}, pops {pops['pops']}, missing "
          f"{pops['missing']}, duplicated {pops['duplicated']}, without a ring "
          f"{pops['without_ring']}, in the wrong agent's client {pops['wrong_agent']}")
    lat = pops["latency_ms"]
    p99 = percentile(lat, .99)
    print(f"  pop latency (Asterisk event -> client through nginx) p50 "
          f"{percentile(lat, .5):.1f} ms, p99 {p99:.1f} ms, max {max(lat or [0]):.1f} ms")
    if victim.killed_at is not None:
        down = failover.get("marked_down_s")
        print(f"  failover: host {victim.spec.name} killed (SIGKILL) at "
              f"{options.kill_at:.0%} of the run; Kamailio marked it down after "
              + (f"{down:.1f} s" if down is not None else "MORE THAN 30 s"))
        ok &= down is not None
    for name, (percent, seconds) in usage.items():
        print(f"  CPU {name:<22} {percent:6.1f} % of one core ({seconds:.1f} s), "
              f"peak RSS {rss[name]:.0f} MB")
    pops_ok = not (pops["missing"] or pops["duplicated"] or pops["without_ring"]
                   or pops["wrong_agent"])
    print(f"  verdict: records {'match' if ok else 'DO NOT match'} both queue_logs; pops "
          f"{'all delivered once' if pops_ok else 'NOT all delivered once'}; logs: {folder}")
    return ok and pops_ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="new calls per second")
    parser.add_argument("--concurrency", type=int, default=300,
                        help="each caller SIPp's cap on calls at once (-l)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of new calls")
    parser.add_argument("--kill-at", type=float, default=0.5,
                        help="kill host b at this share of the run (1: never)")
    # Not 0.5: two SIPp at one rate alternate in step with the round robin, and every
    # impatient caller would land on one host.
    parser.add_argument("--impatient-share", type=float, default=0.4)
    parser.add_argument("--impatient-ms", type=int, default=4000)
    parser.add_argument("--patient-ms", type=int, default=20000)
    parser.add_argument("--talk-ms", type=int, default=8000)
    parser.add_argument("--ring-ms", type=int, default=1000)
    parser.add_argument("--households", type=int, default=300)
    parser.add_argument("--postgres-url", default=os.environ.get("HOTLINE_TEST_POSTGRES_URL"),
                        help="a PostgreSQL server (scripts/start-postgres.sh prints one); the "
                             f"bench makes its own database {stack.BENCH_DATABASE} there")
    options = parser.parse_args()
    if not options.postgres_url:
        parser.error("--postgres-url (or HOTLINE_TEST_POSTGRES_URL) is required")
    raise SystemExit(0 if run(options) else 1)


if __name__ == "__main__":
    main()
