"""Migration 0009 (department users) on SQLite and PostgreSQL: the role check widens
for 'department' and still refuses others, the department binding and the work
contact sheets come and go, and a downgrade leaves department users as disabled agents."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from models import migrate
from models.session import make_engine

USER_SQL = ("INSERT INTO console_users (username, password_hash, role, display_name, language,"
            " active, created_at) VALUES (:name, 'x', :role, :name, 'zh', :active,"
            " '2026-12-03 08:00:00+00:00')")


def _add_user(engine, name: str, role: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(USER_SQL), {"name": name, "role": role, "active": True})


def test_0009_up_and_down_with_a_department_user(empty_db_url):
    migrate.upgrade(empty_db_url, "0008_followup_attempts")
    engine = make_engine(empty_db_url)
    _add_user(engine, "agent01", "agent")
    with pytest.raises(IntegrityError):
        _add_user(engine, "eng-before", "department")  # 0008's check does not know it
    engine.dispose()

    migrate.upgrade(empty_db_url, "0009_department_users")
    engine = make_engine(empty_db_url)
    _add_user(engine, "eng01", "department")
    with pytest.raises(IntegrityError):
        _add_user(engine, "cashier01", "cashier")
    with engine.begin() as connection:
        eng_id = connection.execute(text(
            "SELECT id FROM console_users WHERE username = 'eng01'")).scalar_one()
        connection.execute(text("INSERT INTO user_departments (user_id, department) "
                                "VALUES (:id, 'engineering')"), {"id": eng_id})
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text("INSERT INTO user_departments (user_id, department) "
                                "VALUES (:id, 'kitchen')"), {"id": eng_id})
    tables = set(inspect(engine).get_table_names())
    assert {"user_departments", "department_tasks"} <= tables
    engine.dispose()

    migrate.downgrade(empty_db_url, "0008_followup_attempts")
    engine = make_engine(empty_db_url)
    tables = set(inspect(engine).get_table_names())
    assert not {"user_departments", "department_tasks"} & tables
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT username, role, active FROM console_users ORDER BY username")).all()
    assert [(name, role, bool(active)) for name, role, active in rows] == [
        ("agent01", "agent", True), ("eng01", "agent", False)]
    engine.dispose()
