"""Importing the office's spreadsheets in the browser (supervisors and admins):
upload an .xlsx or .csv, read the preview (every problem by row and column, as
Excel shows them, and the columns ignored), then import with a progress bar.

The upload route is exempt from the app-wide CSRF check only because that check
reads the body under the app's 256 KB request cap before the view can raise it
for a spreadsheet; the form validates its CSRF token itself (FlaskForm).
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, request
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from agent_console import import_jobs
from agent_console.extensions import csrf, db, redis_client, roles_required, settings
from households.import_messages import Message
from households.importing import KINDS, Preview, preview_households_file, preview_ledger_file
from households.sheet_files import MAX_FILE_BYTES, ImportLimits
from households.tabular import Problem
from households.import_values import column_length
from models.households import Community

log = logging.getLogger(__name__)
bp = Blueprint("imports", __name__, url_prefix="/imports")
IMPORT_ROLES = ("supervisor", "admin")
UPLOAD_MAX_BYTES = MAX_FILE_BYTES  # the reader's own cap: a bigger file is refused anyway
SUFFIXES = (".xlsx", ".csv")
KIND_LABELS = {"households": _l("Household list (业主档案)"),
               "ledger": _l("Fee ledger (收费台账)")}
PREVIEW_PROBLEMS_SHOWN = 500


class UploadForm(FlaskForm):
    kind = SelectField(_l("What the sheet holds"), choices=[
        SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS])
    community = StringField(_l("Community code"), default="MAIN", validators=[
        DataRequired(), Length(max=column_length(Community.code)),
        Regexp(r"^[0-9A-Za-z_-]+$", message=_l("Letters, digits, - and _ only."))])
    sheet = FileField(_l("Spreadsheet (.xlsx or .csv)"),
                      validators=[FileRequired(_l("Choose a file to upload."))])


class RunForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=40)])


def translated(message) -> str:
    """A problem's text in the user's language (its parameters translated too)."""
    if not isinstance(message, Message):
        return str(message)
    params = {}
    for name, value in message.params.items():
        params[name] = translated(value) if isinstance(value, Message) else value
    return gettext(message.template, **params) if params else gettext(message.template)


def _office_names(preview: Preview) -> dict[str, str]:
    return preview.table.office_names if preview.table else {}


def problem_where(problem: Problem, preview: Preview) -> tuple[str, str]:
    """(row, column) as the office sees them: '第 5 行', 'C / 电话'."""
    row = (gettext("Row %(row)d", row=problem.row) if problem.row is not None
           else gettext("Whole file"))
    places = preview.table.places if preview.table else {}
    if problem.column in places:
        place = places[problem.column]
        return row, f"{place.letter} / {place.header}"
    if problem.column:
        return row, _office_names(preview).get(problem.column, problem.column)
    return row, "—"


def problem_text(problem: Problem, preview: Preview) -> str:
    message = problem.message
    names = getattr(message, "params", {}).get("columns") if isinstance(message, Message) else None
    if names and message.template.startswith("missing required column"):
        # Name the missing columns as the office would head them, not by our codes.
        office = _office_names(preview)
        shown = "、".join(office.get(name.strip(), name.strip()) for name in names.split(","))
        return gettext(message.template, columns=shown)
    return translated(message)


def _page(form: UploadForm, status: int = 200, **context):
    return render_template("imports.html", form=form, run_form=RunForm(formdata=None),
                           kind_labels=KIND_LABELS, max_bytes=UPLOAD_MAX_BYTES,
                           max_mb=UPLOAD_MAX_BYTES // (1024 * 1024), **context), status


@bp.get("")
@roles_required(*IMPORT_ROLES)
def page():
    return _page(UploadForm())


def _preview(kind: str, path: Path, community: str) -> Preview:
    limits = ImportLimits.from_settings(settings())
    if kind == "households":
        return preview_households_file(db(), path, community, limits,
                                       local_area_code=settings().local_area_code)
    return preview_ledger_file(db(), path, limits)


@bp.post("/preview")
@csrf.exempt
@roles_required(*IMPORT_ROLES)
def preview():
    request.max_content_length = UPLOAD_MAX_BYTES + 64 * 1024  # the form's other fields
    try:
        form = UploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = UploadForm(formdata=None)
        form.sheet.errors = [gettext("The file is larger than %(mb)d MB.",
                                     mb=UPLOAD_MAX_BYTES // (1024 * 1024))]
        return _page(form, 413)
    if not valid:
        if form.csrf_token.errors:
            abort(400)
        return _page(form, 400)
    upload = form.sheet.data
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        form.sheet.errors = [gettext("Only .xlsx and .csv files can be imported.")]
        return _page(form, 400)
    token, path = import_jobs.new_upload_path(settings().state_dir, suffix)
    upload.save(path)
    result = _preview(form.kind.data, path, form.community.data)
    if result.table is None:
        # Not a spreadsheet at all: the reason goes next to the file field.
        path.unlink(missing_ok=True)
        form.sheet.errors = [problem_text(p, result) for p in result.problems]
        return _page(form, 400)
    if not result.ok:
        path.unlink(missing_ok=True)  # nothing to import until the sheet is fixed
    else:
        import_jobs.ImportJob(token, current_user.id, form.kind.data, form.community.data,
                              str(path), total=result.rows).save(redis_client())
    log.info("import preview by %s: %s %s, %d rows, %d problems", current_user.username,
             form.kind.data, upload.filename, result.rows, len(result.problems))
    problems = [(problem_where(p, result), problem_text(p, result))
                for p in result.problems[:PREVIEW_PROBLEMS_SHOWN]]
    run_form = RunForm(formdata=None, token=token)
    return render_template("imports.html", form=form, run_form=run_form, preview=result,
                           problems=problems, file_name=upload.filename,
                           note=translated(result.table.note) if result.table.note else "",
                           kind_labels=KIND_LABELS, max_bytes=UPLOAD_MAX_BYTES,
                           max_mb=UPLOAD_MAX_BYTES // (1024 * 1024),
                           shown_limit=PREVIEW_PROBLEMS_SHOWN)


def _own_job(token: str) -> import_jobs.ImportJob:
    job = import_jobs.ImportJob.load(redis_client(), token) if len(token) <= 40 else None
    if job is None or job.owner_id != current_user.id:
        abort(404)
    return job


@bp.post("/run")
@roles_required(*IMPORT_ROLES)
def run():
    form = RunForm()
    if not form.validate_on_submit():
        abort(400)
    job = _own_job(form.token.data)
    if job.state != "ready" or not import_jobs.claim(redis_client(), job.token):
        abort(409)  # the same upload is imported once; upload it again to re-import
    import_jobs.start_job(job, current_app.extensions["hotline_sessions"], redis_client(),
                          ImportLimits.from_settings(settings()), settings().local_area_code)
    return render_template("imports.html", form=UploadForm(formdata=None), run_form=form,
                           job=job, kind_labels=KIND_LABELS, max_bytes=UPLOAD_MAX_BYTES,
                           max_mb=UPLOAD_MAX_BYTES // (1024 * 1024))


def _result_lines(job: import_jobs.ImportJob) -> list[str]:
    result = job.result
    if job.kind == "households":
        return [gettext("%(rows)d rows imported.", rows=result.get("rows", 0)),
                gettext("Households created: %(n)d, updated: %(m)d; new rooms: %(r)d.",
                        n=result.get("households_created", 0),
                        m=result.get("households_updated", 0),
                        r=result.get("rooms_created", 0))]
    return [gettext("%(rows)d rows imported.", rows=result.get("rows", 0)),
            gettext("Charges written: %(c)d; payments written: %(p)d.",
                    c=result.get("charges_written", 0), p=result.get("payments_written", 0))]


@bp.get("/jobs/<token>")
@roles_required(*IMPORT_ROLES)
def job_status(token: str):
    job = import_jobs.ImportJob.load(redis_client(), token) if len(token) <= 40 else None
    if job is None or job.owner_id != current_user.id:
        return jsonify(error=gettext("No such import.")), 404
    lines = []
    if job.interrupted:
        job.state = "failed"  # shown, not stored: a late save of a live job still wins
        lines = [gettext("The import was interrupted (the console restarted); nothing was "
                         "imported. Upload the sheet again.")]
    elif job.state == "done":
        lines = _result_lines(job)
    elif job.state == "failed":
        lines = [gettext("The import failed; nothing was imported.")]
        if job.problem_count:
            first = job.first_problem
            lines.append(gettext("%(count)d problem(s); the first, row %(row)s: %(text)s",
                                 count=job.problem_count, row=first.get("row") or "—",
                                 text=gettext(first["template"], **first["params"])))
    status = {"ready": gettext("Waiting to start"), "checking": gettext("Checking the file"),
              "writing": gettext("Writing rows"), "done": gettext("Import finished"),
              "failed": gettext("Import failed")}[job.state]
    return jsonify(state=job.state, done=job.done, total=job.total, status=status,
                   lines=lines, count=gettext("%(done)d of %(total)d rows",
                                              done=job.done, total=job.total))
