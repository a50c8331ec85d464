"""Build products the console serves from the state folder: the ring sound and the
wallboard's alert.

Both are synthesised with sox at build time (`hotline console build-assets`,
also run by `compile-translations`, which setup.sh calls), never copied into git.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from flask import Blueprint, abort, send_file
from flask_login import login_required

from agent_console.errors import AssetBuildError
from agent_console.extensions import settings
from hotline.atomic_files import replaced_atomically

log = logging.getLogger(__name__)
bp = Blueprint("assets", __name__, url_prefix="/assets")

RING_FILE = "ring.wav"
# Two bursts of 440 + 480 Hz (the classic ring-back pair), then a pause; the page loops it.
RING_SOX_EFFECTS = ["synth", "0.8", "sine", "440", "synth", "0.8", "sine", "mix", "480",
                    "gain", "-8", "fade", "0.02", "0.8", "0.02", "pad", "0", "0.2",
                    "repeat", "1", "pad", "0", "1.2"]
# The wallboard's alert (a figure past its norm): three short high beeps, unlike the ring.
ALERT_FILE = "alert.wav"
ALERT_SOX_EFFECTS = ["synth", "0.16", "sine", "1319", "gain", "-6", "fade", "0.01", "0.16",
                     "0.03", "pad", "0", "0.09", "repeat", "2"]
SOX_TIMEOUT_S = 30


def assets_dir(state_dir: Path) -> Path:
    return Path(state_dir) / "console-assets"


def build_ring_sound(state_dir: Path) -> Path:
    """Write the ring sound into the state folder (atomically); return its path."""
    return _build_sound(state_dir, RING_FILE, RING_SOX_EFFECTS)


def build_alert_sound(state_dir: Path) -> Path:
    """Write the wallboard's alert sound into the state folder; return its path."""
    return _build_sound(state_dir, ALERT_FILE, ALERT_SOX_EFFECTS)


def _build_sound(state_dir: Path, name: str, effects: list[str]) -> Path:
    sox = shutil.which("sox")
    if sox is None:
        raise AssetBuildError("sox is not installed (Debian package sox)")
    target = assets_dir(state_dir) / name
    with replaced_atomically(target) as temporary:
        result = subprocess.run([sox, "-n", "-r", "16000", "-b", "16", "-c", "1", str(temporary),
                                 *effects], capture_output=True, text=True, timeout=SOX_TIMEOUT_S)
        if result.returncode != 0:
            raise AssetBuildError(f"sox failed: {result.stderr.strip()}")
    log.info("%s written to %s", name, target)
    return target


@bp.get("/ring.wav")
@login_required
def ring_sound():
    return _serve(RING_FILE, build_ring_sound)


@bp.get("/alert.wav")
@login_required
def alert_sound():
    return _serve(ALERT_FILE, build_alert_sound)


def _serve(name: str, build):
    path = assets_dir(settings().state_dir) / name
    if not path.exists():
        try:
            build(settings().state_dir)
        except AssetBuildError:
            log.exception("no %s", name)
            abort(503)
    return send_file(path, mimetype="audio/wav", max_age=3600)
