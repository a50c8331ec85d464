"""The demo's conversation: Mandarin phrases made with espeak-ng and sox into the
state folder, streamed by the demo's SIPp resident and agent phones.

Each side gets one 8 kHz mono 8-bit mu-law WAV (what SIPp's `rtp_stream` sends as
payload 0, PCMU) of the same length: the agent greets, the resident asks, the
agent answers; each side is silent while the other speaks. SIPp starts both
streams at the answer (the agent's on the ACK it receives, the resident's on the
ACK it sends: milliseconds apart) and loops them for as long as the call lasts,
so a recording holds the agent in `windows.agent_greeting` and the resident in
`windows.caller_request` (seconds from the answer).

Nothing here is committed: `build_speech` makes the files on demand (`hotline demo
speech`, and `hotline demo run` before it starts SIPp) and keeps them while their
recipe is unchanged.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from hotline.errors import HotlineError

log = logging.getLogger(__name__)

ESPEAK_VOICE = "cmn"
ESPEAK_SPEED_WPM = 190
RATE = 8000
# Between one side's phrase and the other's: a pause a listener hears as a turn.
TURN_GAP_S = 0.6
# After the agent's answer, before the conversation starts again (the loop).
TAIL_S = 2.0
AGENT_GREETING = "您好，物业服务中心，请讲。"
CALLER_REQUEST = "我家厨房水管漏水了，请派人来修。"
AGENT_REPLY = "好的，已为您报修，师傅马上上门。"
AGENT_FILE, CALLER_FILE, MANIFEST = "agent.wav", "caller.wav", "speech.json"


@dataclasses.dataclass(frozen=True)
class Window:
    start_s: float
    end_s: float


@dataclasses.dataclass(frozen=True)
class SpeechWindows:
    agent_greeting: Window
    caller_request: Window
    agent_reply: Window
    length_s: float


@dataclasses.dataclass(frozen=True)
class DemoSpeech:
    folder: Path
    agent_wav: Path
    caller_wav: Path
    windows: SpeechWindows


def speech_folder(state_dir: Path) -> Path:
    return Path(state_dir) / "demo-speech"


def _recipe() -> dict:
    return {"voice": ESPEAK_VOICE, "speed": ESPEAK_SPEED_WPM, "gap": TURN_GAP_S,
            "tail": TAIL_S, "phrases": [AGENT_GREETING, CALLER_REQUEST, AGENT_REPLY],
            "format": "8000/1/mu-law"}


def build_speech(state_dir: Path, force: bool = False) -> DemoSpeech:
    """Both sides' WAVs under <state_dir>/demo-speech/, made if missing or changed."""
    folder = speech_folder(state_dir)
    manifest = folder / MANIFEST
    if not force and manifest.is_file():
        stored = json.loads(manifest.read_text(encoding="utf-8"))
        if stored.get("recipe") == _recipe() and all(
                (folder / name).is_file() for name in (AGENT_FILE, CALLER_FILE)):
            return _speech(folder, stored["windows"])
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise HotlineError(f"demo speech: {tool} is not installed "
                               "(Debian packages espeak-ng, sox)")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hotline-speech-", dir=folder) as scratch:
        windows = _compose(Path(scratch))
        for name in (AGENT_FILE, CALLER_FILE):
            os.chmod(Path(scratch) / name, 0o644)
            os.replace(Path(scratch) / name, folder / name)
    manifest.write_text(json.dumps({"recipe": _recipe(),
                                    "windows": dataclasses.asdict(windows)},
                                   ensure_ascii=False, indent=1), encoding="utf-8")
    log.info("demo speech in %s (%.1f s a turn)", folder, windows.length_s)
    return _speech(folder, dataclasses.asdict(windows))


def _speech(folder: Path, windows: dict) -> DemoSpeech:
    parsed = SpeechWindows(**{key: Window(**value) for key, value in windows.items()
                              if key != "length_s"}, length_s=windows["length_s"])
    return DemoSpeech(folder, folder / AGENT_FILE, folder / CALLER_FILE, parsed)


def _compose(scratch: Path) -> SpeechWindows:
    greeting = _phrase(AGENT_GREETING, scratch / "greeting.wav")
    request = _phrase(CALLER_REQUEST, scratch / "request.wav")
    reply = _phrase(AGENT_REPLY, scratch / "reply.wav")
    g, r, a = (_seconds(path) for path in (greeting, request, reply))
    windows = SpeechWindows(
        agent_greeting=Window(0.0, g),
        caller_request=Window(g + TURN_GAP_S, g + TURN_GAP_S + r),
        agent_reply=Window(g + r + 2 * TURN_GAP_S, g + r + a + 2 * TURN_GAP_S),
        length_s=g + r + a + 2 * TURN_GAP_S + TAIL_S)
    # The agent: greeting, silence while the resident speaks, the answer, the tail.
    _concat(scratch / AGENT_FILE, [greeting, _silence(scratch, "a1", r + 2 * TURN_GAP_S),
                                   reply, _silence(scratch, "a2", TAIL_S)])
    _concat(scratch / CALLER_FILE, [_silence(scratch, "c1", g + TURN_GAP_S), request,
                                    _silence(scratch, "c2", TURN_GAP_S + a + TAIL_S)])
    return windows


def _phrase(text: str, target: Path) -> Path:
    raw = target.with_suffix(".espeak.wav")
    _run(["espeak-ng", "-v", ESPEAK_VOICE, "-s", str(ESPEAK_SPEED_WPM), "-w", str(raw),
          "--", text])
    # espeak's own lead-in and tail silence off, so the windows are the speech;
    # norm -3 dB: espeak's level varies by phrase, headroom for the codec.
    _run(["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
          str(target), "silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02",
          "0.5%", "reverse", "norm", "-3"])
    return target


def _silence(scratch: Path, name: str, seconds: float) -> Path:
    target = scratch / f"silence-{name}.wav"
    _run(["sox", "-n", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
          str(target), "trim", "0", f"{seconds:.3f}"])
    return target


def _concat(target: Path, parts: list[Path]) -> None:
    _run(["sox", *map(str, parts), "-r", str(RATE), "-c", "1", "-b", "8", "-e", "mu-law",
          str(target)])


def _seconds(path: Path) -> float:
    return float(_run(["soxi", "-D", str(path)]).strip())


def _run(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise HotlineError(f"demo speech: {argv[0]} failed: {error}") from error
    if done.returncode != 0:
        raise HotlineError(f"demo speech: {argv[0]} failed: {done.stderr.strip()[-300:]}")
    return done.stdout
