"""Commands this package adds to `hotline` (see hotline/cli.py).

  hotline stats --from 2026-11-01 --to 2026-12-01 --by day [--queue Q] [--agent A]
                [--json] [--excel FILE]
  hotline stats verify --queue-log PATH [--from ...] [--to ...] [--queue Q] [--host H]
  hotline stats import-line [--queue-log PATH] [--host H] [--every S]
"""
from __future__ import annotations

import json
from pathlib import Path

import click

from call_queue import line_import
from call_queue.stats import export as stats_export, queue_log_check, report as stats
from call_queue.errors import QueueLogError
from call_queue.stats.sql import BUCKETS
from hotline.settings import get_settings
from models.session import session_factory


@click.group("stats", invoke_without_command=True)
@click.option("--from", "start", help="First day (YYYY-MM-DD, the office's), included.")
@click.option("--to", "end", help="Last day (YYYY-MM-DD, the office's), excluded.")
@click.option("--by", type=click.Choice(BUCKETS), default="day", show_default=True)
@click.option("--queue", default=None, help="Only this queue.")
@click.option("--agent", default=None, help="Only this agent (member interface, PJSIP/8001).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as JSON.")
@click.option("--excel", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the report to this .xlsx file.")
@click.pass_context
def stats_group(ctx, start, end, by, queue, agent, as_json, excel) -> None:
    """Call-centre statistics beside their norms (computed in SQL)."""
    if ctx.invoked_subcommand is not None:
        return
    if not start or not end:
        raise click.UsageError("--from and --to are required")
    settings = get_settings()
    zone = settings.office_timezone
    period = stats.make_period(stats.parse_day(start, "--from", zone),
                               stats.parse_day(end, "--to", zone), by, queue, agent, zone)
    with session_factory(settings.database_url)() as session:
        report = stats.compute_stats(session, period, settings)
    if excel:
        excel.write_bytes(stats_export.to_excel(report))
    click.echo(json.dumps(report, ensure_ascii=False, indent=1) if as_json
               else stats_export.to_text(report))


@stats_group.command("verify")
@click.option("--queue-log", "queue_log", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Asterisk's queue_log (default: HOTLINE_QUEUE_LOG).")
@click.option("--from", "start", help="First day; default: the file's first call.")
@click.option("--to", "end", help="Last day, excluded; default: just after the file's last call.")
@click.option("--queue", default=None)
@click.option("--host", default=None,
              help="The Asterisk host whose queue_log this is: compare with its calls only "
                   "(default: HOTLINE_ASTERISK_HOST when --queue-log is not given).")
def verify_command(queue_log, start, end, queue, host) -> None:
    """Recompute the queue measures from queue_log and compare with the database.

    With several Asterisk hosts, run it once per host with that host's queue_log."""
    settings = get_settings()
    if queue_log is None:  # this host's own queue_log: compare with its own calls
        queue_log, host = settings.queue_log_path, host or settings.asterisk_host
    zone = settings.office_timezone
    start = stats.parse_day(start, "--from", zone) if start else None
    end = stats.parse_day(end, "--to", zone) if end else None
    with session_factory(settings.database_url)() as session:
        result = queue_log_check.verify(session, settings, queue_log, start, end, queue,
                                        host=host)
    click.echo(json.dumps(result, ensure_ascii=False, indent=1))
    if result["differences"]:
        raise QueueLogError(f"{len(result['differences'])} measures differ from queue_log")
    click.echo(f"queue_log and database agree on {result['calls']} calls", err=True)


@stats_group.command("import-line")
@click.option("--queue-log", "queue_log", default=None,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Asterisk's queue_log (default: HOTLINE_QUEUE_LOG).")
@click.option("--host", default=None,
              help="The Asterisk host it belongs to (default: HOTLINE_ASTERISK_HOST).")
@click.option("--every", "every_s", type=click.FloatRange(min=1), default=None,
              help="Keep following the file, reading what was added every this many seconds.")
def import_line_command(queue_log, host, every_s) -> None:
    """Blocked calls and the announced waits, from queue_log into the statistics.

    Once (without --every) or as a follower beside the bridge, on the host where
    Asterisk writes queue_log (one per host)."""
    settings = get_settings()
    follower = line_import.LineFollower(queue_log or settings.queue_log_path,
                                        host or settings.asterisk_host)
    sessions = session_factory(settings.database_url)
    if every_s is None:
        result = follower.import_new(sessions)
        click.echo(f"{result.lines} queue_log lines: {result.blocked} blocked calls, "
                   f"{result.estimates} wait estimates (already stored ones kept)")
        return
    line_import.follow(follower, sessions, every_s)


commands = [stats_group]
