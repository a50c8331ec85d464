"""What a notification can say: kind -> gettext message id with {param} placeholders.

The console renders a notification in the reader's language when it is read
(gettext of the id, then str.format_map with the stored params), so a kind's
text is a message id in agent_console/translations/*/messages.po (checked by
tests/unit/test_notifications.py). Other packages add their kinds here, one
line each. Params are shown as given: pass display text (an order number, a
room), never a code.
"""
from __future__ import annotations

import string


def N_(message_id: str) -> str:
    """Marks a message id for the catalogue; translated when shown, not here."""
    return message_id


KINDS: dict[str, str] = {
    "weekly_report_ready": N_("The weekly complaint report for {period} is ready."),
    "monthly_report_ready": N_("The monthly complaint and follow-up analysis for {period} is ready."),
    "recurring_problem": N_("Recurring problem at {place}: {category}, {count} times in 90 days."),
}


def placeholders(kind: str) -> set[str]:
    """The {names} the kind's message needs."""
    return {field for _text, field, _spec, _conv in string.Formatter().parse(KINDS[kind])
            if field}
