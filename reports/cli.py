"""`hotline reports`: the seeds' periodic reports written to a file for a cron job
to mail, e.g. every Tuesday for the week before:

    hotline reports weekly-complaints --out /srv/reports/weekly.xlsx
    hotline reports weekly-complaints --week 2026-W48 --out f.xlsx
    hotline reports monthly --month 2026-11 --format json
    hotline reports repair-timeliness --from 2026-11-01 --to 2026-11-30 --out t.xlsx

Without a period: the week or month before today (office calendar); xlsx needs
--out, JSON goes to stdout without it. Words in Chinese unless --lang en.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import click

from reports import figures, periods, render
from reports.errors import ReportError

log = logging.getLogger(__name__)

BUILDERS = {"weekly-complaints": figures.weekly_complaints, "monthly": figures.monthly_analysis,
            "repair-timeliness": figures.repair_timeliness}


@contextlib.contextmanager
def catalogue_wording(state_dir: Path, language: str, time_zone: str):
    """The console's catalogue outside a request: a bare Flask app with Babel, so the
    labels (lazy strings of agent_console.labels) and message ids translate as in a page."""
    import flask_babel
    from flask import Flask

    from agent_console.i18n import compiled_translations_dir
    from agent_console.labels import label

    app = Flask("hotline-reports")
    app.config.update(BABEL_DEFAULT_LOCALE=language,
                      BABEL_TRANSLATION_DIRECTORIES=str(compiled_translations_dir(state_dir)))
    flask_babel.Babel(app, locale_selector=lambda: language)
    with app.test_request_context():
        yield render.Wording(flask_babel.gettext, label, ZoneInfo(time_zone))


def make_report(kind: str, period: periods.ReportPeriod, database_url: str,
                now: Optional[dt.datetime] = None):
    from models.session import session_factory

    now = now or dt.datetime.now(dt.timezone.utc)
    with session_factory(database_url)() as session:
        return BUILDERS[kind](session, period, now)


def _write(kind: str, period: periods.ReportPeriod, out: Optional[Path], fmt: str,
           language: str) -> None:
    from hotline.settings import get_settings

    settings = get_settings()
    report = make_report(kind, period, settings.database_url)
    if fmt == "json":
        text = json.dumps(render.to_json(report), ensure_ascii=False, indent=2)
        if out is None:
            click.echo(text)
            return
        out.write_text(text + "\n", encoding="utf-8")
    else:
        if out is None:
            raise ReportError("out", "an Excel file needs --out FILE.xlsx")
        with catalogue_wording(settings.state_dir, language, period.time_zone) as wording:
            out.write_bytes(render.to_xlsx(report, wording))
    log.info("%s %s written to %s", kind, period.label, out)
    click.echo(f"{out}: {kind} {period.label} ({period.first_day} – {period.last_day}, "
               f"{period.time_zone})")


def _today(time_zone: str) -> dt.date:
    return dt.datetime.now(ZoneInfo(time_zone)).date()


def _zone() -> str:
    from hotline.settings import get_settings

    return get_settings().office_timezone


_out = click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
                    help="File to write (JSON: stdout without it).")
_format = click.option("--format", "fmt", type=click.Choice(["xlsx", "json"]), default="xlsx",
                       show_default=True)
_language = click.option("--lang", "language", type=click.Choice(["zh", "en"]), default="zh",
                         show_default=True, help="Language of the workbook's words.")


@click.group("reports")
def reports_group() -> None:
    """Periodic reports: weekly complaints, monthly analysis, repair timeliness."""


@reports_group.command("weekly-complaints")
@click.option("--week", help="ISO week, e.g. 2026-W48 (default: the week before this one).")
@_out
@_format
@_language
def weekly_command(week: Optional[str], out, fmt, language) -> None:
    """《投诉周报表》: complaints of a Monday-Sunday week (office time)."""
    zone = _zone()
    period = periods.week(week, zone) if week else periods.week_before(_today(zone), zone)
    _write("weekly-complaints", period, out, fmt, language)


@reports_group.command("monthly")
@click.option("--month", help="e.g. 2026-11 (default: last month).")
@_out
@_format
@_language
def monthly_command(month: Optional[str], out, fmt, language) -> None:
    """《投诉、回访统计分析报表》: complaints, follow-ups, recurring problems of a month."""
    zone = _zone()
    period = periods.month(month, zone) if month else periods.month_before(_today(zone), zone)
    _write("monthly", period, out, fmt, language)


@reports_group.command("repair-timeliness")
@click.option("--from", "first", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "last", required=True, help="Last day (included), YYYY-MM-DD.")
@_out
@_format
@_language
def timeliness_command(first: str, last: str, out, fmt, language) -> None:
    """Repair timeliness: call -> dispatch -> arrival -> done, by category and department."""
    period = periods.days(periods.parse_day(first, "from"), periods.parse_day(last, "to"),
                          _zone())
    _write("repair-timeliness", period, out, fmt, language)


commands = [reports_group]
