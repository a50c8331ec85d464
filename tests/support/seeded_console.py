"""A `hotline console` process of one browser test: its own SQLite database, filled by
the test before the console starts, and the test's private redis-server. Users log
in with console_stack's PASSWORD (console_stack.log_in)."""
from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import Any, Callable, Iterator

from werkzeug.security import generate_password_hash

import models
from bench.support import private_console, stop_processes
from hotline.settings import Settings, load_settings
from models.session import make_engine, session_factory
from tests.support.console_stack import PASSWORD


@dataclasses.dataclass(frozen=True)
class SeededConsole:
    base_url: str
    database_url: str
    redis_url: str
    settings: Settings   # the console's own, for parts a test runs in-process
    filled: Any          # what the test's fill returned (ids the test looks for)


def add_user(session, username: str, role: str, display_name: str, *,
             phone: str | None = None, language: str = "zh"):
    from models.console import User

    user = User(username=username, role=role, phone_interface=phone,
                display_name=display_name, language=language,
                password_hash=generate_password_hash(PASSWORD))
    session.add(user)
    return user


@contextlib.contextmanager
def seeded_console(folder: Path, redis_url: str,
                   fill: Callable[[Any], Any]) -> Iterator[SeededConsole]:
    """`fill(session)` writes the test's rows (committed here) and returns what the
    test needs of them; then the console starts, and stops when the block ends."""
    database_url = f"sqlite:///{folder / 'console.sqlite3'}"
    models.Base.metadata.create_all(make_engine(database_url))
    with session_factory(database_url)() as session:
        filled = fill(session)
        session.commit()
    process = None
    try:
        base = dataclasses.replace(load_settings(), state_dir=folder)
        settings, base_url, process = private_console(base, database_url, redis_url, folder)
        yield SeededConsole(base_url, database_url, redis_url, settings, filled)
    finally:
        stop_processes(process)
