"""Migration 0014 (calls.host) on SQLite and PostgreSQL: calls stored before it get the
host their Uniqueid names (a systemname prefix) or the default one, and a downgrade
drops the column again."""
from __future__ import annotations

from sqlalchemy import inspect, text

from models import migrate
from models.session import make_engine

CALL_SQL = "INSERT INTO calls (callid, updated_at) VALUES (:callid, '2026-12-03 08:00:00+00:00')"


def test_0014_backfills_each_call_s_host_from_its_uniqueid(empty_db_url):
    migrate.upgrade(empty_db_url, "0013_night_log")
    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        for callid in ("1796164084.2", "b-1796164084.2", "site-7-1796164090.11", "x-y"):
            connection.execute(text(CALL_SQL), {"callid": callid})
    engine.dispose()

    migrate.upgrade(empty_db_url, "0014_call_host")
    engine = make_engine(empty_db_url)
    with engine.begin() as connection:
        hosts = dict(connection.execute(text("SELECT callid, host FROM calls")).all())
        connection.execute(text(CALL_SQL), {"callid": "1796164099.1"})
        later = connection.execute(text(
            "SELECT host FROM calls WHERE callid = '1796164099.1'")).scalar_one()
    assert hosts == {"1796164084.2": "main", "b-1796164084.2": "b",
                     "site-7-1796164090.11": "site-7", "x-y": "main"}
    assert later == "main"  # a row written without a host (an old bridge's) gets the default
    engine.dispose()

    migrate.downgrade(empty_db_url, "0013_night_log")
    engine = make_engine(empty_db_url)
    assert "host" not in {column["name"] for column in inspect(engine).get_columns("calls")}
    engine.dispose()
