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
