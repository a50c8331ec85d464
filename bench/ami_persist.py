"""(d) of bench/ami_ingest: the bridge with persistence, on SQLite and PostgreSQL.

`python -m bench.ami_persist [--events N] [--paced-calls-per-s R] [--paced-seconds S]`
runs it alone; `python -m bench.ami_ingest` calls `measure()` after (a)-(c).

The path measured is `hotline bridge`'s own: AmiConnection -> parser ->
normalizer -> state machine -> CallWriter (telephony.bridge.Bridge.on_message),
minus the resync (the loopback server only answers the login). Two runs per
database:
  burst  - the transcript as fast as the socket goes: calls persisted per second
           (every call row committed, counted in the database afterwards);
  paced  - the same calls at a steady rate (default 200 calls/s, the target):
           the delay from an event's arrival to the commit of what it changed,
           p50/p99/max. (In a burst that delay only measures the backlog.)
PostgreSQL comes from HOTLINE_TEST_POSTGRES_URL (scripts/start-postgres.sh); a
private database is created for the run and dropped after.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.ami_ingest import (  # noqa: E402
    CONSUMER_TIMEOUT_S, END_FRAME, GREETING, Result, Transcript, build_transcript, print_result,
)

BURST_EVENTS = 200_000


def _serve_paced(listener: socket.socket, copies: list[bytes], calls_per_copy: list[int],
                 calls_per_s: float) -> None:
    connection, _ = listener.accept()
    connection.sendall(GREETING)
    request = b""
    while b"\r\n\r\n" not in request:
        request += connection.recv(4096)
    match = re.search(rb"ActionID: ([^\r\n]*)", request)
    connection.sendall(b"Response: Success\r\nActionID: " + (match.group(1) if match else b"")
                       + b"\r\nMessage: Authentication accepted\r\n\r\n")
    started, sent_calls = time.perf_counter(), 0
    for copy, calls in zip(copies, calls_per_copy):
        if calls_per_s:
            wait = started + sent_calls / calls_per_s - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        connection.sendall(copy)
        sent_calls += calls
    connection.sendall(END_FRAME)
    connection.settimeout(CONSUMER_TIMEOUT_S)
    try:
        while connection.recv(65536):
            pass
    except OSError:
        pass
    connection.close()


def serve(transcript: Transcript, calls_per_s: float):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    process = multiprocessing.get_context("fork").Process(
        target=_serve_paced, daemon=True,
        args=(listener, transcript.copies, transcript.calls_per_copy, calls_per_s))
    process.start()
    listener.close()
    return port, process


def _bench_bridge(engine, port: int, done: threading.Event):
    import dataclasses

    from hotline.settings import get_settings
    from telephony.ami.client import AmiConnection
    from telephony.bridge import FOLLOWED_EVENTS, Bridge
    from telephony.call_writer import CallWriter

    class BenchBridge(Bridge):
        def on_connected(self):  # the loopback server answers no QueueStatus
            pass

        def on_message(self, message):
            if message.get("Status") == "BenchEnd":
                done.set()
                return
            if message.get("Event") == "FullyBooted":
                return  # would start the resync, which the loopback server cannot answer
            super().on_message(message)

    def connect(settings, on_event, on_connected, on_disconnected):
        return AmiConnection("127.0.0.1", port, "bench", "bench", on_event, on_connected,
                             on_disconnected, events=FOLLOWED_EVENTS)

    settings = dataclasses.replace(get_settings(), queue_log_path=Path("/nonexistent"),
                                   recordings_dir=Path("/nonexistent"))
    bridge = BenchBridge(settings, engine, sinks=[], connection_factory=connect)
    bridge.writer.close()
    bridge.writer = CallWriter(engine, keep_latencies=True)
    return bridge


def run_once(engine, transcript: Transcript, calls_per_s: float) -> dict:
    from sqlalchemy import func, select

    from models.calls import Call

    port, process = serve(transcript, calls_per_s)
    done = threading.Event()
    bridge = _bench_bridge(engine, port, done)
    started = time.perf_counter()
    bridge.start()
    finished = done.wait(CONSUMER_TIMEOUT_S * 5)
    bridge.writer.flush(CONSUMER_TIMEOUT_S)
    elapsed = time.perf_counter() - started
    latencies = sorted(bridge.writer.latencies)
    commits = bridge.writer.commits
    bridge.stop()
    process.join(5)
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(Call)).scalar()
        closed = connection.execute(
            select(func.count()).select_from(Call).where(Call.outcome.is_not(None))).scalar()
    return {"finished": finished, "seconds": elapsed, "stored": stored, "closed": closed,
            "commits": commits, "latencies": latencies}


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(fraction * len(values)))]


def _fresh_schema(url: str):
    import models
    from models.session import make_engine

    engine = make_engine(url)
    models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)
    return engine


def databases():
    """(label, url, cleanup) for SQLite and, when configured, PostgreSQL."""
    folder = tempfile.mkdtemp(prefix="hotline-bench-")
    yield "SQLite", f"sqlite:///{folder}/bench.sqlite3", None
    server_url = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
    if not server_url:
        print("(d) PostgreSQL: not measured (set HOTLINE_TEST_POSTGRES_URL, "
              "e.g. from scripts/start-postgres.sh)")
        return
    from models.session import create_postgres_database, drop_postgres_database

    name = f"hotline_bench_{os.getpid()}"
    url = create_postgres_database(server_url, name)
    yield "PostgreSQL", url, lambda: drop_postgres_database(server_url, name)


def measure(transcript: Transcript, burst_events: int = BURST_EVENTS,
            paced_calls_per_s: float = 200.0, paced_seconds: float = 10.0) -> list[Result]:
    burst = transcript.head(burst_events)
    paced = transcript.head(1)
    while paced.calls < paced_calls_per_s * paced_seconds and len(paced.copies) < len(
            transcript.copies):
        paced = transcript.head(paced.events + 1)
    results = []
    for label, url, cleanup in databases():
        try:
            results.extend(_measure_database(label, url, burst, paced, paced_calls_per_s))
        finally:
            if cleanup is not None:
                cleanup()
    return results


def _measure_database(label, url, burst, paced, paced_calls_per_s) -> list[Result]:
    fast = run_once(_fresh_schema(url), burst, 0)
    steady = run_once(_fresh_schema(url), paced, paced_calls_per_s)
    results = []
    for name, run, transcript in (("burst", fast, burst), ("paced", steady, paced)):
        lat = run["latencies"]
        note = (f"{run['stored']:,} call rows ({run['closed']:,} closed) of "
                f"{transcript.calls:,} calls sent, {run['commits']:,} commits; event->commit "
                f"p50 {_percentile(lat, 0.5) * 1000:.1f} ms, "
                f"p99 {_percentile(lat, 0.99) * 1000:.1f} ms, "
                f"max {max(lat, default=float('nan')) * 1000:.1f} ms over {len(lat):,} submits")
        if not run["finished"]:
            note += "; TIMED OUT"
        rate_label = "as fast as possible" if name == "burst" else \
            f"offered at {paced_calls_per_s:.0f} calls/s"
        results.append(Result(f"(d) {label} persisted, {name} ({rate_label})", run["stored"],
                              run["seconds"], note, unit="calls"))
    p99 = _percentile(steady["latencies"], 0.99) * 1000
    rate = results[0].rate
    print(f"(d) {label}: {rate:,.0f} calls/s persisted (target >= 200: "
          f"{'met' if rate >= 200 else 'NOT met'}); event->commit p99 at "
          f"{paced_calls_per_s:.0f} calls/s {p99:.1f} ms (target < 100 ms: "
          f"{'met' if p99 < 100 else 'NOT met'}); median of paced delays "
          f"{statistics.median(steady['latencies']) * 1000 if steady['latencies'] else 0:.1f} ms")
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=BURST_EVENTS)
    parser.add_argument("--paced-calls-per-s", type=float, default=200.0)
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    transcript = build_transcript(args.events)
    print(f"transcript: {transcript.events:,} events, {transcript.calls:,} queue calls")
    for result in measure(transcript, args.events, args.paced_calls_per_s, args.paced_seconds):
        print_result(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
