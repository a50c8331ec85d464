"""Every application the rendered dialplan runs comes from a module modules.conf loads.

Found when the transfer rule used ExecIf: modules.conf loads explicitly
(autoload = no) and app_exec is not among them, so Asterisk logged "No
application 'ExecIf'" and hung the transferred caller up. Applications of the
core (Set, NoOp, Goto, GotoIf, Hangup, Wait, Answer, Return...) need no module.
"""
from __future__ import annotations

import re

import pytest

from hotline.lab_config import render_all
from hotline.settings import get_settings, load_settings

# Applications the dialplan may be tempted by, and the module each needs.
APPLICATION_MODULES = {
    "ExecIf": "app_exec.so", "Exec": "app_exec.so", "TryExec": "app_exec.so",
    "While": "app_while.so", "EndWhile": "app_while.so", "ExitWhile": "app_while.so",
    "Dial": "app_dial.so", "Queue": "app_queue.so", "Gosub": "app_stack.so",
    "MixMonitor": "app_mixmonitor.so", "Playback": "app_playback.so",
    "Read": "app_read.so", "AGI": "res_agi.so", "VoiceMail": "app_voicemail.so",
    "StartMusicOnHold": "res_musiconhold.so", "StopMusicOnHold": "res_musiconhold.so",
    "QueueLog": "app_queue.so", "System": "app_system.so",
}
STEP = re.compile(r"^\s*(?:exten\s*=>\s*[^,]+,[^,]+|same\s*=>\s*[^,]+),([A-Za-z]+)\(", re.M)


@pytest.fixture
def rendered(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_AMI_SECRET", "s3cret-for-test")
    get_settings.cache_clear()
    yield render_all(load_settings())
    get_settings.cache_clear()


def test_the_dialplan_runs_only_applications_of_loaded_modules(rendered):
    loaded = {line.split("=", 1)[1].strip() for line in rendered["modules.conf"].splitlines()
              if line.strip().startswith("load ")}
    used = set(STEP.findall(rendered["extensions.conf"]))
    assert {"Dial", "Queue", "Gosub"} <= used  # the pattern reads the dialplan's steps
    missing = {app: APPLICATION_MODULES[app] for app in used
               if app in APPLICATION_MODULES and APPLICATION_MODULES[app] not in loaded}
    assert missing == {}


def test_a_transfer_to_an_agent_dials_the_interface_they_are_logged_in_on(rendered):
    text = rendered["extensions.conf"]
    rule = text.split("exten => _80XX,1", 1)[1].split("\nexten =>", 1)[0]
    # The softphone when it is the queue's member, else the desk phone; one Dial.
    assert "${QUEUE_MEMBER_LIST(${HOTLINE_QUEUE})}" in rule and "PJSIP/webrtc-" in rule
    assert [line.strip() for line in rule.splitlines() if "Dial(" in line] == [
        "same => n,Dial(${TRANSFER_PHONE},30,t)"]
