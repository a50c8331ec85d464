"""The oracle: 32 real SIP calls through the lab, stored by the bridge, checked by
`hotline verify-queue-log` against Asterisk's own queue_log (zero mismatches).

Mixed outcomes: 8 callers give up while every agent is away (ABANDON); 24 are
answered by 12 SIPp agent phones, and a 13th phone rings 3 s and is never picked up,
so calls that try it first (leastrecent prefers the member who took no call) ring
out (RINGNOANSWER) and move on to the next agent. About a minute.
Run under the lab lock: `flock /tmp/hotline-lab.lock .venv/bin/pytest -m lab ...`.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import labtools
from tests.support.lab_calls import attempts_of, calls_by_id, hang_up_calls_from
from tests.labtools import wait_until

pytestmark = pytest.mark.lab

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "sipp-oracle"
ANSWERING = [f"80{n}" for n in range(21, 33)]
NEVER_ANSWERS = "8033"
NAMES = ["张三", "李四", "O'Brien", "Wang Wu", "赵六", "Zoë"]
PREFIX = "1390013"


def _callers_csv(path: Path, first: int, count: int) -> Path:
    rows = [f"{PREFIX}{first + n:04d};{NAMES[n % len(NAMES)]};" for n in range(count)]
    path.write_text("SEQUENTIAL\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def _sipp_ok(process: labtools.Sipp, timeout_s: float) -> None:
    code = process.wait(timeout_s)
    assert code == 0, process.log_path.read_text(errors="replace")[-3000:]


def _abandoning_callers(lab, csv: Path, count: int) -> labtools.Sipp:
    return labtools.Sipp("caller_abandon_uac.xml", [
        "127.0.0.1:5060", "-i", "127.0.0.1", "-p", "5094", "-s", lab.hotline_number,
        "-inf", str(csv), "-m", str(count), "-r", "4", "-l", str(count), "-mp", "17200"],
        ARTIFACTS)


def _never_answering_phone() -> labtools.Sipp:
    port = 5100 + int(NEVER_ANSWERS) % 100
    return labtools.Sipp("agent_no_answer_uas.xml", [
        "-i", "127.0.0.1", "-p", str(port), "-m", "100", "-mp", "16300"], ARTIFACTS)


def _verify(settings, since: int) -> subprocess.CompletedProcess:
    hotline = Path(sys.executable).with_name("hotline")
    env = {**os.environ, "HOTLINE_DATABASE_URL": settings.database_url}
    return subprocess.run(
        [str(hotline), "verify-queue-log", str(settings.queue_log_path), "--since", str(since)],
        env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def phones():
    started: list[labtools.Sipp] = []
    yield started
    for phone in started:
        phone.stop()


def test_sipp_calls_match_queue_log(lab, lab_bridge, control, members, phones, tmp_path):
    bridge, _, engine = lab_bridge
    since = int(time.time())
    try:
        _place_calls(lab, members, phones, tmp_path)
        mine = wait_until(lambda: _all_closed(engine, 32), 60, "32 calls stored and closed")
    finally:
        hang_up_calls_from(control, PREFIX)

    outcomes = [call["outcome"] for call in mine.values()]
    assert outcomes.count("abandoned") == 8 and outcomes.count("answered") == 24
    rang_out = [callid for callid in mine
                if any(a["outcome"] == "no_answer" for a in attempts_of(engine, callid))]
    assert rang_out, "no call rang out on the phone that never answers"
    moved_on = mine[rang_out[0]]
    assert moved_on["outcome"] == "answered" and moved_on["agent_member"] != f"oracle-{NEVER_ANSWERS}"
    assert {call["caller_name"] for call in mine.values()} == set(NAMES)
    assert all(call["rings"] >= 1 for call in mine.values() if call["outcome"] == "answered")

    result = _verify(bridge.settings, since)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 mismatches" in result.stdout


def _place_calls(lab, members, phones, tmp_path) -> None:
    # 1. Nobody can answer: these callers give up after 2.5 s in the queue.
    _sipp_ok(_abandoning_callers(lab, _callers_csv(tmp_path / "abandon.csv", 1, 8), 8), 40)
    # 2. Twelve phones that answer after 2 s ring, one that rings 3 s and gives up.
    for extension in ANSWERING:
        phones.append(labtools.sipp_agent_phone(extension, ARTIFACTS, calls=10))
    phones.append(_never_answering_phone())
    time.sleep(0.5)  # the phones listen before Asterisk rings them
    for extension in ANSWERING + [NEVER_ANSWERS]:
        members.add(f"PJSIP/{extension}", f"oracle-{extension}")
    callers = labtools.Sipp("caller_uac.xml", [
        "127.0.0.1:5060", "-i", "127.0.0.1", "-p", "5093", "-s", lab.hotline_number,
        "-inf", str(_callers_csv(tmp_path / "answered.csv", 101, 24)), "-m", "24",
        "-r", "2", "-l", "24", "-mp", "17100"], ARTIFACTS)
    _sipp_ok(callers, 110)


def _all_closed(engine, count: int):
    mine = {callid: call for callid, call in calls_by_id(engine).items()
            if (call["caller_number_raw"] or "").startswith(PREFIX)}
    if len(mine) == count and all(call["outcome"] for call in mine.values()):
        return mine
    return None
