"""The Asterisk configuration rendered from asterisk_conf/ for the hotline."""
from __future__ import annotations

import pytest

from hotline.lab_config import listed_modules, render_all
from hotline.settings import get_settings, load_settings


@pytest.fixture
def rendered(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_AMI_SECRET", "s3cret-for-test")
    get_settings.cache_clear()
    yield render_all(load_settings())
    get_settings.cache_clear()


def _section(text: str, name: str) -> str:
    return text.split(f"[{name}]", 1)[1].split("\n[", 1)[0]


def test_every_file_the_hotline_needs_is_rendered(rendered):
    for name in ("manager.conf", "pjsip.conf", "extensions.conf", "queues.conf",
                 "logger.conf", "modules.conf", "indications.conf"):
        assert name in rendered


def test_ami_is_on_loopback_with_the_generated_secret(rendered):
    manager = rendered["manager.conf"]
    assert "bindaddr = 127.0.0.1" in manager
    assert "secret = s3cret-for-test" in manager
    assert "permit = 127.0.0.1/255.255.255.255" in manager


def test_queue_follows_the_hotline_standards(rendered):
    hotline = _section(rendered["queues.conf"], "hotline")
    assert "servicelevel = 20" in hotline
    assert "ringinuse = no" in hotline
    assert "timeout = 15" in hotline  # 3 rings of 5 s
    assert "wrapuptime = 30" in hotline


def test_dialplan_records_and_queues_both_numbers(rendered):
    dialplan = rendered["extensions.conf"]
    assert "exten => 4000,1" in dialplan and "exten => 4001,1" in dialplan
    assert "MixMonitor(" in dialplan and "Queue(${HOTLINE_QUEUE}" in dialplan
    assert "agi://127.0.0.1:4573/fee_balance" in dialplan


def test_fifty_agent_phones_with_lab_contacts(rendered):
    pjsip = rendered["pjsip.conf"]
    assert pjsip.count("(agent-phone)") == 50
    assert "contact = sip:8001@127.0.0.1:5101" in pjsip
    assert "contact = sip:8050@127.0.0.1:5150" in pjsip


def test_modules_are_an_explicit_list(rendered):
    modules = rendered["modules.conf"]
    assert "autoload = no" in modules
    assert "load = app_queue.so" in modules and "load = chan_dahdi" not in modules


def test_write_timeout_is_set_where_asterisk_reads_it(rendered):
    # A per-user option: Asterisk logs "Invalid keyword" for it in [general].
    manager = rendered["manager.conf"]
    assert "writetimeout" not in _section(manager, "general")
    assert "writetimeout = 1000" in _section(manager, "hotline")


def test_agents_dial_filtered_digits_never_a_raw_exten(rendered):
    agents = _section(rendered["extensions.conf"], "agents")
    assert "Dial(Local/${FILTER(0-9*#+,${EXTEN})}@lab-residents,60)" in agents
    dial_lines = [line for line in agents.splitlines()
                  if "Dial(" in line and not line.startswith(";")]
    assert dial_lines and all("${EXTEN}" not in line.replace("${FILTER(0-9*#+,${EXTEN})}", "")
                              for line in dial_lines)


def test_the_bridge_ami_user_has_no_system_or_command_rights(rendered):
    bridge = _section(rendered["manager.conf"], "hotline")
    rights = {line.split("=")[0].strip(): {r.strip() for r in line.split("=")[1].split(",")}
              for line in bridge.splitlines() if line.startswith(("read ", "write "))}
    assert rights == {"read": {"system", "call", "agent"},
                      "write": {"call", "agent", "originate", "reporting"}}


def test_a_separate_test_only_ami_user_with_its_own_secret(rendered, tmp_path):
    tester = _section(rendered["manager.conf"], "hotline-test")
    secret = (tmp_path / "ami-test-secret").read_text().strip()
    assert f"secret = {secret}" in tester and secret != "s3cret-for-test"
    assert "write = system,call,agent,user,reporting,command,originate" in tester
    assert "permit = 127.0.0.1/255.255.255.255" in tester


def test_call_detail_records_go_to_one_csv_with_the_campaign_columns(rendered):
    # The campaigns' lab test reads them (telephony.cdr): every attempt, the
    # unanswered and busy ones too, named by uniqueid and userfield, in UTC.
    assert {"cdr_csv.so", "func_cdr.so"} <= set(listed_modules(rendered["modules.conf"]))
    general = _section(rendered["cdr.conf"], "general")
    assert "enable = yes" in general and "unanswered = yes" in general
    csv_options = _section(rendered["cdr.conf"], "csv")
    for option in ("usegmtime", "loguniqueid", "loguserfield", "newcdrcolumns"):
        assert f"{option} = yes" in csv_options


def test_listed_modules_are_the_load_lines_in_order():
    text = "[modules]\nautoload = no\n; load = chan_dahdi.so\nload = a.so\nnoload = b.so\n" \
           "load=c.so\nload =\n"
    assert listed_modules(text) == ["a.so", "c.so"]
