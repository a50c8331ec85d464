"""The Asterisk configuration rendered from asterisk_conf/ for the hotline."""
from __future__ import annotations

import pytest

from hotline.lab_config import render_all
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
