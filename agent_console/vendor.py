"""Front-end libraries, served from node_modules (installed by npm, never copied into git)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

bp = Blueprint("vendor", __name__)

NODE_MODULES = Path(__file__).resolve().parent / "static" / "node_modules"
# Only the built bundles are public, not the packages' whole trees.
SERVED_FOLDERS = ("socket.io-client/dist", "chart.js/dist", "@picocss/pico/css")


@bp.get("/vendor/<path:filename>")
def vendor_file(filename: str):
    if not any(filename.startswith(folder + "/") for folder in SERVED_FOLDERS):
        abort(404)
    # send_from_directory refuses paths that climb out of NODE_MODULES.
    return send_from_directory(NODE_MODULES, filename, max_age=3600)
