"""The cashier's pages: the desk (call-back requests and the household search), a
household's payment form, and the collection rate. Post/Redirect/Get except where
a refused payment is shown again with what was typed and the reason by its field.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from agent_console.cashier import bp
from agent_console.commands import run_command
from agent_console.extensions import db, roles_required, settings
from agent_console.forms import EmptyForm
from households import payments, reversals
from households.errors import FeeRuleError, HouseholdNotFound
from households.fee_detail import fee_detail
from households.fees import Quarter
from households.screen_pop import build_screen_pop
from households.terms import HouseholdTerms
from models.base import utcnow
from models.cashier import PAYMENT_METHODS
from agent_console.cashier import worklist
from workflow.errors import WorkflowError

log = logging.getLogger(__name__)
# A second submit of the same payment within this time is the first one (a double click).
REPEAT_WINDOW = dt.timedelta(minutes=2)

# The refusals of the worklist, in the user's language.
REFUSALS = {
    "request not open": lambda: _("This call-back request is already done."),
    "no number to call back": lambda: _("The caller's number was withheld: there is nothing to call back."),
    "say what was done": lambda: _("Say what was done for the resident."),
    "note too long": lambda: _("The note is too long."),
}


def _field_message(code: str) -> str:
    """A refused payment field's reason, in the user's language."""
    return {
        "required": lambda: _("Required."),
        "not_an_amount": lambda: _("Not an amount: write it like 1234.50."),
        "too_many_decimals": lambda: _("At most two decimals (fen)."),
        "not_positive": lambda: _("The amount must be more than zero."),
        "too_large": lambda: _("More than %(max)s: check the amount.",
                               max=_money(payments.MAX_AMOUNT)),
        "unknown_charge": lambda: _("Choose a fee and period of this household."),
        "unknown_method": lambda: _("Choose how it was paid."),
        "too_long": lambda: _("At most %(n)d characters.", n=payments.RECEIPT_MAX_CHARS),
        "not_printable": lambda: _("The receipt number holds a character that cannot be printed."),
        "duplicate": lambda: _("This receipt number is in the ledger already: check the receipt."),
    }.get(code, lambda: _("Not accepted."))()


def _terms() -> HouseholdTerms:
    return HouseholdTerms.from_settings(settings())


def _refusal(error: WorkflowError) -> str:
    known = REFUSALS.get(str(error))
    return known() if known else _("The request was refused.")


@bp.get("/")
@roles_required("cashier")
def desk():
    from agent_console.search import SEARCH_MAX_CHARS, find_households

    text = request.args.get("q", "").strip()
    error, found = None, []
    if len(text) > SEARCH_MAX_CHARS:
        error = _("Search text is too long (at most %(n)d characters).", n=SEARCH_MAX_CHARS)
    elif text:
        found = find_households(text)
    return render_template(
        "cashier/desk.html", items=worklist.open_requests(db()), waiting=worklist.open_count(db()),
        q=text, found=found,
        search_error=error, form=EmptyForm(), note_max=worklist.NOTE_MAX_CHARS,
        has_phone=bool(current_user.phone_interface)), 400 if error else 200


@bp.post("/requests/<int:request_id>/call")
@roles_required("cashier")
def call_back(request_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not current_user.phone_interface:
        flash(_("No phone is bound to your account: ask the supervisor."), "error")
        return redirect(url_for("cashier.desk"), 303)
    try:
        call = worklist.place_call(db(), worklist.open_request(db(), request_id), current_user,
                                   utcnow())
    except WorkflowError as error:
        db().rollback()
        flash(_refusal(error), "error")
        return redirect(url_for("cashier.desk"), 303)
    # As the lost calls' call-back: the cashier's phone rings first, then the resident.
    answer = run_command(settings(), "originate_call", agent_interface=current_user.phone_interface,
                         number=call.number, caller_id=settings().hotline_number)
    if not answer.get("ok"):
        call.placed = False  # kept: the list says it was tried
        db().commit()
        flash(_("The call could not be placed: the telephone system did not take it."), "error")
        return redirect(url_for("cashier.desk"), 303)
    db().commit()
    flash(_("Your phone rings first; answer it and the resident %(number)s is dialled.",
            number=call.number), "ok")
    return redirect(url_for("cashier.desk"), 303)


@bp.post("/requests/<int:request_id>/done")
@roles_required("cashier")
def mark_done(request_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        worklist.mark_done(db(), worklist.open_request(db(), request_id), current_user,
                           request.form.get("note", ""), utcnow())
    except WorkflowError as error:
        db().rollback()
        flash(_refusal(error), "error")
        return redirect(url_for("cashier.desk"), 303)
    db().commit()
    log.info("%s closed IVR call-back request %s", current_user.username, request_id)
    flash(_("Call-back request done."), "ok")
    return redirect(url_for("cashier.desk"), 303)


def _reversal_message(code: str) -> str:
    """A refused reversal's reason, in the user's language."""
    return {
        "reason_required": lambda: _("Say why this payment is reversed."),
        "reason_too_long": lambda: _("At most %(n)d characters.", n=reversals.REASON_MAX_CHARS),
        "already_reversed": lambda: _("This payment is reversed already."),
        "is_reversal": lambda: _("A correcting entry cannot be reversed."),
    }.get(code, lambda: _("Not accepted."))()


def _payment_page(household_id: int, form: payments.PaymentForm, errors: dict[str, str],
                  status: int = 200, reversal: tuple[int, str, str] | None = None):
    """The payment page; `reversal` is a refused one (payment id, reason typed, code)."""
    terms = _terms()
    try:
        record = build_screen_pop(db(), household_id, None, terms=terms)
    except HouseholdNotFound:
        abort(404)
    today = terms.today()
    detail = fee_detail(db(), household_id, today, terms.late_fee_daily_rate)
    choices = payments.charge_choices(db(), household_id, today, terms.late_fee_daily_rate)
    return render_template(
        "cashier/payment.html", record=record, balance=detail.balance, detail=detail,
        choices=choices, methods=PAYMENT_METHODS, typed=form,
        errors={field: _field_message(code) for field, code in errors.items()},
        receipt_max=payments.RECEIPT_MAX_CHARS, today=today, form=EmptyForm(),
        rows=reversals.payment_rows(db(), household_id), reason_max=reversals.REASON_MAX_CHARS,
        refused=reversal and {"id": reversal[0], "typed": reversal[1], "code": reversal[2],
                              "message": _reversal_message(reversal[2])}), status


@bp.get("/households/<int:household_id>/payment")
@roles_required("cashier")
def payment_form(household_id: int):
    return _payment_page(household_id, payments.PaymentForm(), {})


@bp.post("/households/<int:household_id>/payment")
@roles_required("cashier")
def enter_payment(household_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    typed = payments.PaymentForm(**{name: request.form.get(name, "")[:200]
                                    for name in payments.FIELDS})
    terms = _terms()
    today = terms.today()
    draft = None
    try:
        choices = payments.charge_choices(db(), household_id, today, terms.late_fee_daily_rate)
        draft = payments.check_payment(typed, household_id, choices)
        payment = payments.record_payment(db(), draft, current_user.id, today)
    except payments.PaymentRefused as refused:
        db().rollback()
        again = draft and payments.just_saved(db(), draft, current_user.id,
                                              utcnow() - REPEAT_WINDOW)
        if not again:
            return _payment_page(household_id, typed, refused.by_field(), 422)
        payment = again  # the second of a double click: saved once, said once more
    db().commit()
    from households.fees import balance_summary

    balance = balance_summary(db(), household_id, today, terms.late_fee_daily_rate)
    flash(_("Payment of %(amount)s saved, receipt %(receipt)s. Total due now: %(due)s.",
            amount=_money(payment.amount), receipt=payment.receipt_number,
            due=_money(balance.total_due)), "ok")
    return redirect(url_for("cashier.payment_form", household_id=household_id), 303)


@bp.post("/households/<int:household_id>/payments/<int:payment_id>/reverse")
@roles_required("cashier")
def reverse_payment(household_id: int, payment_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    reason = request.form.get("reason", "")[:1000]
    try:
        payment = reversals.reverse_payment(db(), household_id, payment_id, reason,
                                            current_user.id)
    except reversals.ReversalRefused as refused:
        db().rollback()
        if refused.code == "not_found":
            abort(404)
        return _payment_page(household_id, payments.PaymentForm(), {}, 422,
                             (payment_id, reason, refused.code))
    db().commit()
    from households.fees import balance_summary

    terms = _terms()
    balance = balance_summary(db(), household_id, terms.today(), terms.late_fee_daily_rate)
    flash(_("Payment of %(amount)s (receipt %(receipt)s) reversed. Total due now: %(due)s.",
            amount=_money(payment.amount), receipt=payment.receipt_number,
            due=_money(balance.total_due)), "ok")
    return redirect(url_for("cashier.payment_form", household_id=household_id), 303)


def _money(value) -> str:
    from agent_console.labels import money

    return money(value)


@bp.get("/collection")
@roles_required("cashier")
def collection():
    return collection_page()


def collection_page():
    """The cashier's page, and the supervisors' read-only copy (cashier.statistics)."""
    terms = _terms()
    today = terms.today()
    text = request.args.get("quarter", "").strip()
    error = None
    try:
        quarter = Quarter.parse(text) if text else Quarter.containing(today)
    except FeeRuleError:
        error, quarter = _("Not a quarter: write it like %(example)s.",
                           example=str(Quarter.containing(today))), Quarter.containing(today)
    report = payments.collection_report(db(), quarter, today)
    return render_template("cashier/collection.html", report=report, typed=text or str(quarter),
                           error=error, target=payments.COLLECTION_TARGET), 400 if error else 200
