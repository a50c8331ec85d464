"""`hotline lab up | down | status` against the real machine."""
from __future__ import annotations

import dataclasses
import os
import stat
import time
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from agent_console import MESSAGE_QUEUE_CHANNEL, message_queue
from hotline import lab as lab_module
from hotline.cli import main
from hotline.errors import LabError
from hotline.settings import get_settings
from telephony.ami.client import AmiConnection
from tests import labtools

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


# ---- who may talk to the lab: Redis's password, AMI rights, file modes ----------------

def test_redis_refuses_a_client_without_the_password(lab):
    port = redis.Redis.from_url(lab.redis_url).connection_pool.connection_kwargs["port"]
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=port, socket_timeout=2).set("hotline:intruder", "1")
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=port, password="guessed", socket_timeout=2).ping()
    assert redis.Redis.from_url(lab.redis_url, socket_timeout=2).ping()


def test_the_consoles_socketio_queue_publishes_with_the_password(lab):
    listener = redis.Redis.from_url(lab.redis_url, socket_timeout=5).pubsub()
    listener.subscribe(MESSAGE_QUEUE_CHANNEL)
    assert listener.get_message(timeout=2)["type"] == "subscribe"
    message_queue(lab.redis_url, write_only=True).emit("probe", {"n": 1}, namespace="/lab")
    deadline = time.monotonic() + 5
    published = None
    while published is None and time.monotonic() < deadline:
        published = listener.get_message(timeout=1)
    listener.close()
    assert published and b"probe" in published["data"]


def _ami(lab, user: str, secret: str) -> AmiConnection:
    connection = AmiConnection(lab.ami_host, lab.ami_port, user, secret,
                               lambda message: None, events=())
    connection.start()
    assert connection.wait_connected(10), f"no AMI login as {user}"
    return connection


def test_the_bridge_ami_user_may_not_run_commands_the_test_user_may(lab):
    bridge = _ami(lab, lab.settings.ami_user, lab.settings.ami_secret)
    tester = _ami(lab, lab.settings.test_ami_user, lab.settings.test_ami_secret)
    try:
        for action in ({"Action": "Command", "Command": "core show version"},
                       {"Action": "DBPut", "Family": "hotline-intruder", "Key": "k", "Val": "v"}):
            refused = bridge.send_action(action)
            assert not refused.ok and refused.text == "Permission denied", action
        shell = bridge.send_action({
            "Action": "Originate", "Channel": "Local/1@lab-caller/n", "Application": "System",
            "Data": "touch /tmp/hotline-intruder", "Async": "true"})
        assert not shell.ok
        # What the bridge does use still works.
        for action in ("QueueStatus", "QueueSummary", "CoreShowChannels"):
            assert bridge.send_action({"Action": action}).ok, action
        allowed = tester.send_action({"Action": "Command", "Command": "core show version"})
        assert allowed.ok and "Asterisk 22" in " ".join(allowed.message.multi("Output"))
    finally:
        bridge.close()
        tester.close()


def test_agents_dial_only_the_digits_of_a_hostile_extension(lab):
    # An agent phone dialling this would, with a raw ${EXTEN} in Dial(), also ring
    # a channel of the lab-phones context ("&" separates Dial's targets).
    hostile = "13900000001@lab-phones&Local/13900000002"
    filtered = "Local/1390000000113900000002@lab-residents-"
    with labtools.pyst2_manager(lab) as (manager, events):
        response = labtools.action(manager, {
            "Action": "Originate", "Channel": "Local/10@lab-caller/n", "Context": "agents",
            "Exten": hostile, "Priority": "1", "Async": "true", "Timeout": "10000"})
        assert response.get("Response") == "Success", response
        dialled = events.wait_for(lambda e: e.get("Event") == "DialBegin"
                                  and "@lab-residents-" in e.get("DestChannel", ""), 10)
        time.sleep(0.5)  # every target of the Dial() begins at once
        injected = events.matching(lambda e: e.get("Event") == "DialBegin"
                                   and "@lab-phones-" in e.get("DestChannel", ""))
    assert dialled["DestChannel"].startswith(filtered), dialled
    assert injected == []


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_state_files_and_secrets_are_private_after_up(lab):
    lab_module.up(lab.settings)
    state = lab.settings.state_dir
    assert _mode(state) == 0o700 and _mode(state / "lab") == 0o700
    for secret in (lab.settings.ami_secret_file, lab.settings.test_ami_secret_file,
                   lab.settings.redis_password_file, lab.settings.command_key_file,
                   state / "lab" / "redis.conf", state / "lab" / "lab.json"):
        assert _mode(secret) == 0o600, secret
    assert _mode(lab.root / "etc/asterisk/manager.conf") == 0o600
    assert _mode(lab.root / "etc/asterisk/extensions.conf") == 0o644
    # The password is in the 0600 config file, not on Redis's command line.
    redis_pid = lab_module._read_state(lab.settings).redis_pid
    cmdline = Path(f"/proc/{redis_pid}/cmdline").read_bytes().decode()
    assert lab.settings.redis_password not in cmdline
    assert "requirepass" in (state / "lab" / "redis.conf").read_text()


def test_status_never_prints_the_redis_password(lab):
    result = CliRunner().invoke(main, ["lab", "status"])
    assert result.exit_code == 0, result.output
    assert lab.settings.redis_password not in result.output
    assert "default:***@127.0.0.1:6390" in result.output
