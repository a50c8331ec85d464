"""Alembic migrations build exactly the models' schema, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import models
from models import migrate
from models.session import make_engine
from tests.support.postgres import postgres_url


def _empty_database(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    url = postgres_url()
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    return _empty_database(request, tmp_path)


def test_upgrade_head_matches_the_models(empty_db_url):
    migrate.upgrade(empty_db_url)
    engine = make_engine(empty_db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, models.Base.metadata)
    engine.dispose()
    assert differences == []


def test_downgrade_to_base_removes_every_table(empty_db_url):
    migrate.upgrade(empty_db_url)
    migrate.downgrade(empty_db_url, "base")
    engine = make_engine(empty_db_url)
    remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert remaining == set()
