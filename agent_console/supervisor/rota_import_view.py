"""The rota from Excel on the rota page: upload the office's sheet (排班表), read the
preview (the shifts it adds, those already in the rota, every problem by row and
column as Excel shows them), then import it whole (call_queue.rota_import).

The uploaded file waits in the console's state folder under a random token between
the preview and the import, and is read again at the import: the rota may have
changed in between, and nothing of the preview is trusted from the browser.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agent_console.extensions import db, roles_required, settings
from agent_console.forms import EmptyForm
from agent_console.imports_view import problem_text, problem_where
from agent_console.supervisor import bp
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from call_queue import rota_import
from households.sheet_files import ImportLimits

log = logging.getLogger(__name__)
SUFFIXES = (".xlsx", ".csv")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,60}$")


@dataclasses.dataclass(frozen=True)
class ProblemLine:
    row: str
    column: str
    text: str


def _folder() -> Path:
    folder = Path(settings().state_dir) / "rota-imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _saved(token: str) -> Path:
    if not _TOKEN.match(token or ""):
        abort(404)
    found = [path for path in _folder().glob(f"{token}.*") if path.suffix in SUFFIXES]
    if not found:
        abort(404)
    return found[0]


def _lines(preview) -> list[ProblemLine]:
    return [ProblemLine(*problem_where(problem, preview), problem_text(problem, preview))
            for problem in preview.problems]


def _preview_page(preview, token: str, name: str, status: int = 200):
    return render_template("supervisor/rota_import.html", preview=preview, token=token,
                           name=name, problems=_lines(preview), form=EmptyForm(),
                           office_timezone=settings().office_timezone), status


def _limits() -> ImportLimits:
    return ImportLimits.from_settings(settings())


@bp.post("/rota/import")
@roles_required(*SUPERVISOR_ROLES)
def rota_import_upload():
    if not EmptyForm().validate_on_submit():
        abort(400)
    upload = request.files.get("sheet")
    name = Path(upload.filename or "").name if upload else ""
    suffix = Path(name).suffix.lower()
    if not upload or not name or suffix not in SUFFIXES:
        flash(_("Choose an Excel (.xlsx) or .csv file with the rota."), "error")
        return redirect(url_for("supervisor.rota_page", import_error="file"), 303)
    token = secrets.token_urlsafe(24)
    path = _folder() / f"{token}{suffix}"
    upload.save(path)
    preview = rota_import.preview_rota(db(), path, ZoneInfo(settings().office_timezone),
                                       _limits())
    db().rollback()  # a preview holds no lock and writes nothing
    return _preview_page(preview, token, name, 200 if preview.ok else 422)


@bp.post("/rota/import/<token>")
@roles_required(*SUPERVISOR_ROLES)
def rota_import_run(token: str):
    if not EmptyForm().validate_on_submit():
        abort(400)
    path = _saved(token)
    name = request.form.get("name", "")[:200]
    preview, imported = rota_import.import_rota(db(), path, ZoneInfo(settings().office_timezone),
                                                current_user.id, _limits())
    if imported is None:
        db().rollback()
        return _preview_page(preview, token, name, 422)
    db().commit()
    path.unlink(missing_ok=True)
    log.info("%s imported the rota sheet %s: %d added", current_user.username, name,
             imported.added)
    flash(_("Rota imported: %(added)d shifts added, %(unchanged)d already in the rota.",
            added=imported.added, unchanged=imported.unchanged), "ok")
    first = min((row.draft.day for row in preview.rows), default=None)
    return redirect(url_for("supervisor.rota_page",
                            week=first.isoformat() if first else ""), 303)
