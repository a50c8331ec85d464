"""`hotline backup`, `hotline restore`, `hotline purge`.

    hotline backup --out /srv/backups/2026-12-03 [--with-recordings]
    hotline restore /srv/backups/2026-12-03 --database-url postgresql://…/hotline_new
    hotline purge --dry-run        # what the retention periods would take, per kind
    hotline purge                  # take it, and log the run (the supervisor sees it)
"""
from __future__ import annotations

from pathlib import Path

import click

from hotline.settings import get_settings


@click.command("backup")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="New or empty folder for the backup (made 0700).")
@click.option("--with-recordings", is_flag=True,
              help="Also copy the recordings the database refers to (else only their checksums).")
def backup_command(out_dir: Path, with_recordings: bool) -> None:
    """Back up the database (and list or copy its recordings) while the hotline runs."""
    from maintenance.backup import take_backup

    settings = get_settings()
    result = take_backup(settings.database_url, settings.recordings_dir, out_dir,
                         with_recordings)
    manifest = result.manifest
    counts = ", ".join(f"{manifest.row_counts.get(name, 0)} {name}"
                       for name in ("calls", "work_orders", "follow_ups"))
    click.echo(f"backed up the {manifest.database_kind} database at revision "
               f"{manifest.schema_revision} into {result.folder} in {result.seconds:.1f} s: "
               f"{counts}; {len(manifest.recordings)} recordings "
               f"({'copied' if with_recordings else 'checksums only'})")
    for entry in manifest.missing_recordings:
        click.echo(f"missing on disk: recording of call {entry.callid} ({entry.path})", err=True)


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--database-url", required=True,
              help="An EMPTY database to restore into (a new SQLite file or PostgreSQL database).")
@click.option("--recordings-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Recordings folder to check (and fill from the backup); default HOTLINE_RECORDINGS_DIR.")
def restore_command(folder: Path, database_url: str, recordings_dir: Path | None) -> None:
    """Restore a backup into an empty database; check its rows and recordings."""
    from maintenance.restore import restore_backup

    settings = get_settings()
    result = restore_backup(folder, database_url, recordings_dir or settings.recordings_dir)
    manifest = result.manifest
    click.echo(f"restored the backup of {manifest.taken_at:%Y-%m-%d %H:%M:%S} UTC "
               f"(revision {manifest.schema_revision}) in {result.seconds:.1f} s; rows match the "
               f"manifest; recordings: {result.recordings_ok} verified, "
               f"{result.recordings_copied} put back, {len(result.missing)} missing, "
               f"{len(result.damaged)} with another checksum")
    for entry in result.missing:
        click.echo(f"missing: recording of call {entry.callid} ({entry.path})", err=True)
    for entry in result.damaged:
        click.echo(f"checksum differs: recording of call {entry.callid} ({entry.path})", err=True)
    if result.needs_upgrade:
        click.echo(f"the backup is at revision {manifest.schema_revision}, this hotline at "
                   f"{result.head_revision}: run `hotline db upgrade` against it next")
    if result.missing or result.damaged:
        raise click.exceptions.Exit(1)


def _when(moment, zone) -> str:
    return "-" if moment is None else moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Only list what would go, per kind; change nothing.")
@click.option("--policy", "policy_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Retention periods file (default: maintenance/retention.ini).")
def purge_command(dry_run: bool, policy_file: Path | None) -> None:
    """Purge personal data past its retention period, and log the run."""
    import datetime as dt
    import getpass
    from zoneinfo import ZoneInfo

    from maintenance.policy import DEFAULT_POLICY_FILE, load_policy
    from maintenance.purge import find, purge, require_purge_log
    from models.session import session_factory

    settings = get_settings()
    policy = load_policy(policy_file or DEFAULT_POLICY_FILE)
    require_purge_log(settings.database_url)
    zone = ZoneInfo(settings.office_timezone)
    now = dt.datetime.now(dt.timezone.utc)
    with session_factory(settings.database_url)() as session:
        if dry_run:
            results = find(session, policy, now)
        else:
            results = purge(session, policy, settings.recordings_dir, now,
                            getpass.getuser()).kinds
        verb = "would purge" if dry_run else "purged"
        for result in results:
            click.echo(f"{verb} {result.kind}: {result.count} older than {result.retention_days} "
                       f"days (before {_when(result.cutoff, zone)}); oldest "
                       f"{_when(result.oldest, zone)}, newest {_when(result.newest, zone)}")
    if dry_run:
        click.echo("dry run: nothing was changed")


commands = [backup_command, restore_command, purge_command]
