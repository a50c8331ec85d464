"""Logging in to the console through Flask's test client, as the unit tests do."""
from __future__ import annotations

import re

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'
                     r'|name="csrf-token" content="([^"]+)"')


def csrf_token_from(client, url: str = "/login") -> str:
    page = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1) or match.group(2)


def log_in(client, username: str, password: str = PASSWORD):
    token = csrf_token_from(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})
