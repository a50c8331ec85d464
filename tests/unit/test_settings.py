"""Settings: every variable checked at start, one line naming the bad one."""
from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from hotline.cli import main
from hotline.errors import SettingsError
from hotline.settings import get_settings, load_settings


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults_are_the_embedded_setup(tmp_path):
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    assert settings.ring_cadence_s == 5.0
    assert settings.service_level_s == 20
    assert settings.ami_host == "127.0.0.1"


@pytest.mark.parametrize("variable, value, words", [
    ("HOTLINE_AMI_PORT", "abc", "not a whole number"),
    ("HOTLINE_AMI_PORT", "70000", "outside"),
    ("HOTLINE_RING_CADENCE_S", "0", "outside"),
    ("HOTLINE_DATABASE_URL", "mysql://x/y", "scheme"),
    ("HOTLINE_REDIS_URL", "http://x", "scheme"),
    ("HOTLINE_FASTAGI_BIND", "127.0.0.1", "HOST:PORT"),
    ("HOTLINE_STEREO_RECORDING", "maybe", "yes/no"),
    ("HOTLINE_NUMBER", "40a0", "dialable"),
    ("HOTLINE_AMI_USER", "  ", "empty"),
])
def test_bad_value_names_the_variable(monkeypatch, variable, value, words):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.variable == variable
    assert words in str(raised.value)


def test_cli_prints_one_line_and_exits_2(monkeypatch):
    monkeypatch.setenv("HOTLINE_AMI_PORT", "abc")
    result = CliRunner().invoke(main, ["lab", "status"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "hotline: HOTLINE_AMI_PORT: 'abc' is not a whole number"]


def test_generated_secret_is_private_and_stable(monkeypatch, tmp_path):
    monkeypatch.delenv("HOTLINE_AMI_SECRET", raising=False)
    settings = load_settings()
    first = settings.ami_secret
    assert len(first) >= 24
    assert settings.ami_secret == first
    mode = stat.S_IMODE(os.stat(tmp_path / "ami-secret").st_mode)
    assert mode == 0o600


def test_secret_from_environment_wins(monkeypatch):
    monkeypatch.setenv("HOTLINE_AMI_SECRET", "from-env")
    assert load_settings().ami_secret == "from-env"


def test_help_lists_every_subcommand():
    import importlib

    from hotline.cli import COMMAND_MODULES

    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines()
              if line.strip()}
    contributed = {command.name for module in COMMAND_MODULES
                   for command in importlib.import_module(module).commands}
    assert {"lab", "db", "bridge", "console", "demo", "stats", "import"} <= contributed
    assert listed == contributed


# ---- Redis's password, the command key, the test-only AMI user ---------------------

def test_redis_url_carries_the_generated_password(monkeypatch, tmp_path):
    monkeypatch.delenv("HOTLINE_REDIS_PASSWORD", raising=False)
    settings = load_settings()
    password = (tmp_path / "redis-secret").read_text().strip()
    assert len(password) >= 24
    assert stat.S_IMODE(os.stat(tmp_path / "redis-secret").st_mode) == 0o600
    assert settings.redis_url == f"redis://default:{password}@127.0.0.1:6390/0"
    assert settings.redis_password == password
    assert load_settings().redis_url == settings.redis_url  # stable
    # Never printed, never in repr (pytest and tracebacks show repr).
    assert settings.redis_url_redacted == "redis://default:***@127.0.0.1:6390/0"
    assert password not in repr(settings)


def test_redis_password_from_environment_and_a_url_with_its_own_credential(monkeypatch):
    monkeypatch.setenv("HOTLINE_REDIS_PASSWORD", "p@ss/word")
    monkeypatch.setenv("HOTLINE_REDIS_URL", "unix:///run/redis/redis.sock?db=2")
    settings = load_settings()
    assert settings.redis_url == "unix://default:p%40ss%2Fword@/run/redis/redis.sock?db=2"
    assert settings.redis_password == "p@ss/word"
    monkeypatch.setenv("HOTLINE_REDIS_URL", "redis://bridge:own@127.0.0.2:6379/0")
    assert load_settings().redis_url == "redis://bridge:own@127.0.0.2:6379/0"


def test_authenticated_url_works_with_redis_py(monkeypatch):
    import redis

    monkeypatch.setenv("HOTLINE_REDIS_PASSWORD", "p@ss/word")
    kwargs = redis.Redis.from_url(load_settings().redis_url).connection_pool.connection_kwargs
    assert (kwargs["username"], kwargs["password"], kwargs["port"]) == \
        ("default", "p@ss/word", 6390)


def test_unwritable_password_file_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("HOTLINE_REDIS_PASSWORD", raising=False)
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("HOTLINE_REDIS_PASSWORD_FILE", str(tmp_path / "file" / "redis-secret"))
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert raised.value.variable == "HOTLINE_REDIS_PASSWORD_FILE"


def test_command_key_and_test_ami_secret_are_generated_private(monkeypatch, tmp_path):
    monkeypatch.delenv("HOTLINE_COMMAND_KEY", raising=False)
    settings = load_settings()
    key = settings.command_key
    assert isinstance(key, bytes) and len(key) >= 24 and settings.command_key == key
    assert settings.test_ami_user == "hotline-test"
    assert settings.test_ami_secret != settings.ami_secret
    for name in ("command-key", "ami-test-secret", "ami-secret"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600
    monkeypatch.setenv("HOTLINE_COMMAND_KEY", "from-env")
    assert load_settings().command_key == b"from-env"


def test_the_cli_makes_state_files_0600_and_folders_0700(tmp_path):
    import subprocess
    import sys

    state = tmp_path / "fresh" / "state"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("HOTLINE_") or key == "HOTLINE_TEST_POSTGRES_URL"}
    env.update(HOTLINE_STATE_DIR=str(state), HOTLINE_AMI_PORT="1")
    # `db upgrade` writes the SQLite database; the secret files come from the settings.
    result = subprocess.run([sys.executable, "-m", "hotline.cli", "db", "upgrade"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    for made in ("redis-secret", "hotline.sqlite3"):
        assert stat.S_IMODE((state / made).stat().st_mode) == 0o600, made
