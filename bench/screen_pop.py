"""Screen-pop latency: AgentCalled arriving at the bridge -> pop received by a Socket.IO client.

Everything real except Asterisk: a private redis-server, a SQLite database with
demo households, the console (`hotline console`) as its own process, 50 agents
logged in with python-socketio clients (websocket), and the bridge's pipeline
(`telephony.bridge.Bridge`: normalizer, state machine, call writer, then the
sinks of `hotline.bridge_root`: the live projection with its screen-pops) fed AMI AgentCalled messages shaped like
Asterisk 22's (tests/fixtures/ami). Latency is measured from the moment the
message is handed to `Bridge.on_message` to the client's receipt; the share
spent in the sink (handle() to emit) is printed beside it. In a burst every
message counts from the burst's start, as if all had arrived in one read, so
the time each waits behind the others is included.

Per console server (Werkzeug's development server, then gunicorn's threaded
worker as `hotline console --production` runs it), runs in the same process:
one ring at a time (the baseline) and 50 calls ringing at once (the target:
p99 < 50 ms); then the ratio of the two servers. --server-cpus/--client-cpus
pin the server side and the clients to their own cores (as taskset would), so
the figure is the server's and not the clients' fight for the same core.
--nginx puts Debian's nginx in front of the console as production has it (TLS,
WebSocket proxying; bench/nginx_front.py), started on the server's CPUs.

    .venv/bin/python -m bench.screen_pop [--server both] [--server-cpus 0 --client-cpus 1] [--nginx]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
import socketio
from sqlalchemy import select
from werkzeug.security import generate_password_hash

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import models  # noqa: E402
from hotline.bridge_root import build_sinks  # noqa: E402
from hotline.settings import load_settings  # noqa: E402
from households.demo import make_demo_data  # noqa: E402
from households.terms import office_today  # noqa: E402
from models.console import User  # noqa: E402
from models.households import Phone  # noqa: E402
from models.session import engine_for, session_factory  # noqa: E402
from telephony.bridge import Bridge  # noqa: E402
from bench import nginx_front  # noqa: E402
from bench.nginx_front import Front  # noqa: E402
from bench.support import (  # noqa: E402
    percentile, private_console, start_redis, stop_processes)

PASSWORD = "bench password 1"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def prepare_database(url: str, agents: int) -> list[tuple[str, str, str]]:
    """Demo households and one agent per phone; (username, interface, caller number)."""
    models.Base.metadata.create_all(engine_for(url))
    with session_factory(url)() as session:
        settings = load_settings()
        make_demo_data(session, max(200, agents * 4), as_of=office_today(settings.office_timezone),
                       local_area_code=settings.local_area_code)
        session.commit()
        numbers = [p.raw for p in session.scalars(select(Phone).order_by(Phone.id)
                                                  .limit(agents * 3))][::3]
        rows = []
        for index in range(agents):
            username, interface = f"agent{index:02d}", f"PJSIP/8{index + 100:03d}"
            session.add(User(username=username, role="agent", phone_interface=interface,
                             password_hash=generate_password_hash(PASSWORD)))
            rows.append((username, interface, numbers[index % len(numbers)]))
        session.commit()
    return rows


def agent_client(base_url: str, username: str, receipts, front: Front | None = None,
                 source: str = "127.0.0.1") -> socketio.Client:
    """One logged-in browser stand-in: reports when each pop arrives. With `front`,
    through nginx over TLS from `source`, as a browser reaches production."""
    http = nginx_front.session(front, source) if front else requests.Session()
    base_url = front.base_url if front else base_url
    token = CSRF_RE.search(http.get(base_url + "/login").text).group(1)
    # Over https Flask-WTF checks the Referer, as browsers send it.
    answer = http.post(base_url + "/login", allow_redirects=False, data={
        "username": username, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": base_url + "/login"})
    if answer.status_code != 302:
        raise SystemExit(f"log-in of {username} failed: {answer.status_code}")
    options = {"socket": nginx_front.tls_socket(front, source),
               "suppress_origin": True} if front else {}
    # websocket-client checks each text frame's UTF-8 in pure Python (0.3 ms a 1.5-KB
    # pop: a third of the stand-in's CPU at 50 at once) and then decodes it strictly,
    # which checks it again; a browser does it once, natively. The figure is the server's.
    options["skip_utf8_validation"] = True
    client = socketio.Client(http_session=http, reconnection=False,
                             websocket_extra_options=options)

    def on_pop(payload: dict) -> None:
        receipts.put((payload["callid"], time.time(), payload["sent_at"],
                      payload["received_at"]))

    client.on("screen_pop", on_pop, namespace="/agent")
    # Flask-Login's strong session protection ties the session to the user agent.
    headers = {"User-Agent": http.headers["User-Agent"]}
    if front:  # the socket is handed in, so websocket-client cannot name the origin
        headers["Origin"] = base_url
    client.connect(base_url, namespaces=["/agent"], transports=["websocket"],
                   headers=headers, wait_timeout=10)
    return client


def clients_process(base_url: str, usernames: list[str], receipts, ready, stop,
                    cpus: set[int] | None = None, front: Front | None = None,
                    source: str = "127.0.0.1") -> None:
    """The agents' browsers, in their own process so they do not share the bridge's GIL."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    clients = [agent_client(base_url, username, receipts, front, source)
               for username in usernames]
    ready.set()
    stop.wait()
    for client in clients:
        client.disconnect()


class Receipts:
    """Pops received by the clients' process: callid -> (received, sent_at, handled_at)."""

    def __init__(self, queue):
        self.queue = queue
        self.seen: dict[str, tuple[float, float, float]] = {}

    def wait_for(self, callids: list[str], timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not all(callid in self.seen for callid in callids):
            left = deadline - time.monotonic()
            if left <= 0:
                missing = [c for c in callids if c not in self.seen]
                raise SystemExit(f"pops never received: {missing[:5]}")
            try:
                callid, *times = self.queue.get(timeout=left)
            except Exception:
                continue
            if callid in self.seen:
                raise SystemExit(f"pop of {callid} received twice")
            self.seen[callid] = tuple(times)


def ami(event: str, callid: str, number: str, interface: str, extra: dict) -> dict:
    return {"Event": event, "Channel": f"PJSIP/trunk-{callid}", "CallerIDNum": number,
            "CallerIDName": "", "Uniqueid": callid, "Linkedid": callid, "Queue": "hotline",
            "Context": "from-trunk", "Exten": "4000", **extra}


def join(bridge: Bridge, callid: str, number: str, interface: str) -> None:
    bridge.on_message(ami("QueueCallerJoin", callid, number, interface,
                          {"Position": "1", "Count": "1"}))


def ring(bridge: Bridge, callid: str, number: str, interface: str) -> float:
    """Hand AgentCalled to the bridge; returns the moment it arrived."""
    called = ami("AgentCalled", callid, number, interface, {
        "Interface": interface, "MemberName": interface, "DestChannel": f"{interface}-{callid}",
        "DestUniqueid": callid + "1"})
    arrived = time.time()
    bridge.on_message(called)
    return arrived


def run(bridge, receipts: Receipts, rows, rounds: int, mode: str, queue_wait_s: float,
        tag: str = "") -> dict:
    """mode: "one" (one call at a time), "queued" (all join, wait, all ring at once),
    "cold" (each call joins and rings at once, all calls in one burst)."""
    samples = {"total": [], "sink": [], "queue_to_client": []}
    for round_number in range(rounds):
        callids = [f"{tag or mode}{round_number}.{index}" for index in range(len(rows))]
        arrivals = {}
        calls = list(zip(rows, rows, callids))  # (row, row, callid) keeps one loop shape
        if mode == "one":
            for _, (_, interface, number), callid in calls:
                join(bridge, callid, number, interface)
                time.sleep(queue_wait_s)
                arrivals[callid] = ring(bridge, callid, number, interface)
                receipts.wait_for([callid])
        elif mode == "queued":
            for _, (_, interface, number), callid in calls:
                join(bridge, callid, number, interface)
            time.sleep(queue_wait_s)
            # All 50 AgentCalled arrive in one read: each is late by the ones before it.
            burst_at = time.time()
            for _, (_, interface, number), callid in calls:
                ring(bridge, callid, number, interface)
                arrivals[callid] = burst_at
            receipts.wait_for(callids)
        else:
            burst_at = time.time()
            for _, (_, interface, number), callid in calls:
                join(bridge, callid, number, interface)
                ring(bridge, callid, number, interface)
                arrivals[callid] = burst_at
            receipts.wait_for(callids)
        for callid in callids:
            received, sent_at, handled_at = receipts.seen[callid]
            samples["total"].append((received - arrivals[callid]) * 1000)
            samples["sink"].append((sent_at - handled_at) * 1000)
            samples["queue_to_client"].append((received - sent_at) * 1000)
    return samples


def report(name: str, samples: dict) -> float:
    total = samples["total"]
    print(f"{name}: {len(total)} pops")
    for key, label in (("total", "bridge arrival -> client"), ("sink", "  of which sink"),
                       ("queue_to_client", "  of which Redis queue -> client")):
        values = samples[key]
        print(f"  {label:34s} p50 {percentile(values, .5):7.2f} ms  "
              f"p99 {percentile(values, .99):7.2f} ms  max {max(values):7.2f} ms  "
              f"mean {statistics.fmean(values):7.2f} ms")
    return percentile(total, .99)


def _cpus(text: str | None) -> set[int] | None:
    return {int(cpu) for cpu in text.split(",")} if text else None


def start_servers(options, production: bool, folder: Path, database_url: str,
                  redis_url: str, processes: list):
    """The console workers, and nginx before them with --nginx; each process is
    added to `processes` as it starts. (settings, the workers' URLs, the front)."""
    base_urls = []
    for worker in range(options.console_workers):
        settings, base_url, console = private_console(
            load_settings(), database_url, redis_url, folder,
            log_name=f"console-{worker}.log", production=production,
            trusted_proxy_hops=1 if options.nginx else 0)
        processes.append(console)
        base_urls.append(base_url)
    front = None
    if options.nginx:
        front, nginx = nginx_front.start_front(
            folder, [int(url.rsplit(":", 1)[1]) for url in base_urls])
        processes.append(nginx)
    return settings, base_urls, front


def start_clients(options, base_urls: list[str], front: Front | None, usernames: list[str]):
    """The client processes, once every agent is connected: (queue, stop, processes).
    Behind nginx each process has a source address of its own (127.0.0.90 on), so
    nginx's hash of the address may spread them over the workers."""
    context = multiprocessing.get_context("spawn")
    queue, stop = context.Queue(), context.Event()
    client_processes = []
    for share in range(options.client_processes):
        ready = context.Event()
        process = context.Process(target=clients_process, args=(
            base_urls[share % len(base_urls)], usernames[share::options.client_processes],
            queue, ready, stop, _cpus(options.client_cpus), front, f"127.0.0.{90 + share}"
            if front else "127.0.0.1"))
        process.start()
        client_processes.append((process, ready))
    for _, ready in client_processes:
        if not ready.wait(60):
            raise SystemExit("the agents' clients did not connect")
    return queue, stop, client_processes


def measure(options, production: bool) -> dict[str, float]:
    """One server kind, its own database, Redis, console and clients: the p99s."""
    server = "gunicorn (hotline console --production)" if production else "development server"
    if options.nginx:
        server += " behind nginx (TLS)"
    with tempfile.TemporaryDirectory(prefix="bench-pop-") as folder_name:
        folder = Path(folder_name)
        redis_process, redis_url = start_redis(folder)
        servers = []
        try:
            database_url = f"sqlite:///{folder / 'bench.sqlite3'}"
            rows = prepare_database(database_url, options.agents)
            settings, base_urls, front = start_servers(options, production, folder,
                                                       database_url, redis_url, servers)
            queue, stop, client_processes = start_clients(
                options, base_urls, front, [username for username, _, _ in rows])
            receipts = Receipts(queue)
            bridge = Bridge(settings, engine_for(database_url),
                            sinks=build_sinks(settings),
                            connection_factory=lambda *args: None)
            run(bridge, receipts, rows, 1, "queued", options.queue_wait, tag="warm-up")
            print(f"\n== {server}: {options.agents} agents in "
                  f"{options.client_processes} client processes, "
                  f"{options.console_workers} console worker(s), {options.rounds} rounds, "
                  f"{os.cpu_count()} CPUs (server on {options.server_cpus or 'any'}, clients on "
                  f"{options.client_cpus or 'any'}), calls wait {options.queue_wait} s in queue")
            single = report("one call at a time (baseline)",
                            run(bridge, receipts, rows, options.rounds, "one", 0.05))
            queued = report(f"{options.agents} queued calls ringing at once",
                            run(bridge, receipts, rows, options.rounds, "queued",
                                options.queue_wait))
            cold = report(f"{options.agents} calls joining and ringing in one burst "
                          "(no time in queue)",
                          run(bridge, receipts, rows, options.rounds, "cold", 0))
            print(f"p99 ratios to one-at-a-time: queued burst {queued / single:.2f}x, "
                  f"cold burst {cold / single:.2f}x")
            print(f"target p99 < 50 ms with {options.agents} ringing at once: "
                  f"{'met' if queued < 50 else 'NOT met'} ({queued:.2f} ms); "
                  f"cold burst {'met' if cold < 50 else 'NOT met'} ({cold:.2f} ms)")
            stop.set()
            for process, _ in client_processes:
                process.join(30)
            bridge.stop()
            return {"single": single, "queued": queued, "cold": cold}
        finally:
            stop_processes(*reversed(servers), redis_process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--client-processes", type=int, default=5,
                        help="processes the agents' clients are spread over (browsers "
                             "are separate programs; one Python process would serialise them)")
    parser.add_argument("--console-workers", type=int, default=1,
                        help="console processes behind the Redis queue; the client "
                             "processes are spread over them")
    parser.add_argument("--queue-wait", type=float, default=1.0,
                        help="seconds calls wait in the queue before their agent rings")
    parser.add_argument("--server", choices=("development", "production", "both"), default="both",
                        help="the console's server: Werkzeug's, gunicorn's, or both in turn")
    parser.add_argument("--nginx", action="store_true",
                        help="the clients reach the console through Debian's nginx with TLS, "
                             "as in production (deploy/nginx-site.conf.tmpl)")
    parser.add_argument("--server-cpus", help="CPUs for this process (the bridge) and the "
                        "console, e.g. 0 (taskset's list, comma-separated)")
    parser.add_argument("--client-cpus", help="CPUs for the agents' clients, e.g. 1: the "
                        "figure is then the server's, not the clients' fight for a core")
    options = parser.parse_args()
    if options.nginx and options.client_processes > 10:
        parser.error("--nginx gives each client process one of 127.0.0.90-99: "
                     "at most 10 client processes")
    if options.server_cpus:
        os.sched_setaffinity(0, _cpus(options.server_cpus))  # the console inherits it
    kinds = {"development": [False], "production": [True], "both": [False, True]}[options.server]
    results = {production: measure(options, production) for production in kinds}
    if len(results) == 2:
        development, production = results[False], results[True]
        print(f"\ngunicorn ÷ development server, p99: one at a time "
              f"{production['single'] / development['single']:.2f}x, queued burst "
              f"{production['queued'] / development['queued']:.2f}x, cold burst "
              f"{production['cold'] / development['cold']:.2f}x")


if __name__ == "__main__":
    main()
