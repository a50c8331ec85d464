"""Music on hold for the lab's Asterisk, made with sox (no sound file is shipped).

A calm four-note chime (C5 E5 G5 C5 at a third of full scale), 8 kHz mono
16-bit WAV: Asterisk plays it in a loop (musiconhold.conf class "default").
"""
from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

HOLD_MUSIC_DIR = "var/lib/asterisk/moh-hotline"  # inside the Asterisk root
FILE_NAME = "hotline-hold.wav"
NOTES_HZ = (523.25, 659.25, 783.99, 523.25)
NOTE_S = 0.8


def sox_command(target: Path) -> list[str]:
    command = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(target)]
    for index, frequency in enumerate(NOTES_HZ):
        if index:
            command.append(":")
        command += ["synth", str(NOTE_S), "sine", str(frequency)]
    return command + ["vol", "0.3", "fade", "0.05", "0", "0.05"]


def build(root: Path) -> Path:
    """Make the hold music under the Asterisk root `root` (once); return the file."""
    folder = root / HOLD_MUSIC_DIR
    target = folder / FILE_NAME
    if target.exists():
        return target
    if shutil.which("sox") is None:
        raise FileNotFoundError("sox is needed to make the hold music (apt-get install sox)")
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    subprocess.run(sox_command(target), check=True, capture_output=True)
    target.chmod(0o644)
    log.info("hold music made: %s", target)
    return target
