"""`hotline workflow sweep`: flag the deadlines due today and missed, once each,
and send any escalation notice still pending. Run it from cron, or with
`--every SECONDS` as a long-running process next to the console."""
from __future__ import annotations

import datetime as dt
import logging
import time
from zoneinfo import ZoneInfo

import click

from hotline.settings import get_settings
from workflow import department_members
from workflow.deadline_sweep import sweep
from workflow.department_sweep import sweep_departments

log = logging.getLogger(__name__)


def _parse_now(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(f"{text!r} is not an ISO time ({error})") from error
    if moment.tzinfo is None:
        raise click.BadParameter("--now needs a zone, e.g. 2026-12-02T10:00+08:00")
    return moment


@click.group("workflow")
def workflow_group() -> None:
    """Work-order workflow: deadlines, escalations."""


@workflow_group.command("sweep")
@click.option("--now", "now_text", help="Sweep as at this ISO time (default: the clock).")
@click.option("--every", type=click.IntRange(min=5), default=None,
              help="Repeat every SECONDS until interrupted.")
def sweep_command(now_text: str | None, every: int | None) -> None:
    """Flag each open order's deadlines (due today, missed) and notify."""
    from models.session import session_factory

    settings = get_settings()
    zone = ZoneInfo(settings.office_timezone)
    factory = session_factory(settings.database_url)
    department_members.install(factory)  # a notice for a department reaches its users
    fixed_now = _parse_now(now_text)
    while True:
        now = fixed_now or dt.datetime.now(dt.timezone.utc)
        with factory() as session:
            report = sweep(session, now, office_zone=zone)
            late = sweep_departments(session, now, office_zone=zone)
        click.echo(f"{now.isoformat()}: {report.orders_seen} open orders, "
                   f"{len(report.flags)} flags raised, "
                   f"{len(report.escalations_sent)} escalations sent")
        for notice in late:
            click.echo(f"  #{notice.work_order_id} {notice.department} late: {notice.deadline} "
                       f"(due {notice.due_at.astimezone(zone):%Y-%m-%d %H:%M})")
        for flag in report.flags:
            click.echo(f"  #{flag.work_order_id} {flag.deadline} {flag.flag} "
                       f"(due {flag.due_at.astimezone(zone):%Y-%m-%d %H:%M})")
        if every is None or fixed_now is not None:
            return
        time.sleep(every)


commands = [workflow_group]
