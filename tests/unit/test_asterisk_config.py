"""`hotline asterisk-config render` for a real server, and the check's judgements
on AMI replies recorded from the lab's Asterisk 22 as the bridge's user."""
from __future__ import annotations

import csv
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from hotline.asterisk_check import (BRIDGE_ACTIONS, judge_actions, judge_context, judge_queue,
                                    judge_queue_log, judge_version)
from hotline.cli import main
from hotline.settings import get_settings
from telephony.ami.adapter import AmiResponse
from telephony.ami.protocol import AmiParser

TRANSCRIPT = Path(__file__).resolve().parents[1] / "fixtures/ami/asterisk-check-bridge-user.ami"
SERVER = ["--sip-bind", "127.0.0.5:5060", "--trunk", "127.0.0.10", "--trunk", "127.0.0.0/29",
          "--ami-bind", "127.0.0.2", "--bridge-address", "127.0.0.1", "--extensions", "8001-8003,8100"]


@pytest.fixture(autouse=True)
def _server_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOTLINE_AMI_SECRET", "the bridge's secret")
    monkeypatch.setenv("HOTLINE_OUTBOUND_DIAL", "PJSIP/${EXTEN}@carrier")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _render(out: Path, *options: str):
    return CliRunner().invoke(main, ["asterisk-config", "render", "--out", str(out), *options])


def _accounts(out: Path) -> dict[str, str]:
    with (out / "phone-accounts.csv").open() as accounts:
        return {row["extension"]: row["password"] for row in csv.DictReader(accounts)}


def test_a_server_gets_registering_phones_and_its_own_ami_bind(tmp_path):
    result = _render(tmp_path / "conf", *SERVER)
    assert result.exit_code == 0, result.output
    pjsip = (tmp_path / "conf/pjsip.conf").read_text()
    passwords = _accounts(tmp_path / "conf")
    assert list(passwords) == ["8001", "8002", "8003", "8100"]
    assert len(set(passwords.values())) == 4
    for extension, password in passwords.items():
        assert f"[{extension}-auth]\ntype = auth\nauth_type = userpass\nusername = {extension}\n" \
               f"password = {password}\n" in pjsip
    assert "contact = sip:" not in pjsip and "remove_existing = yes" in pjsip
    assert "bind = 127.0.0.5:5060" in pjsip and "match = 127.0.0.10/32,127.0.0.0/29" in pjsip
    manager = (tmp_path / "conf/manager.conf").read_text()
    assert "bindaddr = 127.0.0.2\n" in manager
    assert "permit = 127.0.0.1/255.255.255.255\n" in manager and "hotline-test" not in manager
    extensions = (tmp_path / "conf/extensions.conf").read_text()
    assert "[lab-" not in extensions and "Dial(PJSIP/${FILTER(0-9*#+,${EXTEN})}@carrier,60)" in extensions
    # A call centre's server keeps its call detail records too (cdr_csv).
    assert "enable = yes" in (tmp_path / "conf/cdr.conf").read_text()
    assert "load = cdr_csv.so" in (tmp_path / "conf/modules.conf").read_text()


def test_secrets_are_written_for_the_owner_only(tmp_path):
    _render(tmp_path / "conf", *SERVER)
    for name in ("manager.conf", "pjsip.conf", "phone-accounts.csv"):
        assert stat.S_IMODE((tmp_path / "conf" / name).stat().st_mode) == 0o600, name


def test_rendering_again_keeps_passwords_and_adds_new_phones(tmp_path):
    _render(tmp_path / "conf", *SERVER)
    first = _accounts(tmp_path / "conf")
    _render(tmp_path / "conf", *SERVER[:-1], "8001-8004,8100")
    again = _accounts(tmp_path / "conf")
    assert {extension: again[extension] for extension in first} == first
    assert len(again["8004"]) >= 16


def test_the_lab_render_is_unchanged_by_the_server_option(tmp_path, monkeypatch):
    from hotline.lab_config import render_all

    monkeypatch.setenv("HOTLINE_OUTBOUND_DIAL", "Local/${EXTEN}@lab-residents")
    get_settings.cache_clear()
    lab = render_all(get_settings())
    assert "[lab-phones]" in lab["extensions.conf"] and "hotline-test" in lab["manager.conf"]
    assert "contact = sip:8001@127.0.0.1:5101" in lab["pjsip.conf"] and "[8001-auth]" not in lab["pjsip.conf"]


@pytest.mark.parametrize("options, message", [
    (["--sip-bind", "127.0.0.5", "--trunk", "127.0.0.10"], "--sip-bind: '127.0.0.5' is not address:port"),
    (["--sip-bind", "x:5060", "--trunk", "127.0.0.10"], "--sip-bind: 'x' is not an IP address"),
    (["--sip-bind", "127.0.0.2:5060", "--trunk", "carrier.example"],
     "--trunk: 'carrier.example' is not an address or network"),
    (["--sip-bind", "127.0.0.2:5060", "--trunk", "127.0.0.10", "--extensions", "8050-8001"],
     "--extensions: '8050-8001' is not a range like 8001-8050"),
    (["--sip-bind", "127.0.0.2:5060", "--trunk", "127.0.0.10", "--extensions", "80]1"],
     "--extensions: '80]1' is not an extension (2-8 digits)"),
    (["--sip-bind", "127.0.0.2:5060", "--trunk", "127.0.0.10", "--bridge-address", "127.0.0.1/0"],
     "--bridge-address: '127.0.0.1/0' is not an IP address"),
])
def test_bad_options_are_refused_in_one_line_and_nothing_is_written(tmp_path, options, message):
    result = _render(tmp_path / "conf", *options)
    assert result.exit_code == 2
    assert result.output.strip().endswith(message)
    assert not list((tmp_path / "conf").glob("*.conf")) if (tmp_path / "conf").exists() else True


def test_the_labs_outbound_dial_is_refused_for_a_server(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_OUTBOUND_DIAL", "Local/${EXTEN}@lab-residents")
    get_settings.cache_clear()
    result = _render(tmp_path / "conf", *SERVER)
    assert result.exit_code == 2 and "HOTLINE_OUTBOUND_DIAL is the lab's" in result.output
    assert not (tmp_path / "conf").exists()


def test_a_queue_name_that_would_open_a_section_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_QUEUE", "hotline]\n[evil")
    get_settings.cache_clear()
    result = _render(tmp_path / "conf", *SERVER)
    assert result.exit_code == 2 and "HOTLINE_QUEUE" in result.output


def _replies() -> dict[str, AmiResponse]:
    """The transcript's replies by ActionID, each with its list events."""
    replies: dict[str, AmiResponse] = {}
    for message in AmiParser().feed(TRANSCRIPT.read_bytes()):
        action_id = message.action_id or ""
        if message.response is not None:
            replies[action_id] = AmiResponse(message)
        elif action_id in replies:
            replies[action_id].events.append(message)
    return replies


def test_the_labs_replies_are_judged_complete():
    replies = _replies()
    version = judge_version(replies["cs"])
    assert version[0].ok and version[0].detail.startswith("22.")
    assert not version[1].ok and not version[1].required  # the lab sets no systemname
    assert [finding.ok for finding in judge_actions(replies["lc"])] == [True]
    assert judge_queue("hotline", replies["qs"], 15)[0].ok
    assert judge_context("from-trunk", replies["dp"], ("4000", "4001")).ok


def test_what_is_missing_is_named():
    replies = _replies()
    assert judge_queue("nosuch", replies["qn"], 15)[0].detail == "not configured (queues.conf)"
    assert not judge_context("no-such-context", replies["dm"]).ok
    assert judge_context("from-trunk", replies["dp"], ("4999",)).detail == "has no extension 4999"
    without_queue_actions = AmiResponse(type(replies["lc"].message)(
        {name: value for name, value in replies["lc"].message.items() if not name.startswith("Queue")}))
    missing = judge_actions(without_queue_actions)
    assert {finding.subject for finding in missing} == {
        f"AMI action {action}" for action in BRIDGE_ACTIONS if action.startswith("Queue")}
    assert "module app_queue not loaded" in missing[0].detail


def test_a_queue_log_that_is_not_one_is_named(tmp_path):
    assert not judge_queue_log(tmp_path / "absent").ok
    (tmp_path / "queue_log").write_text("1700000000|123.4|hotline|NONE|ENTERQUEUE||4000|1\n")
    assert judge_queue_log(tmp_path / "queue_log").ok
    (tmp_path / "queue_log").write_text("<html>not a log</html>\n")
    assert "not a queue_log line" in judge_queue_log(tmp_path / "queue_log").detail
