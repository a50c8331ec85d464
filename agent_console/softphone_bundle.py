"""JsSIP's browser bundle, a build product like the console's sounds (assets.py).

JsSIP's npm package ships CommonJS only; esbuild (a pinned devDependency in
static/package.json) bundles it at build time (`hotline console build-assets`,
which setup.sh runs through compile-translations) into the state folder. The
bundle is never committed.
"""
from __future__ import annotations

import logging
import subprocess
from pathlib import Path

from agent_console.errors import AssetBuildError
from agent_console.vendor import NODE_MODULES
from hotline.atomic_files import replaced_atomically

log = logging.getLogger(__name__)

BUNDLE_NAME = "jssip.min.js"
ESBUILD = NODE_MODULES / ".bin" / "esbuild"
ENTRY = NODE_MODULES / "jssip" / "lib" / "JsSIP.js"
ESBUILD_TIMEOUT_S = 120


def bundle_path(state_dir: Path) -> Path:
    return Path(state_dir) / "console-assets" / BUNDLE_NAME


def build_jssip_bundle(state_dir: Path) -> Path:
    """Bundle JsSIP (window.JsSIP) into the state folder, atomically; return its path."""
    if not ESBUILD.exists() or not ENTRY.exists():
        raise AssetBuildError("JsSIP or esbuild is not installed: "
                              "(cd agent_console/static && npm ci)")
    target = bundle_path(state_dir)
    with replaced_atomically(target) as temporary:
        result = subprocess.run(
            [str(ESBUILD), str(ENTRY), "--bundle", "--format=iife", "--global-name=JsSIP",
             "--platform=browser", "--minify", "--log-level=error", f"--outfile={temporary}"],
            capture_output=True, text=True, timeout=ESBUILD_TIMEOUT_S)
        if result.returncode != 0:
            raise AssetBuildError(f"esbuild failed: {result.stderr.strip()[-300:]}")
    log.info("JsSIP bundle written to %s", target)
    return target
