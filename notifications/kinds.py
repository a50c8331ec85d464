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
    # wallboard norms (issue 14 item 1, agent_console/supervisor/norm_alerts.py).
    "norm_longest_wait": N_("A caller has waited {value} in the queue (norm: under {norm})."),
    "norm_service_level": N_("Service level today is {value} (norm: at least {norm})."),
    "norm_abandonment": N_("Abandonment today is {value} (norm: at most {norm})."),
    "norm_agents_ready": N_("Only {value} agents ready while callers wait (norm: at least {norm})."),
    "norm_unattended": N_("Nobody is logged in: the hotline must be staffed around the clock."),
    # workflow (issue 15 items 2, 3, 5): escalations, emergencies, deadlines due and missed.
    "complaint_to_director": N_("Major complaint {order} ({address}): for the office director today."),
    "complaint_to_supervisor": N_("Important complaint {order} ({address}): for the department supervisor within the hour."),
    "emergency_order": N_("Emergency {order} ({address}): dispatched at once."),
    "deadline_due_accept": N_("Order {order}: the online message must be accepted by {due}."),
    "deadline_missed_accept": N_("Order {order}: the online message was not accepted by {due}."),
    "deadline_due_dispatch": N_("Order {order}: dispatch due by {due}."),
    "deadline_missed_dispatch": N_("Order {order}: not dispatched by {due}."),
    "deadline_due_escalate": N_("Complaint {order}: the escalation must be taken up by {due}."),
    "deadline_missed_escalate": N_("Complaint {order}: the escalation was not taken up by {due}."),
    "deadline_due_answer": N_("Complaint {order}: a clear answer to the resident is due by {due}."),
    "deadline_missed_answer": N_("Complaint {order}: no clear answer to the resident by {due}."),
    "deadline_due_resolve": N_("Order {order}: to be resolved by {due}."),
    "deadline_missed_resolve": N_("Order {order}: not resolved by {due}."),
    "deadline_due_tell_resident": N_("Complaint {order}: tell the resident the result by {due}."),
    "deadline_missed_tell_resident": N_("Complaint {order}: the resident was not told the result by {due}."),
    "deadline_due_reply": N_("Enquiry {order}: the agreed reply is due by {due}."),
    "deadline_missed_reply": N_("Enquiry {order}: the agreed reply was not given by {due}."),
    # follow-ups (issue 15 item 4, workflow/followups.py).
    "follow_up_needs_supervisor": N_("Order {order}: the resident was unreachable on {attempts} follow-up attempts; the supervisor decides what next."),
    # departments' work contact sheets (issue 15 item 1, workflow/department_flow.py).
    "department_rejected": N_("Order {order} ({address}) was sent back by the department: {reason}. Call the resident back and dispatch it again."),
    "department_late_accept": N_("Order {order} ({address}): the department had not accepted it by {due}. Call the resident back and tell the housekeeper."),
    "department_late_promise": N_("Order {order} ({address}): the department did not finish by the promised {due}. Call the resident back and tell the housekeeper."),
}


def placeholders(kind: str) -> set[str]:
    """The {names} the kind's message needs."""
    return {field for _text, field, _spec, _conv in string.Formatter().parse(KINDS[kind])
            if field}
