"""The bridge against the real lab Asterisk: restart in the middle of calls.

Run under the lab lock: `flock /tmp/hotline-lab.lock .venv/bin/pytest -m lab ...`.
The bridge runs in-process with its own SQLite database and a recording sink
(not the live board's: the lab's Redis is shared); the fixtures (control, members,
lab_bridge, own_calls) are tests/support/lab_fixtures.py's.
"""
from __future__ import annotations

import time

import pytest

from telephony.ami.probe import wait_fully_booted
from telephony.bridge import Bridge
from tests import labtools
from tests.support.lab_calls import calls_by_id, originate, set_lab_phone

pytestmark = pytest.mark.lab


def test_bridge_follows_calls_through_an_asterisk_restart(lab, lab_bridge, control, members,
                                                        own_calls):
    bridge, sink, engine = lab_bridge
    for extension in ("8061", "8062"):
        set_lab_phone(control, extension, ring="1", talk="600")
        members.add(f"Local/{extension}@lab-phones/n", f"restart-{extension}")
    talking = [originate(control, lab, f"1380013{n:04d}", name, patience_s=600)
               for n, name in ((61, "张三"), (62, "O'Brien"))]
    labtools.wait_until(lambda: all(calls_by_id(engine, talking).get(c, {}).get("answered_at")
                         for c in talking), 20, "both calls answered")
    waiting = originate(control, lab, "13800130063", "李四", patience_s=600)
    labtools.wait_until(lambda: waiting in calls_by_id(engine), 10, "the third call queued")

    lab.cli("core restart now")
    labtools.wait_until(lambda: sink.count("bridge_disconnected"), 20, "the bridge saw Asterisk go")
    wait_fully_booted(lab.ami_host, lab.ami_port, lab.ami_user, lab.ami_secret, 90)
    booted = time.monotonic()
    labtools.wait_until(lambda: sink.count("bridge_resynced") >= 2, 10, "the bridge resynced")
    assert sink.last_time("bridge_resynced") - booted < 2.0

    mine = talking + [waiting]
    stored = labtools.wait_until(lambda: (lambda c: len(c) == 3 and all(r["outcome"] for r in c.values())
                               and c)(calls_by_id(engine, mine)), 10, "every call closed")
    for callid in talking:
        assert stored[callid]["outcome"] in ("answered", "ended_unseen")
        assert stored[callid]["agent_member"].startswith("restart-")
    assert stored[talking[0]]["caller_name"] == "张三"
    assert stored[talking[1]]["caller_name"] == "O'Brien"
    assert stored[waiting]["outcome"] in ("abandoned", "ended_unseen")

    # Following again: a call placed after the restart is stored from ring to end.
    labtools.wait_until(lambda: "restart-8061" in lab.cli("queue show hotline"), 10,
             "persistent members back after the restart")
    set_lab_phone(control, "8061", ring="1", talk="2")
    set_lab_phone(control, "8062", ring="1", talk="2")
    after = originate(control, lab, "13800130064", "王五", patience_s=60)
    record = labtools.wait_until(lambda: calls_by_id(engine, [after]).get(after, {}).get("outcome")
                      and calls_by_id(engine, [after])[after], 40, "the new call stored")
    assert record["outcome"] == "answered" and record["caller_name"] == "王五"
    assert 1 <= record["talk_s"] <= 3
    assert len(calls_by_id(engine)) == len(set(calls_by_id(engine)))


def test_calls_that_end_while_the_bridge_is_away_are_closed_from_queue_log(
        lab, lab_bridge, control, members, own_calls):
    from telephony.queue_log import compare_calls, read_queue_log, summarize_calls

    bridge, sink, engine = lab_bridge
    set_lab_phone(control, "8063", ring="1", talk="600")
    members.add("Local/8063@lab-phones/n", "away-8063")
    # lab-caller's pattern _X. needs two digits: patience of 10 s and more.
    answered = originate(control, lab, "13800130071", "张三", patience_s=10)
    labtools.wait_until(lambda: calls_by_id(engine, [answered]).get(answered, {}).get("answered_at"), 20,
             "the first call answered")
    abandoned = originate(control, lab, "13800130072", "李四", patience_s=10)
    labtools.wait_until(lambda: abandoned in calls_by_id(engine), 10, "the second call queued")
    bridge.stop()  # the bridge goes away; both calls end meanwhile
    labtools.wait_queue_log(lab, answered, "COMPLETECALLER", timeout_s=15)
    labtools.wait_queue_log(lab, abandoned, "ABANDON", timeout_s=15)
    assert all(r["outcome"] is None for r in calls_by_id(engine, [answered, abandoned]).values())

    again = Bridge(bridge.settings, engine, sinks=[])
    again.start()
    try:
        stored = labtools.wait_until(lambda: (lambda c: all(r["outcome"] for r in c.values()) and c)(
            calls_by_id(engine, [answered, abandoned])), 10, "both closed by the resync")
    finally:
        again.stop()
    assert (stored[answered]["outcome"], stored[answered]["hung_up_by"]) == ("answered", "caller")
    assert stored[answered]["caller_name"] == "张三" and 7 <= stored[answered]["talk_s"] <= 10
    assert stored[abandoned]["outcome"] == "abandoned"
    logged = summarize_calls(read_queue_log(lab.queue_log_path))
    mine = {c: logged[c] for c in (answered, abandoned)}
    assert compare_calls(stored, mine) == []


def _speech_wav(folder) -> None:
    """8 kHz mu-law speech for SIPp's rtp_stream (espeak-ng, then sox)."""
    import subprocess

    raw = folder / "voice.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(raw), "您好，物业服务中心，请讲"],
                   check=True, capture_output=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-e", "mu-law",
                    str(folder / "speech.wav")], check=True, capture_output=True)


def test_answered_call_is_recorded_with_its_real_duration(lab, lab_bridge, control, members,
                                                          own_calls, tmp_path):
    import shutil
    import subprocess

    from telephony.recordings import recording_path

    bridge, _, engine = lab_bridge
    _speech_wav(tmp_path)
    scenarios = labtools.SIPP_DIR
    phone = subprocess.Popen(
        [shutil.which("sipp"), "-sf", str(scenarios / "agent_phone_speech_uas.xml"), "-nostdin",
         "-i", "127.0.0.1", "-p", "5134", "-m", "1", "-mi", "127.0.0.1", "-mp", "16400"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        members.add("PJSIP/8034", "speech-8034")
        csv = tmp_path / "caller.csv"
        csv.write_text("SEQUENTIAL\n13800130081;O'Brien;\n", encoding="utf-8")
        caller = labtools.Sipp("caller_uac.xml", [
            "127.0.0.1:5060", "-i", "127.0.0.1", "-p", "5095", "-s", lab.hotline_number,
            "-inf", str(csv), "-m", "1", "-mp", "17300"], tmp_path / "sipp")
        assert caller.wait(30) == 0, caller.log_path.read_text(errors="replace")
    finally:
        phone.terminate()
        phone.wait(5)
    record = labtools.wait_until(lambda: next((r for r in calls_by_id(engine).values()
                                    if r["caller_number_raw"] == "13800130081"
                                    and r["recording_duration_s"] is not None), None),
                      15, "the call's recording measured")
    assert record["outcome"] == "answered" and record["caller_name"] == "O'Brien"
    path = recording_path(bridge.settings, record["callid"])
    assert record["recording_path"] == str(path.relative_to(bridge.settings.recordings_dir))
    assert record["recording_size_bytes"] == path.stat().st_size > 44
    # Option b records only while bridged: the talk time, to within a second.
    assert abs(record["recording_duration_s"] - record["talk_s"]) <= 1.0
    assert record["recording_duration_s"] >= 2.0
    assert _rms(path) > 0.01, "the recording holds no speech"


def _rms(path) -> float:
    import array
    import math
    import wave

    with wave.open(str(path)) as recording:
        samples = array.array("h", recording.readframes(recording.getnframes()))
    return math.sqrt(sum(s * s for s in samples) / max(1, len(samples))) / 32768
