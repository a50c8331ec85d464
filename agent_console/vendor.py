"""Front-end libraries, served from node_modules (installed by npm, never copied into git)."""
from __future__ import annotations

import posixpath
from pathlib import Path

from flask import Blueprint, abort, send_from_directory

bp = Blueprint("vendor", __name__)

NODE_MODULES = Path(__file__).resolve().parent / "static" / "node_modules"
# Only the built bundles are public, not the packages' whole trees.
SERVED_FOLDERS = ("socket.io-client/dist", "chart.js/dist", "@picocss/pico/css")


def served_path(filename: str) -> str | None:
    """The normalised path if it lies inside a served folder, else None.

    Normalised first: `socket.io-client/dist/../package.json` starts with a served
    folder but names a file outside it (still inside node_modules, so
    send_from_directory alone would serve it).
    """
    if "\\" in filename or "\0" in filename:
        return None
    normalised = posixpath.normpath(filename)
    if normalised.startswith(("/", "..")):
        return None
    if not any(normalised.startswith(folder + "/") for folder in SERVED_FOLDERS):
        return None
    return normalised


@bp.get("/vendor/<path:filename>")
def vendor_file(filename: str):
    normalised = served_path(filename)
    if normalised is None:
        abort(404)
    # send_from_directory also refuses paths that climb out of NODE_MODULES.
    return send_from_directory(NODE_MODULES, normalised, max_age=3600)
