"""The demo's conversation files, made with the real espeak-ng and sox: what SIPp's
rtp_stream sends (8 kHz mono 8-bit mu-law), both sides the same length, each side
speaking in its own windows and silent in the other's; kept while unchanged."""
from __future__ import annotations

import re
import subprocess

import pytest

from hotline import demo_speech
from hotline.errors import HotlineError


def _rms(path, start_s: float, end_s: float) -> float:
    done = subprocess.run(["sox", str(path), "-n", "trim", f"{start_s:.2f}", f"={end_s:.2f}",
                           "stat"], capture_output=True, text=True, check=True)
    return float(re.search(r"RMS\s+amplitude:\s+([0-9.]+)", done.stderr).group(1))


def _info(path, option: str) -> str:
    return subprocess.run(["soxi", option, str(path)], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def speech(tmp_path_factory):
    return demo_speech.build_speech(tmp_path_factory.mktemp("state"))


def test_both_sides_are_what_rtp_stream_sends(speech):
    for path in (speech.agent_wav, speech.caller_wav):
        assert (_info(path, "-r"), _info(path, "-c"), _info(path, "-e"), _info(path, "-b")) \
            == ("8000", "1", "u-law", "8")
    lengths = [float(_info(path, "-D")) for path in (speech.agent_wav, speech.caller_wav)]
    assert lengths[0] == pytest.approx(lengths[1], abs=0.01)
    assert lengths[0] == pytest.approx(speech.windows.length_s, abs=0.01)


def test_each_side_speaks_in_its_turn_and_is_silent_in_the_others(speech):
    greeting, request, reply = (speech.windows.agent_greeting, speech.windows.caller_request,
                                speech.windows.agent_reply)
    assert greeting.end_s < request.start_s < request.end_s < reply.start_s
    assert _rms(speech.agent_wav, greeting.start_s, greeting.end_s) > 0.05
    assert _rms(speech.agent_wav, reply.start_s, reply.end_s) > 0.05
    assert _rms(speech.agent_wav, request.start_s, request.end_s) < 0.001
    assert _rms(speech.caller_wav, request.start_s, request.end_s) > 0.05
    assert _rms(speech.caller_wav, greeting.start_s, greeting.end_s) < 0.001
    assert _rms(speech.caller_wav, reply.start_s, reply.end_s) < 0.001


def test_unchanged_files_are_kept_and_a_changed_recipe_rebuilds(tmp_path, monkeypatch):
    first = demo_speech.build_speech(tmp_path)
    made_at = first.agent_wav.stat().st_mtime_ns
    again = demo_speech.build_speech(tmp_path)
    assert again == first and again.agent_wav.stat().st_mtime_ns == made_at
    monkeypatch.setattr(demo_speech, "TURN_GAP_S", 1.0)
    rebuilt = demo_speech.build_speech(tmp_path)
    assert rebuilt.windows.caller_request.start_s == pytest.approx(
        first.windows.agent_greeting.end_s + 1.0)


def test_a_missing_tool_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # neither espeak-ng nor sox on it
    with pytest.raises(HotlineError, match="espeak-ng is not installed"):
        demo_speech.build_speech(tmp_path / "state")
    assert not (tmp_path / "state" / "demo-speech" / demo_speech.MANIFEST).exists()
