"""The supervisor's call list (agent_console/supervisor/call_list.py) on a big table.

Data: bench/stats_data.py's generator (N calls over M months, work orders, QA
scores), loaded afresh; one household whose phone is a caller's number. Then one
busy office day's page is timed as the page runs it (count + 50 rows + what the
rows show): unfiltered first and last page, by agent, "not yet scored", by
household and by talk time; best and median of several runs, and PostgreSQL's
plan for the unfiltered page (it must use ix_calls_entered_queue_at).

    .venv/bin/python bench/call_list.py [--calls 1000000] [--months 12] [--runs 5]
        [--postgres-url URL] [--sqlite-path PATH] [--skip-load]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import and_, func, select, text  # noqa: E402

from agent_console.supervisor import call_list  # noqa: E402
from bench import stats_data  # noqa: E402
from models.calls import Call  # noqa: E402
from models.households import (  # noqa: E402
    Community, Household, Occupancy, Person, PersonRole, Phone, PhoneKind, RenovationStatus,
)
from models.session import make_engine, session_factory  # noqa: E402

ZONE = "Asia/Shanghai"


def add_household(url: str, number: str) -> None:
    with session_factory(url)() as session:
        community = Community(code="B1", name="bench")
        session.add(community)
        session.flush()
        household = Household(number="BENCH-1", community_id=community.id,
                              occupancy=Occupancy.OWNER_OCCUPIED,
                              renovation_status=RenovationStatus.COMPLETED)
        session.add(household)
        session.flush()
        person = Person(household_id=household.id, role=PersonRole.OWNER, name="bench")
        session.add(person)
        session.flush()
        session.add(Phone(person_id=person.id, household_id=household.id, raw=number,
                          normalized=number, kind=PhoneKind.MOBILE))
        session.commit()


def busiest_day(url: str) -> tuple[dt.date, str, str]:
    """The data's second month's 15th (office day), an agent and a caller of that day."""
    with session_factory(url)() as session:
        first = session.scalar(select(func.min(Call.entered_queue_at)))
        day = (first + dt.timedelta(days=45)).date()
        start, end = call_list.day_bounds(day, ZONE)
        call = session.scalar(select(Call).where(and_(
            Call.entered_queue_at >= start, Call.entered_queue_at < end,
            Call.agent_interface.is_not(None))).limit(1))
        return day, call.agent_interface, call.caller_number


def timed(url: str, wanted: call_list.CallFilter, runs: int) -> tuple[float, float, int, int]:
    sessions = session_factory(url)
    times, total, shown = [], 0, 0
    for _ in range(runs):
        with sessions() as session:
            began = time.perf_counter()
            page = call_list.find_calls(session, wanted, ZONE)
            times.append(time.perf_counter() - began)
            total, shown = page.total, len(page.rows)
    return min(times), statistics.median(times), total, shown


def explain(url: str, day: dt.date) -> str:
    start, end = call_list.day_bounds(day, ZONE)
    engine = make_engine(url)
    query = (select(Call.id).where(Call.entered_queue_at >= start, Call.entered_queue_at < end)
             .order_by(Call.entered_queue_at.desc(), Call.id.desc()).limit(50))
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as connection:
        rows = connection.execute(text(f"EXPLAIN {compiled}")).scalars().all()
    engine.dispose()
    return "\n    ".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres-url", default=os.environ.get("HOTLINE_BENCH_POSTGRES_URL"))
    parser.add_argument("--sqlite-path", default=str(Path(tempfile.gettempdir())
                                                     / "hotline-bench-calls.sqlite3"))
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    urls = {} if args.no_sqlite else {"sqlite": f"sqlite:///{args.sqlite_path}"}
    if args.postgres_url:
        urls = {"postgresql": args.postgres_url, **urls}
    for name, url in urls.items():
        if not args.skip_load:
            seconds = stats_data.load(url, args.calls, args.orders, args.months)
            print(f"{name}: loaded {args.calls} calls over {args.months} months in {seconds:.1f} s")
        day, agent, caller = busiest_day(url)
        if not args.skip_load:
            add_household(url, caller)
        filters = {
            "day, page 1": call_list.CallFilter(day=day),
            "day, last page": call_list.CallFilter(day=day, page=10_000),
            "by agent": call_list.CallFilter(day=day, agent=agent),
            "not yet scored": call_list.CallFilter(day=day, unscored=True),
            "by household": call_list.CallFilter(day=day, household="BENCH-1"),
            "talk 5:00-10:00": call_list.CallFilter(day=day, min_talk_s=300, max_talk_s=600),
        }
        for label, wanted in filters.items():
            best, median, total, shown = timed(url, wanted, args.runs)
            print(f"{name} {day} {label:<16}: best {best * 1000:7.1f} ms, median "
                  f"{median * 1000:7.1f} ms ({total} calls, {shown} shown)")
        if name == "postgresql":
            print("  plan of the day's page:\n    " + explain(url, day))


if __name__ == "__main__":
    main()
