"""Commands this package adds to `hotline`: bridge, verify-queue-log, recordings,
dead-letters."""
from __future__ import annotations

import datetime as dt
import functools
import logging
import sys
from pathlib import Path
from typing import Optional

import click
from sqlalchemy import or_, select

from hotline.settings import get_settings

log = logging.getLogger(__name__)


@click.command("bridge")
def bridge_command() -> None:
    """Follow Asterisk over AMI: store calls, feed the live board and screen-pops."""
    from models.session import engine_for
    from hotline.bridge_root import run_bridge

    settings = get_settings()
    run_bridge(settings, engine_for(settings.database_url))


def parse_time(text: Optional[str]) -> Optional[float]:
    """POSIX seconds, or an ISO 8601 time (UTC when it names no zone)."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is neither POSIX seconds nor an ISO time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.timestamp()


def stored_calls(engine, since: Optional[float], until: Optional[float]) -> dict[str, dict]:
    from models.calls import Call
    from telephony.queue_log import in_period

    query = select(Call.__table__)
    if since is not None:
        # callid time <= entered time: an hour of slack for IVR time before the queue.
        earliest = dt.datetime.fromtimestamp(since - 3600, dt.timezone.utc)
        query = query.where(or_(Call.entered_queue_at.is_(None),
                                Call.entered_queue_at >= earliest))
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return {row["callid"]: dict(row) for row in rows if in_period(row["callid"], since, until)}


@click.command("verify-queue-log")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--since", help="Only calls that began at/after this time (POSIX or ISO).")
@click.option("--until", help="Only calls that began before this time (POSIX or ISO).")
def verify_queue_log_command(path: Path, since: Optional[str], until: Optional[str]) -> None:
    """Compare the stored calls with Asterisk's queue_log; exit 1 on any mismatch."""
    from models.session import engine_for
    from telephony.queue_log import compare_calls, in_period, read_queue_log, summarize_calls

    start, end = parse_time(since), parse_time(until)
    logged = {callid: call for callid, call in summarize_calls(read_queue_log(path)).items()
              if in_period(callid, start, end) and call.entered_at is not None}
    stored = stored_calls(engine_for(get_settings().database_url), start, end)
    mismatches = compare_calls(stored, logged)
    for line in mismatches:
        click.echo(line)
    click.echo(f"{len(stored)} stored calls, {len(logged)} in queue_log, "
               f"{len(mismatches)} mismatches")
    sys.exit(1 if mismatches else 0)


@click.group("recordings")
def recordings_group() -> None:
    """Call recordings (MixMonitor files)."""


@recordings_group.command("prune")
@click.option("--older-than", "older_than", required=True,
              help="Age like 180d, 12h: recordings of calls older than this are deleted.")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
def prune_command(older_than: str, dry_run: bool) -> None:
    """Delete old recordings, keeping any a work order or QA score refers to."""
    from sqlalchemy import update

    from models.calls import Call
    from models.session import engine_for, session_factory
    from telephony.recordings import parse_age, prune, referenced_callids

    settings = get_settings()
    try:
        age = parse_age(older_than)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--older-than") from None
    with session_factory(settings.database_url)() as session:
        result = prune(settings.recordings_dir, age,
                       lambda callids: referenced_callids(session, callids), dry_run=dry_run)
    if result["deleted"] and not dry_run:
        with engine_for(settings.database_url).begin() as connection:
            for start in range(0, len(result["deleted"]), 500):
                connection.execute(
                    update(Call).where(Call.callid.in_(result["deleted"][start:start + 500]))
                    .values(recording_path=None))
    verb = "would delete" if dry_run else "deleted"
    click.echo(f"{verb} {len(result['deleted'])} recordings; kept {len(result['kept'])} "
               f"referenced by a work order or QA score")


@click.group("dead-letters")
def dead_letters_group() -> None:
    """Call records the database refused for good, set aside by the bridge."""


def _dead_letter_engine():
    from sqlalchemy import inspect

    from models.session import engine_for

    url = get_settings().database_url
    engine = engine_for(url)
    if not inspect(engine).has_table("dead_letters"):
        raise click.ClickException(f"the database {url.split('@')[-1]} has no dead_letters "
                                     "table: run `hotline db upgrade` first")
    return engine


@dead_letters_group.command("list")
@click.option("--all", "include_resolved", is_flag=True, help="Also those replayed already.")
@click.option("--records", "show_records", is_flag=True, help="Show the refused records too.")
def dead_letters_list_command(include_resolved: bool, show_records: bool) -> None:
    """List the set-aside records with the database's error."""
    from telephony.dead_letters import list_dead_letters
    from telephony.spool import dumps

    letters = list_dead_letters(_dead_letter_engine(), include_resolved=include_resolved)
    for letter in letters:
        state = f"resolved {letter.resolved_at:%Y-%m-%d %H:%M:%S}" if letter.resolved_at \
            else f"tried {letter.attempts}x"
        click.echo(f"{letter.id}\t{letter.kind}\t{letter.record_key}\t"
                   f"{letter.created_at:%Y-%m-%d %H:%M:%S}Z\t{state}\t"
                   f"{letter.error_class}: {letter.error.splitlines()[0] if letter.error else ''}")
        if show_records:
            click.echo(f"\t{dumps(letter.records)}")
    click.echo(f"{len(letters)} dead letters")


@dead_letters_group.command("replay")
@click.argument("ids", nargs=-1, type=int)
def dead_letters_replay_command(ids: tuple[int, ...]) -> None:
    """Write set-aside records again (all open ones, or those IDs); exit 1 if any fail."""
    from telephony.call_writer import write_dead_letter
    from telephony.dead_letters import CALL_RECORD, list_dead_letters, replay

    engine = _dead_letter_engine()
    unknown = set(ids) - {letter.id for letter in list_dead_letters(engine, ids=ids)}
    if unknown:
        raise click.BadParameter(f"no open dead letter {', '.join(map(str, sorted(unknown)))}",
                                 param_hint="IDS")
    try:
        # Replayed on the host's own bridge settings: a call first stored here gets its host.
        write = functools.partial(write_dead_letter, host=get_settings().asterisk_host)
        results = replay(engine, {CALL_RECORD: write}, ids=ids)
    except Exception as error:  # noqa: BLE001 - replay raises only outages
        raise click.ClickException(f"the database is not answering: {error}") from error
    for result in results:
        click.echo(f"{result.id}\t" + ("written" if result.written
                                       else f"still refused: {result.error.splitlines()[0]}"))
    failed = sum(not result.written for result in results)
    click.echo(f"{len(results) - failed} written, {failed} still refused")
    sys.exit(1 if failed else 0)


commands: list = [bridge_command, verify_queue_log_command, recordings_group,
                  dead_letters_group]
