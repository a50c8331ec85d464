"""The agent desk's first paint after log-in, in Debian's chromium (Playwright).

A real `hotline console` process on a seeded SQLite database and a private
redis-server (tests.support.console_stack: demo households, the agent on a live
call so the desk has a household card to draw). Each run is a fresh browser
context: the log-in form is submitted and the desk that the redirect lands on is
timed with the browser's own clocks, counted from the log-in submit (the
navigation's start: POST /login, its redirect, then GET /console):

- first-contentful-paint (performance paint timing),
- DOMContentLoaded and load (navigation timing),
- card drawn: the household card filled from the socket's snapshot (performance.now()
  when #pop-household has its rows), and fee detail: card.js's on-demand fetch done.

    .venv/bin/python -m bench.console_paint [--runs 20]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.browser import launched_chromium  # noqa: E402
from tests.support.console_stack import PASSWORD, USERS, start_console_stack  # noqa: E402

TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  return {fcp: fcp ? fcp.startTime : null, dcl: nav.domContentLoadedEventEnd,
          load: nav.loadEventEnd};
}"""
CARD_DRAWN = "document.querySelector(\"#pop-household dd[data-field='rooms']\") !== null"
FEE_DETAIL = "document.getElementById('fee-detail') !== null"


def one_run(browser, base_url: str) -> dict:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.goto(base_url + "/login")
    page.fill("#username", USERS["agent"][0])
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(base_url + "/console")
    page.wait_for_load_state("load")
    page.wait_for_function(CARD_DRAWN, timeout=10_000)
    card = page.evaluate("performance.now()")
    page.wait_for_function(FEE_DETAIL, timeout=10_000)
    fee = page.evaluate("performance.now()")
    timings = page.evaluate(TIMINGS)
    context.close()
    # The polls above see the card up to one animation frame late: an upper bound.
    return {**timings, "card": card, "fee_detail": fee}


def _summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        stack_gen = start_console_stack(Path(folder), Path(folder) / "artifacts")
        stack = next(stack_gen)
        try:
            with launched_chromium() as browser:
                one_run(browser, stack.base_url)  # warm-up: templates, first connections
                runs = [one_run(browser, stack.base_url) for _ in range(args.runs)]
        finally:
            stack_gen.close()
    print(f"agent desk after log-in, {args.runs} runs, chromium 1366x768, from the log-in submit:")
    for key, name in (("fcp", "first contentful paint"), ("dcl", "DOMContentLoaded"),
                      ("load", "load"), ("card", "household card drawn"),
                      ("fee_detail", "fee detail fetched")):
        values = [run[key] for run in runs if run[key] is not None]
        print(f"  {name:24s} {_summary(values)}")


if __name__ == "__main__":
    main()
