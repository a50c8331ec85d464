"""FastAGI IVR benchmark: `python -m bench.fastagi_ivr [--households N] [--calls N] [--parallel N]`.

Fake Asterisks (threads speaking the FastAGI protocol over 127.0.0.1, replying
at once, as if every prompt took no time) call the real server running the
fee_balance flow over a SQLite database of the demo community: each call keys a
random household's room and the owner's phone suffix, hears the balance and
presses 0. Measured in one run:

  (a) baseline: the FastAGI adapter alone (pyst2 over socket files), a script
      sending the same number of NOOPs, no database;
  (b) the IVR: the server's think time per AGI step (reply sent → next command
      received), per call, and for the steps that wait on the database.

Printed: calls/s, p50/p99 of think time per step, the ratio (b)/(a).
"""
from __future__ import annotations

import argparse
import random
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import select

from bench.support import percentile

ENV = {"agi_network": "yes", "agi_network_script": "fee_balance",
       "agi_channel": "Local/4001@from-trunk-0001;2", "agi_callerid": "17000000001"}


def fake_call(port: int, uniqueid: str, keyed: list[str]) -> tuple[list[float], list[float]]:
    """One call; (think time of every step, think time after each keyed entry) in s."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    rfile = sock.makefile("r", encoding="utf-8", newline="\n")
    keyed = list(keyed)
    steps, after_input = [], []
    try:
        sock.sendall("".join(f"{k}: {v}\n" for k, v in
                             {**ENV, "agi_uniqueid": uniqueid}.items()).encode() + b"\n")
        sent_at, was_input = time.perf_counter(), False
        while line := rfile.readline():
            think = time.perf_counter() - sent_at
            steps.append(think)
            if was_input:
                after_input.append(think)
            was_input = line.startswith("GET DATA") and bool(keyed)
            reply = f"200 result={keyed.pop(0)}\n" if was_input else "200 result=0\n"
            sent_at = time.perf_counter()
            sock.sendall(reply.encode())
    finally:
        rfile.close()
        sock.close()
    return steps, after_input


def run_calls(port: int, calls: list[list[str]], parallel: int) -> tuple[float, list, list]:
    lock = threading.Lock()
    pending = list(enumerate(calls))
    steps, after_input = [], []

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                number, keyed = pending.pop()
            call_steps, call_after = fake_call(port, f"1800000000.{number}", keyed)
            with lock:
                steps.extend(call_steps)
                after_input.extend(call_after)
    threads = [threading.Thread(target=worker) for _ in range(parallel)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, steps, after_input


def demo_calls(factory, count: int, seed: int) -> list[list[str]]:
    from models.households import Person, PersonRole, Phone, Room

    with factory() as session:
        rooms = session.execute(select(Room.code, Phone.normalized)
                                .join(Phone, Phone.household_id == Room.household_id)
                                .join(Person, Person.id == Phone.person_id)
                                .where(Person.role == PersonRole.OWNER)).all()
    rng = random.Random(seed)
    return [[code.replace("-", "*"), phone[-4:], "0"] for code, phone in
            (rng.choice(rooms) for _ in range(count))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=5000)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--parallel", type=int, default=20)
    args = parser.parse_args()

    import models
    from hotline.settings import load_settings
    from households.demo import make_demo_data
    from households.terms import HouseholdTerms
    from models.session import make_engine, session_factory
    from telephony.ivr.fastagi import FastAgiServer
    from telephony.ivr.flow import FeeBalanceScript
    from telephony.ivr.data import DatabaseIvrBackend

    terms = HouseholdTerms.from_settings(load_settings())

    folder = Path(tempfile.mkdtemp(prefix="bench-ivr-"))
    url = f"sqlite:///{folder / 'ivr.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    factory = session_factory(url)
    with factory() as session:
        make_demo_data(session, households=args.households, seed=7, as_of=terms.today(),
                       local_area_code=terms.local_area_code)
        session.commit()
    calls = demo_calls(factory, args.calls, seed=11)

    ivr = FeeBalanceScript(DatabaseIvrBackend(factory, timeout_s=30, terms=terms), 8000)
    ivr_server = FastAgiServer(("127.0.0.1", 0), {"fee_balance": ivr})
    ivr_server.start()
    ivr_seconds, ivr_steps, db_steps = run_calls(ivr_server.port, calls, args.parallel)
    ivr_server.stop()
    steps_per_call = len(ivr_steps) // len(calls)

    def noops(agi):
        for _ in range(steps_per_call - 1):
            agi.execute("NOOP")
    base_server = FastAgiServer(("127.0.0.1", 0), {"fee_balance": noops})
    base_server.start()
    base_seconds, base_steps, _ = run_calls(base_server.port, [[] for _ in calls], args.parallel)
    base_server.stop()

    print(f"FastAGI fee_balance IVR: {len(calls)} calls, {args.parallel} at a time, "
          f"{args.households} households (SQLite), {steps_per_call} AGI steps a call")
    for label, seconds, steps in (("(a) adapter alone, NOOPs", base_seconds, base_steps),
                                  ("(b) IVR, every step", ivr_seconds, ivr_steps),
                                  ("(b) IVR, steps after a keyed entry (database)", ivr_seconds,
                                   db_steps)):
        print(f"  {label:48s} {len(calls) / seconds:8.1f} calls/s   think p50 "
              f"{percentile(steps, 0.5) * 1000:7.3f} ms  p99 {percentile(steps, 0.99) * 1000:7.3f} ms"
              f"  mean {statistics.fmean(steps) * 1000:7.3f} ms")
    print(f"  ratio IVR/adapter, p50 think per step: "
          f"{percentile(ivr_steps, 0.5) / percentile(base_steps, 0.5):.2f}x; "
          f"calls/s: {base_seconds / ivr_seconds:.2f}x")


if __name__ == "__main__":
    main()
