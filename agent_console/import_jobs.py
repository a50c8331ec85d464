"""Imports started from the console: the uploaded file waits in the state folder
under a random token, its job record in Redis (so any console worker can answer
the page's progress polls), and the import runs in a background thread with the
CLI's importer: all or nothing, idempotent, progress written as it goes."""
from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import threading
import time
from pathlib import Path

import redis

from households.errors import ImportRejected
from households.importing import import_households_file, import_ledger_file
from households.sheet_files import ImportLimits

log = logging.getLogger(__name__)

KEY = "hotline:import:{token}"
JOB_TTL_S = 24 * 3600
STALE_UPLOAD_S = 24 * 3600
# Progress is written every this many rows (and at the end): a Redis write per
# row would cost more than the row itself.
PROGRESS_STEPS = 100
STATES = ("ready", "checking", "writing", "done", "failed")
# A running import saves its record at least every 1 % of its rows; one silent this
# long died with its process (a restart): its transaction never committed.
STALE_JOB_S = 300


@dataclasses.dataclass
class ImportJob:
    token: str
    owner_id: int
    kind: str  # households | ledger
    community: str
    path: str
    state: str = "ready"
    done: int = 0
    total: int = 0
    result: dict = dataclasses.field(default_factory=dict)  # counts of the import
    problem_count: int = 0  # when the file was refused at the run (changed since preview)
    first_problem: dict = dataclasses.field(default_factory=dict)  # template, params, row...
    updated_at: float = 0.0  # time.time() of the last save

    @property
    def interrupted(self) -> bool:
        return (self.state in ("checking", "writing")
                and time.time() - self.updated_at > STALE_JOB_S)

    def save(self, client: redis.Redis) -> None:
        self.updated_at = time.time()
        fields = dataclasses.asdict(self)
        fields["result"] = json.dumps(self.result)
        fields["first_problem"] = json.dumps(self.first_problem, default=str)
        key = KEY.format(token=self.token)
        client.hset(key, mapping={k: str(v) for k, v in fields.items()})
        client.expire(key, JOB_TTL_S)

    @classmethod
    def load(cls, client: redis.Redis, token: str) -> ImportJob | None:
        raw = client.hgetall(KEY.format(token=token))
        if not raw:
            return None
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        return cls(token=fields["token"], owner_id=int(fields["owner_id"]), kind=fields["kind"],
                   community=fields["community"], path=fields["path"], state=fields["state"],
                   done=int(fields["done"]), total=int(fields["total"]),
                   result=json.loads(fields["result"]),
                   problem_count=int(fields["problem_count"]),
                   first_problem=json.loads(fields["first_problem"]),
                   updated_at=float(fields.get("updated_at", 0)))


def upload_folder(state_dir: Path) -> Path:
    folder = Path(state_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def new_upload_path(state_dir: Path, suffix: str) -> tuple[str, Path]:
    """A fresh token and the path its upload is saved at; old uploads are swept."""
    folder = upload_folder(state_dir)
    cutoff = time.time() - STALE_UPLOAD_S
    for old in folder.glob("*.*"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass  # another worker swept it first
    token = secrets.token_urlsafe(18)
    return token, folder / f"{token}{suffix}"


class _Progress:
    """click.progressbar's shape (a context manager with update(n)) over the job record."""

    def __init__(self, job: ImportJob, client: redis.Redis, total: int):
        self.job, self.client = job, client
        self.step = max(1, total // PROGRESS_STEPS)
        job.state, job.total, job.done = "writing", total, 0
        job.save(client)

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return False

    def update(self, count: int) -> None:
        self.job.done += count
        if self.job.done % self.step == 0 or self.job.done == self.job.total:
            self.job.save(self.client)


def run_job(job: ImportJob, sessions, client: redis.Redis, limits: ImportLimits,
            local_area_code: str) -> ImportJob:
    """The import itself (in the background thread); the job record tells the outcome."""
    job.state = "checking"
    job.save(client)
    try:
        with sessions() as session:
            factory = lambda total: _Progress(job, client, total)  # noqa: E731
            if job.kind == "households":
                report = import_households_file(session, Path(job.path), job.community,
                                                factory, limits,
                                                local_area_code=local_area_code)
            else:
                report = import_ledger_file(session, Path(job.path), factory, limits)
        job.result = {"rows": report.rows, **dataclasses.asdict(report.result)}
        job.state, job.done = "done", job.total
    except ImportRejected as error:
        first = error.problems[0]
        message = first.message
        job.problem_count = len(error.problems)
        job.first_problem = {"row": first.row, "column": first.column,
                             "template": getattr(message, "template", "%(text)s"),
                             "params": getattr(message, "params", {"text": str(message)})}
        job.state = "failed"
    except Exception:  # noqa: BLE001 - the page must learn the import ended
        log.exception("import %s of %s failed", job.token, job.path)
        job.state = "failed"
    finally:
        Path(job.path).unlink(missing_ok=True)
    job.save(client)
    log.info("import %s (%s): %s, %d rows", job.token, job.kind, job.state, job.done)
    return job


def claim(client: redis.Redis, token: str) -> bool:
    """True for the one request that may run this upload: a double click or a second
    tab posting the same token at once gets False (HSETNX is atomic)."""
    return bool(client.hsetnx(KEY.format(token=token), "claimed", "1"))


def start_job(job: ImportJob, sessions, client: redis.Redis, limits: ImportLimits,
              local_area_code: str) -> threading.Thread:
    job.save(client)
    thread = threading.Thread(target=run_job, name=f"import-{job.token[:6]}", daemon=True,
                              args=(job, sessions, client, limits, local_area_code))
    thread.start()
    return thread
