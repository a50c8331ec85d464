"""`hotline asterisk-config render` makes a configuration a real Asterisk 22 runs,
and `check` finds what it lacks: a second host from the lab's root on 127.0.0.2
boots on the rendered files, a phone registers with its generated password,
AMI admits the bridge's address only, and the check passes; on the lab's own
Asterisk (no systemname) it warns."""
from __future__ import annotations

import csv
import os
import socket
import subprocess

import pytest

from tests.support.asterisk_host import hotline_command, start_rendered_host

pytestmark = pytest.mark.lab

HOST_ADDRESS = "127.0.0.2"
AMI_PORT = 5038
SECRET = "rendered host's AMI secret"


@pytest.fixture(scope="module")
def rendered(lab, tmp_path_factory):
    folder = tmp_path_factory.mktemp("asterisk-b")
    host, env = start_rendered_host(lab, folder, "b", HOST_ADDRESS, "127.0.0.10", SECRET)
    yield folder, env, host
    host.stop()


def _ami_login_from(source: str, user: str, secret: str) -> str:
    with socket.create_connection((HOST_ADDRESS, AMI_PORT), timeout=5,
                                  source_address=(source, 0)) as sock:
        sock.recv(1024)  # the greeting
        sock.sendall(f"Action: Login\r\nUsername: {user}\r\nSecret: {secret}\r\n\r\n".encode())
        return sock.recv(4096).decode()


def test_the_check_passes_on_the_rendered_host(rendered):
    folder, env, host = rendered
    (host.queue_log).touch()
    result = hotline_command(["asterisk-config", "check"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok      systemname: b" in result.stdout
    assert "MISSING" not in result.stdout and "WARNING" not in result.stdout


def test_ami_admits_only_the_bridges_address(rendered, lab):
    assert "Success" in _ami_login_from("127.0.0.1", lab.settings.ami_user, SECRET)
    assert "Authentication failed" in _ami_login_from("127.0.0.3", lab.settings.ami_user, SECRET)


def test_the_lab_has_no_test_user_or_simulated_phones_off_the_lab(rendered):
    folder, _, _ = rendered
    manager = (folder / "conf/manager.conf").read_text()
    assert "hotline-test" not in manager
    assert "[lab-phones]" not in (folder / "conf/extensions.conf").read_text()
    for name in ("manager.conf", "pjsip.conf", "phone-accounts.csv"):
        assert (folder / "conf" / name).stat().st_mode & 0o077 == 0, name


def _register(tmp_path, extension: str, password: str) -> subprocess.CompletedProcess:
    scenario = tmp_path / "register.xml"
    scenario.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<scenario name="register">
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[remote_ip]>;tag=[call_number]
To: <sip:[service]@[remote_ip]>
Call-ID: [call_id]
CSeq: 1 REGISTER
Contact: <sip:[service]@[local_ip]:[local_port]>
Expires: 60
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
REGISTER sip:[remote_ip] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[remote_ip]>;tag=[call_number]
To: <sip:[service]@[remote_ip]>
Call-ID: [call_id]
CSeq: 2 REGISTER
Contact: <sip:[service]@[local_ip]:[local_port]>
[authentication]
Expires: 60
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200"/>
</scenario>
""")
    return subprocess.run(["sipp", f"{HOST_ADDRESS}:5060", "-sf", str(scenario), "-s", extension,
                           "-au", extension, "-ap", password, "-i", "127.0.0.4", "-p", "0",
                           "-m", "1", "-timeout", "10", "-timeout_error", "-nostdin",
                           "-trace_err", "-error_file", str(tmp_path / "sipp-errors.log")],
                          capture_output=True, text=True, timeout=30, cwd=tmp_path)


def test_a_phone_registers_with_its_generated_password_only(rendered, tmp_path):
    folder, _, _ = rendered
    with (folder / "conf/phone-accounts.csv").open() as accounts:
        password = {row["extension"]: row["password"] for row in csv.DictReader(accounts)}["8002"]
    assert _register(tmp_path, "8002", password).returncode == 0
    assert _register(tmp_path, "8002", password + "x").returncode != 0


def test_rendering_again_keeps_the_phones_passwords(rendered):
    folder, env, _ = rendered
    before = (folder / "conf/phone-accounts.csv").read_text()
    result = hotline_command(["asterisk-config", "render", "--out", str(folder / "again"),
                       "--sip-bind", f"{HOST_ADDRESS}:5060", "--trunk", "127.0.0.10",
                       "--extensions", "8001-8003"], env)
    assert result.returncode == 0
    (folder / "again/phone-accounts.csv").write_text(before)
    hotline_command(["asterisk-config", "render", "--out", str(folder / "again"), "--sip-bind",
              f"{HOST_ADDRESS}:5060", "--trunk", "127.0.0.10", "--extensions", "8001-8004"], env)
    after = (folder / "again/phone-accounts.csv").read_text().splitlines()
    assert after[:4] == before.splitlines() and after[4].startswith("8004,")


def test_the_check_on_the_lab_warns_of_its_missing_systemname(lab):
    result = hotline_command(["asterisk-config", "check"], dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING systemname" in result.stdout and "MISSING" not in result.stdout
