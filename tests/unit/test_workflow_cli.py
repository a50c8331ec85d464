"""`hotline workflow sweep --now …` on a real database: flags printed and stored once."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from workflow import orders as service
from hotline.cli import main
from hotline.settings import get_settings
from models.complaints import DeadlineFlag
from models.session import make_engine
from tests.support.workflow_data import add_user
from workflow.intake import Intake, register

T0 = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.timezone.utc)


def run(monkeypatch, tmp_path, url, *args):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(main, ["workflow", "sweep", *args])
    finally:
        get_settings.cache_clear()


def test_sweep_command_flags_once(monkeypatch, tmp_path, db_url):
    factory = sessionmaker(make_engine(db_url), expire_on_commit=False)
    with factory() as session:
        add_user(session, "sam", "supervisor")
        agent = add_user(session, "alice", "agent")
        register(session, agent, service.OrderInput(
            kind="complaint", complaint_tier="important", category="service",
            description="rude reply at the front desk", call_at=T0), Intake(), "tok", T0,
            office_zone=ZoneInfo("Asia/Shanghai"))
    result = run(monkeypatch, tmp_path, db_url, "--now", "2026-12-02T11:30+08:00")
    assert result.exit_code == 0, result.output
    assert "#1 escalate missed" in result.output and "#1 dispatch missed" in result.output
    again = run(monkeypatch, tmp_path, db_url, "--now", "2026-12-02T11:31+08:00")
    assert "0 flags raised" in again.output
    with factory() as session:
        assert session.scalar(select(func.count(DeadlineFlag.id))) == 4  # due + missed each


def test_sweep_command_refuses_a_time_without_zone(monkeypatch, tmp_path, sqlite_url):
    result = run(monkeypatch, tmp_path, sqlite_url, "--now", "2026-12-02T11:30")
    assert result.exit_code == 2 and "needs a zone" in result.output
