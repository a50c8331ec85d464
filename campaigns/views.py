"""The supervisor's campaigns page, /supervisor/campaigns (issue 18.4): each campaign's
live progress (pushed by the bridge's engine, campaigns.push), its results by outcome
and score, pause/resume/stop, a new satisfaction campaign, CSV and Excel exports.
Supervisors and admins only."""
from __future__ import annotations

import dataclasses
import logging
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from agent_console.extensions import db, roles_required, settings
from agent_console.labels import label
from agent_console.supervisor.sockets import SUPERVISOR_ROLES
from campaigns import form, report, store
from campaigns.dunning import DunningKind, letter_list
from households.terms import HouseholdTerms
from campaigns.errors import CampaignError
from models.base import utcnow
from models.campaigns import CAMPAIGN_STATES, Campaign

log = logging.getLogger(__name__)

# Its script and style sheet are the supervisors' static files (campaigns.js, .css).
bp = Blueprint("campaigns", __name__, url_prefix="/supervisor/campaigns",
               template_folder="templates")

FIELD_MESSAGES = {
    "name_missing": _l("Give the campaign a name (at most 120 characters)."),
    "hours_invalid": _l("Write the hours like 09:00-12:00,14:00-20:00."),
    "number_invalid": _l("Not a number in the allowed range."),
    "stage_missing": _l("Choose the dunning stage to remind."),
}
LETTER_HEADINGS = (_l("Household"), _l("Room"), _l("Owner"), _l("Phone"), _l("Total due"),
                   _l("Oldest unpaid since"), _l("Months in arrears"), _l("Dunning stage"),
                   _l("Reminder calls answered"))
HEADINGS = (_l("Phone"), _l("Work order"), _l("State"), _l("Outcome"), _l("Attempts"),
            _l("Score"), _l("Solved"), _l("Last call"))


@dataclasses.dataclass(frozen=True)
class CampaignCard:
    campaign: Campaign
    progress: store.Progress
    results: report.Results


def _when():
    zone = ZoneInfo(settings().office_timezone)
    return lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _page(typed: dict, errors: dict, status: int = 200):
    session = db()
    now = utcnow()
    cards = [CampaignCard(campaign, store.progress(session, campaign),
                          report.results(session, campaign))
             for campaign in session.scalars(select_recent(now))]
    return render_template(
        "campaigns/page.html", cards=cards, typed=typed, when=_when(),
        errors={field: str(FIELD_MESSAGES[code]) for field, code in errors.items()},
        progress=[dataclasses.asdict(card.progress) for card in cards],
        state_labels={state: label(state, "campaign_state") for state in CAMPAIGN_STATES}), status


def select_recent(now):
    return select(Campaign).order_by(Campaign.id.desc()).limit(20)


@bp.get("")
@roles_required(*SUPERVISOR_ROLES)
def page():
    return _page(dict(form.DEFAULTS), {})


@bp.post("/new")
@roles_required(*SUPERVISOR_ROLES)
def create():
    typed = {name: request.form.get(name, "")[:120] for name in form.FIELDS}
    try:
        spec = form.read(typed)
    except form.Refused as refused:
        return _page(typed, refused.errors, 422)
    session = db()
    campaign = store.create_campaign(session, spec, utcnow())
    session.commit()
    log.info("campaign %s (%s) created", campaign.id, spec.name)
    flash(_("Campaign created: the bridge starts calling within its hours."), "info")
    return redirect(url_for("campaigns.page"), 303)


@bp.post("/<int:campaign_id>/<action>")
@roles_required(*SUPERVISOR_ROLES)
def control(campaign_id: int, action: str):
    if action not in store.CONTROL:
        abort(404)
    try:
        store.control(db(), campaign_id, action, utcnow())
    except CampaignError:
        flash(_("The campaign cannot do that in its present state."), "error")
    return redirect(url_for("campaigns.page"), 303)


def _found(campaign_id: int) -> tuple[Campaign, report.Results]:
    campaign = db().get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return campaign, report.results(db(), campaign)


def _text(code: str, group: str) -> str:
    return label(code, group)


@bp.get("/<int:campaign_id>/results.csv")
@roles_required(*SUPERVISOR_ROLES)
def export_csv(campaign_id: int):
    campaign, found = _found(campaign_id)
    body = report.as_csv(found, [str(h) for h in HEADINGS], _text, _when())
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=campaign-{campaign.id}.csv"})


@bp.get("/<int:campaign_id>/results.xlsx")
@roles_required(*SUPERVISOR_ROLES)
def export_excel(campaign_id: int):
    campaign, found = _found(campaign_id)
    body = report.as_excel(found, [str(h) for h in HEADINGS], _text, _when(), campaign.name)
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet", headers={
                        "Content-Disposition": f"attachment; filename=campaign-{campaign.id}.xlsx"})


@bp.get("/letters.xlsx")
@roles_required(*SUPERVISOR_ROLES)
def letters_excel():
    """The courier's list: households 3 months unpaid past their first notice."""
    rows = letter_list(db(), DunningKind(HouseholdTerms.from_settings(settings())))
    body = report.letters_excel(rows, [str(h) for h in LETTER_HEADINGS],
                                lambda code: label(code, "dunning_stage"), str(_("Letters")))
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument."
                    "spreadsheetml.sheet", headers={
                        "Content-Disposition": "attachment; filename=formal-letters.xlsx"})
