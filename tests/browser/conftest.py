"""Fixtures of the browser tests."""
from __future__ import annotations

import pytest

from tests.support.browser import launched_chromium


@pytest.fixture
def page():
    """A page of a fresh headless chromium at the desk's 1366×768."""
    with launched_chromium() as browser:
        yield browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
