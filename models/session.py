"""Engine and session factory, one per database URL."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the console read while the bridge writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(engine_for(url), expire_on_commit=False)


def create_postgres_database(server_url: str, name: str) -> str:
    """(Re)create database `name` on the server of `server_url`; return its URL.

    UTF-8 whatever the cluster's default: a cluster made under LANG=C (as apt does
    on a bare machine) defaults to SQL_ASCII, where residents' names would come
    back as bytes.
    """
    from sqlalchemy.engine import make_url

    drop_postgres_database(server_url, name)
    _run_as_admin(server_url, f'CREATE DATABASE "{name}" ENCODING \'UTF8\' '
                              f"LOCALE 'C.UTF-8' TEMPLATE template0")
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(server_url: str, name: str) -> None:
    """Drop database `name` (if there), closing any session still on it."""
    _run_as_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_as_admin(server_url: str, statement: str) -> None:
    # CREATE and DROP DATABASE cannot run inside a transaction.
    admin = make_engine(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(statement)
    admin.dispose()
