"""`hotline lab up | down | status` against the real machine."""
from __future__ import annotations

import dataclasses
import os

import pytest
from click.testing import CliRunner

from hotline import lab as lab_module
from hotline.cli import main
from hotline.errors import LabError
from hotline.settings import get_settings

pytestmark = pytest.mark.lab


def _mounts() -> list[str]:
    with open("/proc/mounts") as mounts:
        return [line.split()[1] for line in mounts]


def test_up_on_a_running_lab_changes_nothing(lab):
    before = lab_module._read_state(lab.settings)
    info = lab_module.up(lab.settings)
    assert info["changed"] is False
    assert info["reloaded"] == []
    assert lab_module._read_state(lab.settings) == before
    assert lab_module.status(lab.settings)["asterisk_state"] == "running"
    assert "Asterisk 22" in lab.cli("core show version")


def test_up_on_a_running_lab_puts_back_a_configuration_left_changed(lab):
    before = lab_module._read_state(lab.settings)
    shared = dataclasses.replace(lab.settings, lab_shared_phone_port=5100)
    try:
        assert lab_module.reload(shared) == ["pjsip.conf"]
        assert "sip:8007@127.0.0.1:5100" in lab.cli("pjsip show aor 8007")
    finally:
        info = lab_module.up(lab.settings)
    assert info["reloaded"] == ["pjsip.conf"]
    assert "sip:8007@127.0.0.1:5107" in lab.cli("pjsip show aor 8007")
    assert lab_module._read_state(lab.settings) == before


def test_taken_port_is_one_clear_line_and_nothing_started(lab, tmp_path):
    # Another state folder: this "second lab" finds AMI's port held by the first.
    other = dataclasses.replace(lab.settings, state_dir=tmp_path)
    mounts_before = _mounts()
    with pytest.raises(LabError, match=r"port 5038/tcp \(AMI\) is already taken"):
        lab_module.up(other)
    assert not (tmp_path / "lab" / "lab.json").exists()
    assert _mounts() == mounts_before


def test_not_root_is_refused_before_anything(monkeypatch, tmp_path):
    settings = dataclasses.replace(get_settings(), state_dir=tmp_path)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root"):
        lab_module.up(settings)


def test_missing_debootstrap_is_refused(monkeypatch, tmp_path):
    settings = dataclasses.replace(get_settings(), state_dir=tmp_path,
                                   lab_root=tmp_path / "no-root-here")
    monkeypatch.setenv("PATH", str(tmp_path))  # no debootstrap on it
    with pytest.raises(LabError, match="debootstrap is not installed"):
        lab_module.up(settings)


def test_cli_status_prints_the_endpoints(lab):
    result = CliRunner().invoke(main, ["lab", "status"])
    assert result.exit_code == 0, result.output
    assert "asterisk: running, redis: running" in result.output
    assert "127.0.0.1:5038" in result.output
