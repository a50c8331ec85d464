"""AMI ingest benchmark: `python -m bench.ami_ingest [--events N] [--pyst2-events N]`.

Builds a transcript of at least --events AMI events (default 1,000,000) from the
real recorded Asterisk 22 calls in tests/fixtures/ami (every copy gets its own
Uniqueids, Linkedids and ActionIDs, so the calls are distinct), serves it over
127.0.0.1 from a separate process (as Asterisk would be), and measures in one run:

  (a) stock pyst2 0.5.1 Manager: it reads one byte per recv, so it gets a slice
      of --pyst2-events events; what it measured on that slice is printed as is;
  (b) panoramisk (asyncio), every event dispatched to a '*' callback;
  (c0) telephony.ami.protocol.AmiParser alone on a raw socket, every event parsed;
  (c) the bridge's ingest path: AmiConnection (the pyst2 adapter) with the
      bridge's event filter -> normalizer -> call state machine, as `hotline
      bridge` runs it, minus persistence;
  (d) persistence, through `measure_persistence()` (bench/ami_persist.py).

Each consumer's clock runs from its connect to the end marker (a last
FullyBooted event with `Status: BenchEnd`).
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import multiprocessing
import os
import re
import socket
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_FIXTURES = REPO / "tests" / "fixtures" / "ami"
END_FRAME = b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: BenchEnd\r\n\r\n"
GREETING = b"Asterisk Call Manager/11.0.0\r\n"
_ID_HEADER = re.compile(rb"^(\w*(?:Uniqueid|Linkedid)|ActionID): ([^\r\n]*)\r$", re.M)
CONSUMER_TIMEOUT_S = 120


@dataclasses.dataclass
class Result:
    label: str
    events: int
    seconds: float
    note: str = ""
    unit: str = "events"

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclasses.dataclass
class Transcript:
    """Copies of the recorded calls, each with its own ids; streamed copy by copy."""

    copies: list[bytes]
    events_per_copy: list[int]
    calls_per_copy: list[int]
    sources: list[str]

    @property
    def events(self) -> int:
        return sum(self.events_per_copy)

    @property
    def calls(self) -> int:
        return sum(self.calls_per_copy)

    def head(self, min_events: int) -> "Transcript":
        """The first copies holding at least `min_events` events."""
        total, count = 0, 0
        while count < len(self.copies) and total < min_events:
            total += self.events_per_copy[count]
            count += 1
        return Transcript(self.copies[:count], self.events_per_copy[:count],
                          self.calls_per_copy[:count], self.sources)


class _Template:
    """One recorded transcript's event frames, split around its ids."""

    def __init__(self, data: bytes):
        frames = data.split(b"\r\n\r\n")
        events = [f + b"\r\n\r\n" for f in frames if f.startswith(b"Event:")]
        body = b"".join(events)
        self.events = len(events)
        self.calls = sum(1 for f in events if f.startswith(b"Event: QueueCallerJoin\r\n"))
        self.parts: list[bytes] = []
        self.slots: list[tuple[bool, int, bytes]] = []  # (is ActionID, id index, old value)
        ids: dict[bytes, int] = {}
        position = 0
        for match in _ID_HEADER.finditer(body):
            self.parts.append(body[position:match.start(2)])
            value = match.group(2)
            self.slots.append((match.group(1) == b"ActionID", ids.setdefault(value, len(ids)),
                               value))
            position = match.end(2)
        self.parts.append(body[position:])

    def copy(self, number: int) -> bytes:
        epoch = b"%d" % (1_800_000_000 + number)
        out = []
        for part, (is_action, index, old) in zip(self.parts, self.slots):
            out.append(part)
            out.append(b"%s-%d" % (old, number) if is_action else b"%s.%d" % (epoch, index))
        out.append(self.parts[-1])
        return b"".join(out)


def build_transcript(min_events: int, fixtures: Path = DEFAULT_FIXTURES) -> Transcript:
    paths = sorted(fixtures.glob("*.ami"))
    if not paths:
        raise SystemExit(f"no recorded transcripts (*.ami) in {fixtures}")
    templates = [_Template(path.read_bytes()) for path in paths]
    transcript = Transcript([], [], [], [path.name for path in paths])
    number = 0
    while transcript.events < min_events:
        template = templates[number % len(templates)]
        transcript.copies.append(template.copy(number))
        transcript.events_per_copy.append(template.events)
        transcript.calls_per_copy.append(template.calls)
        number += 1
    return transcript


# ---- the loopback "Asterisk": a child process, so it never competes for our GIL

def _serve(listener: socket.socket, copies: list[bytes], answer_login: bool) -> None:
    connection, _ = listener.accept()
    connection.sendall(GREETING)
    if answer_login:
        request = b""
        while b"\r\n\r\n" not in request:
            request += connection.recv(4096)
        match = re.search(rb"ActionID: ([^\r\n]*)", request)
        action_id = match.group(1) if match else b""
        connection.sendall(b"Response: Success\r\nActionID: " + action_id +
                           b"\r\nMessage: Authentication accepted\r\n\r\n")
    for copy in copies:
        connection.sendall(copy)
    connection.sendall(END_FRAME)
    connection.settimeout(CONSUMER_TIMEOUT_S)
    try:
        while connection.recv(65536):
            pass  # wait for the consumer to hang up: closing first could reset unread data
    except OSError:
        pass
    connection.close()


def serve(transcript: Transcript, answer_login: bool = False):
    """Start the server process; returns (port, process)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    context = multiprocessing.get_context("fork")
    process = context.Process(target=_serve, args=(listener, transcript.copies, answer_login),
                              daemon=True)
    process.start()
    listener.close()
    return port, process


def _finish(process) -> None:
    process.join(5)
    if process.is_alive():
        process.terminate()


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "(version unknown)"


def _is_end(message) -> bool:
    return message.get("Status") == "BenchEnd"


# ---- (a) stock pyst2

def measure_pyst2(transcript: Transcript) -> Result:
    from asterisk.manager import Manager

    port, process = serve(transcript)
    done = threading.Event()
    counted = [0]

    def on_event(event, _manager):
        counted[0] += 1
        if event.headers.get("Status") == "BenchEnd":
            done.set()

    manager = Manager()
    manager.register_event("*", on_event)
    started = time.perf_counter()
    manager.connect("127.0.0.1", port)
    finished = done.wait(CONSUMER_TIMEOUT_S)
    elapsed = time.perf_counter() - started
    # Its socket first: close() alone would send Logoff and wait for an answer.
    manager._sock.close()
    _finish(process)
    manager.message_thread.join(5)
    manager.close()
    note = f"a {transcript.events:,}-event slice (1 byte per recv)"
    return Result(f"(a) stock pyst2 {_version('pyst2')} Manager", counted[0] - 1 if finished else counted[0],
                  elapsed, note if finished else note + "; TIMED OUT")


# ---- (b) panoramisk

def measure_panoramisk(transcript: Transcript) -> Result:
    from panoramisk import Manager

    logging.getLogger("panoramisk").setLevel(logging.CRITICAL)  # its "Connection lost"
    # With a login, as with Asterisk: events before it would reach panoramisk's
    # protocol before its manager is attached.
    port, process = serve(transcript, answer_login=True)
    loop = asyncio.new_event_loop()
    done = loop.create_future()
    counted = [0]

    def on_event(_manager, message):
        counted[0] += 1
        if message.get("Status") == "BenchEnd" and not done.done():
            done.set_result(True)

    manager = Manager(loop=loop, host="127.0.0.1", port=port, username="bench",
                      secret="bench", ping_delay=10 ** 6,
                      reconnect_timeout=10 ** 6)
    manager.register_event("*", on_event)
    started = time.perf_counter()
    manager.connect()
    loop.run_until_complete(asyncio.wait_for(done, CONSUMER_TIMEOUT_S))
    elapsed = time.perf_counter() - started
    manager.close()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    _finish(process)
    return Result(f"(b) panoramisk {_version('panoramisk')}", counted[0] - 1, elapsed)


# ---- (c0) our parser alone

def measure_parser(transcript: Transcript) -> Result:
    from telephony.ami.adapter import RECV_BYTES
    from telephony.ami.protocol import AmiParser

    port, process = serve(transcript)
    parser = AmiParser()
    counted = 0
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        finished = False
        while not finished:
            data = sock.recv(RECV_BYTES)
            if not data:
                break
            messages = parser.feed(data)
            counted += len(messages)
            finished = bool(messages) and _is_end(messages[-1])
    elapsed = time.perf_counter() - started
    _finish(process)
    return Result("(c0) telephony AmiParser alone", counted - 1, elapsed,
                  "raw socket, every event parsed into an AmiMessage")


# ---- (c) the bridge's ingest path

def followed_events() -> frozenset:
    """The events the bridge asks Asterisk for (the same filter as in production)."""
    from telephony.bridge import FOLLOWED_EVENTS

    return FOLLOWED_EVENTS


def measure_ingest(transcript: Transcript) -> Result:
    from hotline.settings import get_settings
    from telephony.ami.client import AmiConnection
    from telephony.normalizer import normalize
    from telephony.state_machine import CallStateMachine

    settings = get_settings()
    machine = CallStateMachine(settings.ring_cadence_s, settings.wrapup_s,
                               local_area_code=settings.local_area_code)
    port, process = serve(transcript, answer_login=True)
    done = threading.Event()
    typed = [0]

    def on_event(message):
        if message.event == "FullyBooted" and _is_end(message):
            done.set()
            return
        for event in normalize(message):
            typed[0] += 1
            machine.apply(event)
            machine.take_changed()  # as Bridge.process does after each event

    connection = AmiConnection("127.0.0.1", port, "bench", "bench", on_event,
                               events=followed_events())
    started = time.perf_counter()
    connection.start()
    finished = done.wait(CONSUMER_TIMEOUT_S)
    elapsed = time.perf_counter() - started
    parsed = connection.manager._parser.stats
    connection.close()
    _finish(process)
    note = (f"{parsed['frames'] - 2:,} followed events parsed, {parsed['skipped_events']:,} "
            f"skipped by the filter, {typed[0]:,} typed events, {len(machine.calls):,} calls "
            f"in the state machine")
    return Result("(c) bridge ingest: AmiConnection -> parser -> normalizer -> state machine",
                  transcript.events if finished else 0, elapsed,
                  note if finished else note + "; TIMED OUT")


# ---- (d) persistence (bench/ami_persist.py)

def measure_persistence(transcript: Transcript) -> list[Result]:
    """(d) calls/s persisted (SQLite, PostgreSQL) and commit delay.

    bench/ami_persist.py `measure(transcript) -> list[Result]` (Result(unit="calls")
    for calls/s, the p99 delay in `note`) reads `transcript.copies` (the byte
    streams), `transcript.calls` (queue calls in them) and serves them with `serve()`.
    """
    from bench import ami_persist

    return ami_persist.measure(transcript)


# ---- report

def print_result(result: Result) -> None:
    print(f"{result.label:<76} {result.events:>10,} {result.unit} {result.seconds:8.2f} s "
          f"{result.rate:>12,.0f} {result.unit}/s")
    if result.note:
        print(f"{'':<6}{result.note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--pyst2-events", type=int, default=10_000)
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    parser.add_argument("--skip-persistence", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    started = time.perf_counter()
    transcript = build_transcript(args.events, args.fixtures)
    size_mb = sum(map(len, transcript.copies)) / 1e6
    print(f"transcript: {transcript.events:,} events, {transcript.calls:,} queue calls, "
          f"{size_mb:,.0f} MB, {len(transcript.copies):,} renumbered copies of "
          f"{', '.join(transcript.sources)}; built in {time.perf_counter() - started:.1f} s")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load} "
          "(other work on this machine skews every figure alike); "
          "server: a separate process on 127.0.0.1")
    pyst2 = measure_pyst2(transcript.head(args.pyst2_events))
    print_result(pyst2)
    results = [measure_panoramisk(transcript), measure_parser(transcript),
               measure_ingest(transcript)]
    for result in results:
        print_result(result)
    panoramisk, parser_only, ingest = results
    print("ratios (events/s):")
    for name, result in (("(b) panoramisk", panoramisk), ("(c0) parser", parser_only),
                         ("(c) ingest", ingest)):
        print(f"  {name:<15} = {result.rate / pyst2.rate:6.1f} x stock pyst2, "
              f"{result.rate / panoramisk.rate:5.2f} x panoramisk")
    verdict = "met" if ingest.rate >= 100_000 else "NOT met"
    print(f"target (c) >= 100,000 events/s: {verdict} ({ingest.rate:,.0f})")
    if not args.skip_persistence:
        persisted = measure_persistence(transcript)
        for result in persisted:
            print_result(result)
    print(f"total run time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
