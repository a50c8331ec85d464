"""A database URL of the same kind as the test's that does not answer: an outage."""
from __future__ import annotations

from sqlalchemy.engine import make_url


def unreachable_url(db_url: str, tmp_path) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'down.sqlite3'}"
    return make_url(db_url).set(port=1).render_as_string(hide_password=False)
