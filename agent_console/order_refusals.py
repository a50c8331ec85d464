"""A refused work-order step in the user's words: the workflow's errors carry
English text for the log; the screen gets a catalogue message instead."""
from __future__ import annotations

import logging

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from agent_console.labels import label
from workflow.errors import IllegalTransition, InvalidOrder, NotPermitted, StepRefused

log = logging.getLogger(__name__)

INVALID = {
    "kind": _l("Choose what kind of work order this is."),
    "tier_needed": _l("A complaint needs its tier (major, important or minor)."),
    "tier_only_complaints": _l("Only a complaint has a tier: leave the tier empty."),
    "description_empty": _l("Describe the problem."),
    "department_needed": _l("Choose the department to dispatch the order to."),
    "result": _l("Choose the result of the follow-up."),
    "satisfaction": _l("Give a satisfaction score from 1 to 5 when the resident was reached."),
}


def refusal_message(error: Exception) -> str:
    """What to show for a refused step; the English detail goes to the log only."""
    log.info("work-order step refused: %s: %s", type(error).__name__, error)
    if isinstance(error, IllegalTransition):
        return _("A work order that is %(current)s cannot become %(wanted)s.",
                 current=label(error.from_status, "order_status"),
                 wanted=label(error.to_status, "order_status"))
    if isinstance(error, NotPermitted):
        return _("Only the agent who registered this work order or a supervisor may change it.")
    if isinstance(error, InvalidOrder) and error.code in INVALID:
        return str(INVALID[error.code])
    if isinstance(error, StepRefused):
        return _("This step does not fit the order as it stands now; reload the page.")
    return _("The work order was not saved: a field has a value that cannot be used.")
