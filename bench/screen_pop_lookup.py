"""Screen-pop lookup by caller number at 100,000 households, SQLite and PostgreSQL.

    .venv/bin/python bench/screen_pop_lookup.py [--households 100000] [--lookups 2000]
        [--postgres-url URL]   (default: $HOTLINE_TEST_POSTGRES_URL; the benchmark makes
                                and drops its own database `hotline_bench_screen_pop`)

For each database: load demo data (`hotline demo-data`, timed), add call history
and work orders, then time `match_caller` and the full `screen_pop_for_number`
for numbers drawn from the stored phones as callers dial them (+86, 0086, with
and without area code) plus 10 % unknown numbers, each with a call id (a fifth of
the calls came through the IVR, so the IVR-session lookup runs too). Baselines measured in the same
run: a primary-key fetch of one household, and the same lookup with the phone
index dropped. Target: p99 < 5 ms.
"""
from __future__ import annotations

import argparse
import datetime as dt
from decimal import Decimal
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

import models  # noqa: E402
from households.demo import make_demo_data  # noqa: E402
from households.matching import match_caller  # noqa: E402
from households.queries import analyze  # noqa: E402
from households.screen_pop import screen_pop_for_number  # noqa: E402
from households.terms import HouseholdTerms  # noqa: E402
from models.calls import Call  # noqa: E402
from models.console import User, WorkOrder  # noqa: E402
from models.households import Household, Phone  # noqa: E402
from models.ivr import IvrSession  # noqa: E402
from models.session import (  # noqa: E402
    create_postgres_database, drop_postgres_database, make_engine)

AS_OF = dt.date(2026, 11, 23)
# The default settings' terms (area 010), fixed so that figures compare across runs.
TERMS = HouseholdTerms("010", "Asia/Shanghai", Decimal("0.0003"))
BENCH_DB = "hotline_bench_screen_pop"
PHONE_INDEX = "ix_phones_normalized_household"


def percentiles(samples_s: list[float]) -> dict:
    ordered = sorted(samples_s)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"p50": pick(0.50), "p99": pick(0.99), "max": ordered[-1] * 1000,
            "mean": statistics.fmean(ordered) * 1000}


def fmt(stats: dict) -> str:
    return (f"p50 {stats['p50']:.3f} ms  p99 {stats['p99']:.3f} ms  "
            f"max {stats['max']:.3f} ms  mean {stats['mean']:.3f} ms")


def dialled_forms(rng: random.Random, key: str) -> str:
    """How the trunk may present a stored number."""
    if len(key) == 11 and key.startswith("1"):
        return rng.choice([key, "+86" + key, "0086" + key, "86" + key])
    if key.startswith("010"):
        return rng.choice([key, key[3:], "+86" + key[1:]])
    return rng.choice([key, "+86" + key[1:]])


def load(url: str, households: int, rng: random.Random) -> float:
    engine = make_engine(url)
    models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)
    started = time.perf_counter()
    with Session(engine) as session:
        make_demo_data(session, households, seed=1, as_of=AS_OF, local_area_code=TERMS.local_area_code)
        session.commit()
    demo_s = time.perf_counter() - started
    with Session(engine) as session:
        add_history(session, rng, households)
        session.commit()
        analyze(session)  # as `hotline demo-data` does after its load
    engine.dispose()
    return demo_s


def add_history(session: Session, rng: random.Random, households: int) -> None:
    """A call per household on average, and open work orders for one in ten."""
    keys = session.execute(select(Phone.normalized, Phone.household_id)).all()
    user = User(username="bench", password_hash="x", role="agent")
    session.add(user)
    session.flush()
    base = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    calls = [{"callid": f"bench-{i}", "caller_number": key, "caller_number_raw": key,
              "entered_queue_at": base + dt.timedelta(minutes=i * 3), "outcome": "answered"}
             for i, (key, _) in enumerate(rng.choices(keys, k=households))]
    orders = [{"idempotency_token": f"bench-{i}", "kind": "repair", "category": "other",
               "description": "漏水", "status": "new", "household_id": household_id,
               "created_by_id": user.id, "created_at": base, "call_at": base,
               "address": "", "contact_name": "", "contact_phone": "", "preferred_visit": "",
               "paid": False}
              for i, (_, household_id) in enumerate(rng.choices(keys, k=households // 10))]
    for start in range(0, len(calls), 5000):
        session.connection().execute(insert(Call.__table__), calls[start:start + 5000])
    # A fifth of the calls came through the IVR first.
    sessions = [{"callid": call["callid"], "linkedid": "", "channel": "", "script": "fee_balance",
                 "caller_number": call["caller_number"], "started_at": call["entered_queue_at"],
                 "outcome": "to_agent", "reason": "", "bad_entries": 0, "steps": []}
                for call in calls[::5]]
    for rows, table in ((orders, WorkOrder.__table__), (sessions, IvrSession.__table__)):
        for start in range(0, len(rows), 5000):
            session.connection().execute(insert(table), rows[start:start + 5000])


def sample_numbers(url: str, lookups: int, rng: random.Random) -> list[str]:
    engine = make_engine(url)
    with Session(engine) as session:
        keys = session.scalars(select(Phone.normalized)).all()
    engine.dispose()
    numbers = [dialled_forms(rng, rng.choice(keys)) for _ in range(lookups)]
    for index in range(0, lookups, 10):
        numbers[index] = "139" + f"{rng.randint(0, 99999999):08d}"  # mostly unknown
    return numbers


def interleaved(functions: dict, arguments: list) -> dict:
    """Wall-clock and thread-CPU samples, the functions taking turns on each argument
    so every one runs under the same machine load."""
    wall = {name: [] for name in functions}
    cpu = {name: [] for name in functions}
    for argument in arguments:
        for name, function in functions.items():
            started, started_cpu = time.perf_counter(), time.thread_time()
            function(argument)
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(time.thread_time() - started_cpu)
    return {name: (percentiles(wall[name]), percentiles(cpu[name])) for name in functions}


def measure(url: str, numbers: list[str], label: str) -> dict:
    engine = make_engine(url)
    with Session(engine) as session:
        ids = session.scalars(select(Household.id).limit(len(numbers))).all()
        for warm in numbers[:200]:
            screen_pop_for_number(session, warm, as_of=AS_OF, terms=TERMS)
        pairs = list(zip(numbers, ids * (len(numbers) // max(len(ids), 1) + 1)))
        results = interleaved({
            "pk fetch (baseline)": lambda pair: session.execute(
                select(Household.number).where(Household.id == pair[1])).one(),
            "match_caller": lambda pair: match_caller(session, pair[0], TERMS.local_area_code),
            # Each lookup carries a call id, so the IVR-session query runs too.
            "screen_pop_for_number": lambda pair: screen_pop_for_number(
                session, pair[0], callid=f"bench-{pair[1]}", as_of=AS_OF, terms=TERMS),
        }, pairs)
        session.rollback()
    with engine.begin() as connection:
        connection.execute(text(f"DROP INDEX {PHONE_INDEX}"))
    with Session(engine) as session:
        results.update(interleaved({"match_caller without phone index": lambda n: match_caller(
            session, n, TERMS.local_area_code)}, numbers[:50]))
    engine.dispose()
    print(f"\n{label} (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    for name, (wall, cpu) in results.items():
        print(f"  {name:34s} {fmt(wall)}  | CPU p50 {cpu['p50']:.3f} p99 {cpu['p99']:.3f} ms")
    pop, base = results["screen_pop_for_number"][0], results["pk fetch (baseline)"][0]
    unindexed = results["match_caller without phone index"][0]
    slower = unindexed["p50"] / results["match_caller"][0]["p50"]
    print(f"  screen-pop p50 = {pop['p50'] / base['p50']:.1f} × pk fetch p50; without the "
          f"phone index match_caller p50 is {slower:.0f} × slower")
    verdict = "meets" if pop["p99"] < 5 else "MISSES"
    print(f"  target screen-pop p99 < 5 ms (wall clock): {verdict}")
    return results


def postgres_bench_url(server_url: str) -> str:
    return create_postgres_database(server_url, BENCH_DB)


def drop_postgres_bench(server_url: str) -> None:
    drop_postgres_database(server_url, BENCH_DB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--postgres-url", default=os.environ.get("HOTLINE_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    targets = []
    with tempfile.TemporaryDirectory() as folder:
        targets.append(("SQLite", f"sqlite:///{Path(folder) / 'bench.sqlite3'}"))
        if args.postgres_url:
            targets.append(("PostgreSQL", postgres_bench_url(args.postgres_url)))
        else:
            print("no --postgres-url / HOTLINE_TEST_POSTGRES_URL: PostgreSQL not measured")
        try:
            for label, url in targets:
                demo_s = load(url, args.households, random.Random(7))
                print(f"\n{label}: demo-data {args.households} households in {demo_s:.1f} s "
                      f"({args.households / demo_s:.0f} households/s)")
                numbers = sample_numbers(url, args.lookups, random.Random(11))
                measure(url, numbers, f"{label}: {args.lookups} lookups by caller number, "
                                      f"{args.households} households")
        finally:
            if args.postgres_url:
                drop_postgres_bench(args.postgres_url)


if __name__ == "__main__":
    main()
