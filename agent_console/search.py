"""Household search at any time (walk-ins, letters, call-backs) and the card
opened without a call. Both are audited: they show personal data.

Search by room (1-2-2403), owner or member name, any phone, household number;
each result carries its fee status so the agent sees arrears in the list.
"""
from __future__ import annotations

import dataclasses
import logging
from decimal import Decimal

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from agent_console.extensions import db, settings
from households.terms import HouseholdTerms
from models.console import AccessAuditEntry

log = logging.getLogger(__name__)
bp = Blueprint("search", __name__, url_prefix="/households")

SEARCH_MAX_CHARS = 60
SEARCH_MAX_RESULTS = 20


@dataclasses.dataclass(frozen=True)
class SearchResult:
    household_id: int
    household_number: str | None
    owner: str
    rooms: list[str]
    overdue: Decimal
    total_due: Decimal
    months_in_arrears: int
    dunning_stage: str


def _audit(action: str, target: str) -> None:
    db().add(AccessAuditEntry(user_id=current_user.id, action=action, target=target[:255],
                              callid=None))
    db().commit()


def _by_household_number(text: str) -> list[dict]:
    """The household whose number (编号 on statements) is exactly `text`, in
    households.lookup's result shape (its search covers rooms, names and phones)."""
    from models.households import Household, Person, Room

    household = db().scalar(select(Household).where(Household.number == text))
    if household is None:
        return []
    owner = db().scalar(select(Person.name).where(Person.household_id == household.id,
                                                  Person.role == "owner").limit(1))
    rooms = sorted(db().scalars(select(Room.code).where(Room.household_id == household.id)))
    return [{"household_id": household.id, "household_number": household.number,
             "owner": owner or "", "rooms": rooms}]


def find_households(text: str) -> list[SearchResult]:
    from households.fees import balance_summary
    from households.lookup import search_households

    terms = HouseholdTerms.from_settings(settings())
    found = _by_household_number(text) + search_households(
        db(), text, local_area_code=terms.local_area_code)
    unique = list({row["household_id"]: row for row in found}.values())[:SEARCH_MAX_RESULTS]
    results, today = [], terms.today()
    for row in unique:
        balance = balance_summary(db(), row["household_id"], today, terms.late_fee_daily_rate)
        results.append(SearchResult(
            household_id=row["household_id"], household_number=row.get("household_number"),
            owner=row.get("owner", ""), rooms=row.get("rooms", []), overdue=balance.overdue,
            total_due=balance.total_due, months_in_arrears=balance.months_in_arrears,
            dunning_stage=balance.dunning_stage.value))
    return results


@bp.get("/find")
@login_required
def search_page():
    text = request.args.get("q", "").strip()
    error, results = None, []
    if len(text) > SEARCH_MAX_CHARS:
        error = _("Search text is too long (at most %(n)d characters).", n=SEARCH_MAX_CHARS)
    elif text:
        results = find_households(text)
        _audit("household_search", text)
    status = 400 if error else 200
    return render_template("search.html", q=text, results=results, error=error), status


@bp.get("/<int:household_id>/card")
@login_required
def household_card(household_id: int):
    """The household's card outside a call (walk-in, letter): audited as such."""
    from households.errors import HouseholdNotFound
    from households.screen_pop import build_screen_pop

    try:
        record = build_screen_pop(db(), household_id, None,
                                  terms=HouseholdTerms.from_settings(settings()))
    except HouseholdNotFound:
        abort(404)
    _audit("household_open_no_call", f"household:{household_id}")
    log.info("%s opened household %s without a call", current_user.username, household_id)
    from agent_console import card

    card.remember_opened(household_id)
    fees, calls = card.card_detail(household_id)
    return render_template("household_card.html", record=record, fees=fees,
                           calls=card.history_json(calls), link_choices=card.link_choices(),
                           channels=card.CHANNELS)
