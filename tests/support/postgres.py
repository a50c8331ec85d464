"""This test process's PostgreSQL database, on the server HOTLINE_TEST_POSTGRES_URL names.

The test command starts Debian's server (scripts/start-postgres.sh) and exports the
variable. A test that asks for PostgreSQL without it fails: a skip would hide a
missing service.
"""
from __future__ import annotations

import os

import pytest

_private_postgres_url: str | None = None


def _private_name() -> str:
    # A database of this process's own, so that parallel runs never share tables.
    return f"hotline_test_{os.getpid()}"


def postgres_url() -> str:
    """This process's PostgreSQL test database (made on first use, dropped at exit)."""
    global _private_postgres_url
    server_url = os.environ.get("HOTLINE_TEST_POSTGRES_URL")
    if not server_url:
        pytest.fail("HOTLINE_TEST_POSTGRES_URL is not set: run scripts/start-postgres.sh "
                    "(the test command does) and export its output")
    if not server_url.startswith("postgresql://") or "\n" in server_url.strip():
        pytest.fail("HOTLINE_TEST_POSTGRES_URL is not one postgresql:// URL "
                    "(scripts/start-postgres.sh prints exactly that)")
    if _private_postgres_url is None:
        from models.session import create_postgres_database

        _private_postgres_url = create_postgres_database(server_url, _private_name())
    return _private_postgres_url


def drop_private_database() -> None:
    """Drop the database postgres_url() made, if it made one (the end of the session)."""
    if _private_postgres_url is None:
        return
    from models.session import drop_postgres_database, engine_for

    engine_for.cache_clear()
    drop_postgres_database(os.environ["HOTLINE_TEST_POSTGRES_URL"], _private_name())
