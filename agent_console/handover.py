"""Shift handover (交接班): notes and open items written for the next shift, acknowledged."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from agent_console.extensions import db
from agent_console.forms import EmptyForm, HandoverForm
from models.console import HandoverAcknowledgement, HandoverNote
from workflow import night_log

bp = Blueprint("handover", __name__, url_prefix="/handover")

SHOWN_NOTES = 30


@bp.get("")
@login_required
def list_notes():
    notes = db().scalars(select(HandoverNote).order_by(HandoverNote.id.desc())
                         .limit(SHOWN_NOTES)).all()
    acknowledged = {ack.note_id for note in notes for ack in note.acknowledgements
                    if ack.user_id == current_user.id}
    return render_template("handover.html", notes=notes, acknowledged=acknowledged,
                           form=HandoverForm(), empty_form=EmptyForm(),
                           night_log_open=len(night_log.open_entries(db())))


@bp.post("")
@login_required
def add_note():
    form = HandoverForm()
    if not form.validate_on_submit():
        flash(_("The handover note is too long or incomplete."), "error")
        return redirect(url_for("handover.list_notes")), 303
    if not (form.notes.data or "").strip() and not (form.open_items.data or "").strip():
        flash(_("Write notes or open items."), "error")
        return redirect(url_for("handover.list_notes")), 303
    db().add(HandoverNote(author_id=current_user.id, shift=form.shift.data,
                          notes=form.notes.data or "", open_items=form.open_items.data or ""))
    db().commit()
    return redirect(url_for("handover.list_notes"))


@bp.post("/<int:note_id>/ack")
@login_required
def acknowledge(note_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    note = db().get(HandoverNote, note_id)
    if note is None:
        abort(404)
    if note.author_id != current_user.id:
        db().add(HandoverAcknowledgement(note_id=note.id, user_id=current_user.id))
        try:
            db().commit()
        except IntegrityError:  # acknowledged twice: once is enough
            db().rollback()
    return redirect(url_for("handover.list_notes"))
