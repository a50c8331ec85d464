"""Which database a URL names, how its own tools reach it, and whether it is empty."""
from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from maintenance.errors import MaintenanceError
from models.session import make_engine

SQLITE, POSTGRESQL = "sqlite", "postgresql"


@dataclasses.dataclass(frozen=True)
class Target:
    url: str
    kind: str
    sqlite_path: Path | None = None

    @property
    def shown(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)


def target_of(url: str) -> Target:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise MaintenanceError(f"{url}: a SQLite database in a file is needed")
        return Target(url, SQLITE, Path(parsed.database))
    if parsed.get_backend_name() == "postgresql":
        return Target(url, POSTGRESQL)
    raise MaintenanceError(f"{parsed.render_as_string(hide_password=True)}: "
                           "only SQLite and PostgreSQL databases are backed up")


def libpq_environment(url: str) -> dict[str, str]:
    """The connection as PG* variables, so the password never shows in a process list."""
    parsed = make_url(url)
    env = dict(os.environ)
    for name, value in (("PGHOST", parsed.host), ("PGPORT", parsed.port),
                        ("PGUSER", parsed.username), ("PGPASSWORD", parsed.password),
                        ("PGDATABASE", parsed.database)):
        if value is not None:
            env[name] = str(value)
    return env


def server_tool(url: str, tool: str) -> str:
    """The pg_dump / pg_restore of the server's own major version.

    Debian installs each version's tools in /usr/lib/postgresql/<major>/bin; the
    wrapper in /usr/bin picks one by cluster, which may not be the server's.
    """
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            number = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    finally:
        engine.dispose()
    own = Path(f"/usr/lib/postgresql/{number // 10000}/bin/{tool}")
    if own.is_file():
        return str(own)
    found = shutil.which(tool)
    if found is None:
        raise MaintenanceError(f"{tool} for PostgreSQL {number // 10000} is not installed "
                               f"(Debian: apt-get install postgresql-client-{number // 10000})")
    return found


def run_tool(command: list[str], url: str, stdout=None) -> None:
    result = subprocess.run(command, env=libpq_environment(url), stdout=stdout,
                            stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MaintenanceError(f"{Path(command[0]).name} failed: "
                               f"{message[-1] if message else f'exit {result.returncode}'}")


def table_names(url: str) -> list[str]:
    target = target_of(url)
    if target.kind == SQLITE and not target.sqlite_path.exists():
        return []
    engine = make_engine(url)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()
