"""`hotline demo-data` makes a month of orders the reports can show, and the reports
over it agree with counts taken straight from the tables."""
from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from sqlalchemy import func, select

from hotline.cli import main
from hotline.settings import get_settings
from models.console import FollowUp, WorkOrder
from models.session import session_factory
from reports import figures, periods

ZONE = "Asia/Shanghai"


def test_demo_month_and_its_reports(monkeypatch, tmp_path, db_url):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_OFFICE_TIMEZONE", ZONE)
    get_settings.cache_clear()
    try:
        made = CliRunner().invoke(main, ["demo-data", "--households", "200", "--as-of",
                                         "2026-11-30"])
    finally:
        get_settings.cache_clear()
    assert made.exit_code == 0, made.output
    assert "work orders" in made.output and "complaints" in made.output
    month = periods.month("2026-11", ZONE)
    in_month = (WorkOrder.call_at >= month.start, WorkOrder.call_at < month.end)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
    with session_factory(db_url)() as session:
        def count(*where):
            return session.scalar(select(func.count(WorkOrder.id)).where(*where))

        monthly = figures.monthly_analysis(session, month, now)
        timeliness = figures.repair_timeliness(
            session, periods.days(dt.date(2026, 11, 1), dt.date(2026, 11, 30), ZONE), now)
        complaints = count(WorkOrder.kind == "complaint", *in_month)
        repairs = count(WorkOrder.kind == "repair", *in_month)
        owed = count(WorkOrder.kind.in_(("repair", "complaint")), WorkOrder.done_at >= month.start,
                     WorkOrder.done_at < month.end)
        reopened_rounds = session.scalar(select(func.count(FollowUp.id)).where(
            FollowUp.satisfaction <= 2))
    assert complaints >= 30 and repairs >= 150
    assert monthly.complaints.registered == complaints
    assert 0 < monthly.complaints.invalid < complaints
    assert timeliness.total.repairs == repairs
    assert monthly.follow_ups.owed == owed
    assert monthly.follow_ups.reopened >= 1 and reopened_rounds >= 1
    assert 0.7 < monthly.follow_ups.satisfaction_rate < 1
    assert 0.5 < timeliness.total.dispatch_3_min_rate < 1
    assert timeliness.total.reopened >= 1
    # The planted trouble spots: three rooms' pipes, one building's lift.
    scopes = {(p.scope, p.category) for p in monthly.recurring}
    assert ("room", "plumbing") in scopes and ("building", "elevator") in scopes


def test_demo_month_opens_as_workbooks(tmp_path, sqlite_url):
    """Each report over a demo month written and read back (the file a cron job mails)."""
    import io

    from openpyxl import load_workbook

    from households.demo import make_demo_data
    from reports import render
    from reports.cli import catalogue_wording
    from reports.demo_orders import make_demo_orders

    now = dt.datetime(2026, 12, 1, 2, tzinfo=dt.timezone.utc)
    with session_factory(sqlite_url)() as session:
        made = make_demo_data(session, 120, as_of=dt.date(2026, 11, 30), local_area_code="0755")
        orders = make_demo_orders(session, made.community_id, as_of=dt.date(2026, 11, 30),
                                  time_zone=ZONE, seed=7, now=now)
        session.commit()
        reports = [figures.weekly_complaints(session, periods.week("2026-W47", ZONE), now),
                   figures.monthly_analysis(session, periods.month("2026-11", ZONE), now),
                   figures.repair_timeliness(session, periods.days(
                       dt.date(2026, 11, 1), dt.date(2026, 11, 30), ZONE), now)]
    assert orders.orders > 300
    with catalogue_wording(tmp_path, "zh", ZONE) as wording:
        books = [load_workbook(io.BytesIO(render.to_xlsx(r, wording))) for r in reports]
    weekly, monthly, timeliness = books
    assert weekly["投诉"].max_row == len(reports[0].lines) + 1
    assert len({sheet.title for sheet in monthly.worksheets}) == len(monthly.worksheets) == 9
    assert monthly["重复出现的问题"].max_row == len(reports[1].recurring) + 1
    assert timeliness["维修单"].max_row == reports[2].total.repairs + 1
