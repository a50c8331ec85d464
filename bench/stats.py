"""Statistics page and wallboard push benchmark.

1. Data: N calls (default 1,000,000) spread over M months (default 12), with ring
   attempts left out, plus work orders (default 200,000), follow-ups, agent
   state spans, QA scores and IVR sessions, bulk-loaded (PostgreSQL COPY, SQLite
   executemany in one transaction). The databases are created afresh.
2. The full statistics page for one month (the data's second, in the office's
   time zone): by day, total, per queue, per agent, every source table, exactly
   as /supervisor/stats runs it (call_queue.stats.report.compute_stats), timed on PostgreSQL
   (target < 1 s) and SQLite (target < 2 s); best and median of several runs,
   the first run (cold) printed apart; the baseline is the same page for one day.
3. Wallboard push latency: the console as its own process with a private
   redis-server, a supervisor logged in over python-socketio (websocket), 100
   calls in progress, and the bridge's pipeline with LiveStateSink publishing
   each change through Socket.IO's Redis queue. Latency = AMI message handed to
   Bridge.on_message -> board received by the client (target p99 < 200 ms).

    .venv/bin/python bench/stats.py [--calls 1000000] [--orders 200000] [--months 12]
        [--postgres-url URL] [--skip-load] [--only queries|push]
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
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import func, select  # noqa: E402

from bench import stats_data  # noqa: E402
from call_queue.stats import report as stats  # noqa: E402
from hotline.settings import load_settings  # noqa: E402
from models.calls import Call  # noqa: E402
from models.session import session_factory  # noqa: E402


def second_month(url: str, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The data's second month in the office's zone (the first is partly empty)."""
    with session_factory(url)() as session:
        first = session.scalar(select(func.min(Call.entered_queue_at))).astimezone(ZoneInfo(zone))
    start = (first.replace(day=1) + dt.timedelta(days=32)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


def time_page(url: str, settings, start, end, runs: int) -> tuple[float, list[float], int]:
    """Seconds of each run of the whole page (4 groupings x all source tables)."""
    period = stats.make_period(start, end, "day", zone=settings.office_timezone)
    sessions = session_factory(url)
    timings = []
    for _ in range(runs):
        with sessions() as session:
            began = time.perf_counter()
            report = stats.compute_stats(session, period, settings)
            timings.append(time.perf_counter() - began)
    received = report["total"]["received"]["value"]
    return timings[0], timings[1:], received


def bench_queries(urls: dict, settings, runs: int) -> None:
    for name, url in urls.items():
        start, end = second_month(url, settings.office_timezone)
        cold, warm, received = time_page(url, settings, start, end, runs)
        one_day_cold, one_day, _ = time_page(url, settings, start, start + dt.timedelta(days=1),
                                             runs)
        target = 1.0 if name == "postgresql" else 2.0
        best, median = min(warm), statistics.median(warm)
        month = start.astimezone(ZoneInfo(settings.office_timezone))
        print(f"{name}: month {month:%Y-%m} ({settings.office_timezone}; {received} calls "
              f"in it), page by day + total + per queue + per agent: cold {cold:.3f} s, "
              f"warm best {best:.3f} s, median {median:.3f} s (target < {target} s: "
              f"{'met' if median < target else 'MISSED'})")
        print(f"  baseline one day: median {statistics.median(one_day):.3f} s; "
              f"month/day ratio {median / statistics.median(one_day):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres-url", default=os.environ.get("HOTLINE_BENCH_POSTGRES_URL"))
    parser.add_argument("--sqlite-path", default=str(Path(tempfile.gettempdir())
                                                     / "hotline-bench-stats.sqlite3"))
    parser.add_argument("--skip-load", action="store_true", help="reuse loaded databases")
    parser.add_argument("--only", choices=("queries", "push"))
    args = parser.parse_args()
    settings = load_settings()
    urls = {"sqlite": f"sqlite:///{args.sqlite_path}"}
    if args.postgres_url:
        urls = {"postgresql": args.postgres_url, **urls}
    else:
        print("no --postgres-url / HOTLINE_BENCH_POSTGRES_URL: PostgreSQL not measured")
    if args.only != "push":
        if not args.skip_load:
            for name, url in urls.items():
                seconds = stats_data.load(url, args.calls, args.orders, args.months)
                print(f"{name}: loaded {args.calls} calls + {args.orders} work orders "
                      f"over {args.months} months in {seconds:.1f} s")
        bench_queries(urls, settings, args.runs)
    if args.only != "queries":
        from bench import stats_push

        stats_push.run(settings, calls_in_progress=100, samples=300)


if __name__ == "__main__":
    main()
