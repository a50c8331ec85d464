"""Every word the reports print, as English message ids of the console's catalogue
(agent_console/translations: zh and en). render.py and the web page look them up
through the translate function they are given; tests/unit/test_reports_render.py
checks each has a Chinese translation."""
from __future__ import annotations

TITLES = {
    "weekly-complaints": "Weekly complaint report",
    "monthly": "Monthly complaint and follow-up analysis",
    "repair-timeliness": "Repair timeliness",
}

FIGURES = {
    "registered": "Complaints registered",
    "effective": "Effective complaints",
    "invalid": "Invalid complaints",
    "effective_rate": "Effective-complaint rate",
    "effective_resolved": "Effective complaints resolved",
    "handling_rate": "Effective-complaint handling rate",
    "resolved_on_time": "Resolved on time",
    "on_time_rate": "Resolved on time (share)",
    "overdue_open": "Past the resolve deadline, still open",
    "owed": "Follow-ups owed",
    "reached": "Residents reached",
    "unreachable": "Unreachable",
    "refused": "Refused",
    "pending": "Not yet called",
    "coverage_rate": "Follow-up coverage",
    "scored": "Scored calls",
    "satisfied": "Satisfied (4-5)",
    "satisfaction_rate": "Satisfaction",
    "mean_satisfaction": "Mean score (of 5)",
    "reopened": "Reopened for rework",
    "repairs": "Repairs",
    "dispatched": "Dispatched",
    "dispatched_within_3_min": "Dispatched within 3 minutes",
    "dispatch_3_min_rate": "Dispatched within 3 minutes (share)",
    "arrived": "Arrived",
    "done": "Repairs completed",
}

STAGES = {
    "call_to_dispatch": "Call to dispatch",
    "dispatch_to_arrival": "Dispatch to arrival",
    "arrival_to_done": "Arrival to done",
    "call_to_done": "Call to done",
}
STAGE_MEASURES = {"median_s": "median", "mean_s": "mean", "longest_s": "longest"}

DIMENSIONS = {
    "tier": "By tier", "category": "By category", "department": "By department",
    "community": "By community", "kind": "By kind",
}

COLUMNS = {
    "key": "Group", "complaints": "Complaints", "still_open": "Still open",
    "on_time": "On time", "resolved": "Resolved",
    "order": "Order", "called": "Called", "tier": "Tier", "category": "Category",
    "community": "Community", "room": "Room", "department": "Department",
    "summary": "What happened", "status": "Status", "effective": "Effective",
    "resolved_at": "Resolved at", "result": "Result", "resident_told_at": "Resident told",
    "scope": "Scope", "place": "Place", "count": "Times", "orders": "Orders",
    "first_at": "First", "last_at": "Last", "dispatched_at": "Dispatched at",
    "arrived_at": "Arrived at", "done_at": "Done at",
}

WORDS = {
    "summary": "Overview", "period": "Report period", "generated": "Generated",
    "time_zone": "Time zone", "lines": "Complaints", "repair_lines": "Repairs",
    "recurring": "Recurring problems (preventive fix)",
    "recurring_sheet": "Recurring problems",  # a sheet name: at most 31 characters
    "follow_ups": "Follow-ups", "complaints": "Complaints",
    "room": "Room", "building": "Building",
    "definitions": "Definitions", "yes": "yes", "no": "no", "unknown": "Not known",
    "definition_effective": ("Effective complaint: not marked invalid in the register. "
                             "Effective-complaint rate = effective / registered; handling rate "
                             "= effective complaints resolved by the period's end / effective "
                             "(target 100 %)."),
    "definition_recurring": ("Recurring: 3 or more repairs or complaints of one category in one "
                             "room, or about one building's common parts from several rooms, in "
                             "the 90 days ending with the period."),
    "definition_stages": ("Arrival is the first move from dispatched to in progress; done is "
                          "the first completion. Durations in hours:minutes:seconds."),
    "definition_follow_ups": ("Follow-ups are owed by repairs and complaints completed in the "
                              "period; satisfaction counts every reached call scored, satisfied "
                              "at 4 or 5 of 5 (target 90 %)."),
}


def all_message_ids() -> set[str]:
    ids = set()
    for table in (TITLES, FIGURES, STAGES, STAGE_MEASURES, DIMENSIONS, COLUMNS, WORDS):
        ids.update(table.values())
    return ids
