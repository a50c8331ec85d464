"""`hotline purge`: personal data past its retention period (maintenance/retention.ini).

Nothing a statistic counts is deleted: a call keeps its row, times, outcome, agent
and durations; its recording file goes (the row keeps the call, purged_recordings
says the file was purged), its caller number is masked. Identity numbers are masked
as screens show them; only the audit log loses rows. `find` (the dry run) and
`purge` read the same selections, so the dry run lists exactly what a purge takes.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from maintenance import personal_data as data
from maintenance.databases import table_names, target_of
from maintenance.errors import MaintenanceError
from maintenance.policy import RetentionPolicy
from maintenance.recording_files import on_disk
from models.retention import PurgedRecording, PurgeRun, PurgeRunKind

log = logging.getLogger(__name__)

BATCH = 500


@dataclasses.dataclass(frozen=True)
class KindResult:
    kind: str
    retention_days: int
    cutoff: dt.datetime
    count: int
    oldest: dt.datetime | None
    newest: dt.datetime | None


def require_purge_log(database_url: str) -> None:
    if "purge_runs" not in table_names(database_url):
        raise MaintenanceError(f"{target_of(database_url).shown} has no purge_runs table: "
                               "run `hotline db upgrade` first")


def _cutoff(now: dt.datetime, days: int) -> dt.datetime:
    return now - dt.timedelta(days=days)


def _span(kind: str, days: int, cutoff: dt.datetime, times: list) -> KindResult:
    present = [moment for moment in times if moment is not None]
    return KindResult(kind, days, cutoff, len(times), min(present, default=None),
                      max(present, default=None))


def find(session: Session, policy: RetentionPolicy, now: dt.datetime) -> list[KindResult]:
    """What a purge at `now` would take, per kind (the dry run: reads only)."""
    recordings = data.expired_recordings(session, _cutoff(now, policy.recordings_days),
                                         _cutoff(now, policy.referenced_recordings_days))
    numbers = _number_times(session, _cutoff(now, policy.caller_numbers_days))
    identities = data.expired_identities(session, _cutoff(now, policy.identity_numbers_days))
    audit = _audit_times(session, _cutoff(now, policy.audit_log_days))
    return [
        _span("recordings", policy.recordings_days, _cutoff(now, policy.recordings_days),
              [row.call_at for row in recordings]),
        _span("caller_numbers", policy.caller_numbers_days,
              _cutoff(now, policy.caller_numbers_days), numbers),
        _span("identity_numbers", policy.identity_numbers_days,
              _cutoff(now, policy.identity_numbers_days), [row.changed_at for row in identities]),
        _span("audit_log", policy.audit_log_days, _cutoff(now, policy.audit_log_days), audit),
    ]


def purge(session: Session, policy: RetentionPolicy, recordings_dir: Path,
          now: dt.datetime, run_by: str) -> PurgeRun:
    """Take what `find` lists and log the run (purge_runs, purge_run_kinds)."""
    started = time.monotonic()
    findings = {result.kind: result for result in find(session, policy, now)}
    run = PurgeRun(started_at=now, run_by=run_by[:64], policy_file=policy.source[:512])
    session.add(run)
    session.flush()
    deleted = _purge_recordings(session, run, policy, recordings_dir, now)
    _mask_numbers(session, _cutoff(now, policy.caller_numbers_days))
    _mask_identities(session, _cutoff(now, policy.identity_numbers_days))
    _delete_audit(session, _cutoff(now, policy.audit_log_days))
    for kind, result in findings.items():
        if kind == "recordings":
            result = _span(kind, result.retention_days, result.cutoff, deleted)
        run.kinds.append(PurgeRunKind(kind=kind, retention_days=result.retention_days,
                                      cutoff=result.cutoff, count=result.count,
                                      oldest=result.oldest, newest=result.newest))
    # On the clock the run was given, so a run told another `now` still ends after it began.
    run.finished_at = now + dt.timedelta(seconds=time.monotonic() - started)
    session.commit()
    return run


def _purge_recordings(session, run, policy, recordings_dir: Path, now) -> list:
    """Delete each expired file, then mark its call; the times of those purged."""
    expired = data.expired_recordings(session, _cutoff(now, policy.recordings_days),
                                      _cutoff(now, policy.referenced_recordings_days))
    purged = []
    for start in range(0, len(expired), BATCH):
        batch = expired[start:start + BATCH]
        done = [row for row in batch if _delete_file(row, recordings_dir)]
        for row in done:
            session.add(PurgedRecording(callid=row.callid, run_id=run.id, path=row.path,
                                        size_bytes=row.size_bytes, call_at=row.call_at))
        data.clear_recording_paths(session, [row.callid for row in done])
        session.commit()  # files gone and rows marked together, batch by batch
        purged.extend(row.call_at for row in done)
    return purged


def _delete_file(row, recordings_dir: Path) -> bool:
    path = on_disk(row.path, Path(recordings_dir))
    if path is None:
        log.warning("recording of %s already gone from disk (%s): marked purged", row.callid,
                    row.path)
        return True
    try:
        path.unlink()
    except OSError as error:
        log.error("could not delete the recording of %s (%s): %s; kept", row.callid, path,
                  error)
        return False
    return True


def _number_times(session: Session, cutoff: dt.datetime) -> list:
    times = []
    for target in data.NUMBER_TARGETS:
        times.extend(session.scalars(select(target.time_column)
                                     .where(target.expired(cutoff))))
    return times


def _mask_numbers(session: Session, cutoff: dt.datetime) -> None:
    for target in data.NUMBER_TARGETS:
        session.execute(update(target.table).where(target.expired(cutoff))
                        .values(target.masked_values())
                        .execution_options(synchronize_session=False))


def _mask_identities(session: Session, cutoff: dt.datetime) -> None:
    for row in data.expired_identities(session, cutoff):
        data.mask_identity(session, row)


def _audit_times(session: Session, cutoff: dt.datetime) -> list:
    times = []
    for table, column in data.AUDIT_TABLES:
        times.extend(session.scalars(select(column).where(column < cutoff)))
    return times


def _delete_audit(session: Session, cutoff: dt.datetime) -> None:
    for table, column in data.AUDIT_TABLES:
        session.execute(delete(table).where(column < cutoff)
                        .execution_options(synchronize_session=False))
