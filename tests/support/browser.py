"""Debian's chromium under Playwright, launched one way for every browser test and bench.

The flags keep it off the network: no background services, and every host name
but 127.0.0.1 fails to resolve, so a page can make no DNS query.
"""
from __future__ import annotations

import contextlib
import shutil

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


@contextlib.contextmanager
def launched_chromium():
    """A headless chromium browser, closed on exit; fails if chromium is not installed."""
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM), "Debian's chromium is not installed"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_supervisor_menu(page) -> None:
    """Open the supervisors' menu of the top bar (base.html), where their links are."""
    page.wait_for_selector("#nav-supervisor > summary")
    if page.get_attribute("#nav-supervisor", "open") is None:
        page.click("#nav-supervisor > summary")


def shot_without_sideways_scroll(page, folder, name: str) -> None:
    """A full-page screenshot into `folder`, after checking the page does not scroll
    sideways at its viewport (1366×768 in the tests that use it)."""
    folder.mkdir(parents=True, exist_ok=True)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{name} scrolls sideways at 1366×768"
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
