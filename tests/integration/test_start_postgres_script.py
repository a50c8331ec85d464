"""scripts/start-postgres.sh against a real Debian PostgreSQL cluster of its own.

The test command captures the script's stdout as HOTLINE_TEST_POSTGRES_URL, so
stdout must hold the URL and nothing else, whatever state the cluster was left
in. CI once restored a machine whose cluster had died uncleanly: pg_ctlcluster
printed "Removed stale pid file." on stdout, that line became part of the URL,
and every PostgreSQL test failed at setup.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "start-postgres.sh"
CLUSTER = "hotline_script_test"
URL_LINE = re.compile(r"postgresql://hotline:[A-Za-z0-9]+@127\.0\.0\.1:\d+/hotline_test")


def _version() -> str:
    return sorted(Path("/usr/lib/postgresql").iterdir(), key=lambda p: int(p.name))[-1].name


def _drop_cluster() -> None:
    subprocess.run(["pg_dropcluster", "--stop", _version(), CLUSTER],
                   capture_output=True, check=False)


def _run_script(state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), CLUSTER], capture_output=True, text=True,
                          timeout=120, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                                            "HOTLINE_STATE_DIR": str(state_dir)})


def _data_dir() -> Path:
    return Path("/var/lib/postgresql") / _version() / CLUSTER


@pytest.fixture
def own_cluster(tmp_path):
    if shutil.which("pg_createcluster") is None:
        pytest.fail("Debian's postgresql-common is missing: ./setup.sh test installs it")
    _drop_cluster()
    yield tmp_path
    _drop_cluster()


def _assert_only_the_url(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert URL_LINE.fullmatch(result.stdout.rstrip("\n")), repr(result.stdout)
    url = result.stdout.strip()
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT current_user")).scalar() == "hotline"
    engine.dispose()
    return url


def test_creates_starts_and_prints_only_a_working_url(own_cluster):
    first = _assert_only_the_url(_run_script(own_cluster))
    again = _assert_only_the_url(_run_script(own_cluster))
    assert again == first


def test_a_stale_pid_file_after_an_unclean_stop_still_gives_only_the_url(own_cluster):
    _assert_only_the_url(_run_script(own_cluster))
    pid_file = _data_dir() / "postmaster.pid"
    stale_contents = pid_file.read_bytes()
    subprocess.run(["pg_ctlcluster", _version(), CLUSTER, "stop"], check=True)
    # What a machine that lost power (or was restored from a snapshot) leaves:
    # the pid file of a server that no longer runs.
    pid_file.write_bytes(stale_contents)
    shutil.chown(pid_file, "postgres", "postgres")

    result = _run_script(own_cluster)

    assert "stale pid file" in result.stderr.lower()
    _assert_only_the_url(result)
