"""Every measure the statistics report, with its unit and its norm from domain.md.

A norm is (low, high): a value inside passes; None on a side means open. Rates are
fractions (0.8 is 80 %), durations seconds. `definition` is shown in the table's
header tooltip and the Excel sheet so that nobody reads SL2 as SL.
"""
from __future__ import annotations

import dataclasses
from typing import Optional


@dataclasses.dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str  # "count", "rate", "s", "number"
    low: Optional[float]
    high: Optional[float]
    norm_text: str
    definition: str
    group: str = ""  # a key of call_queue.stats.groups.GROUPS: where the page shows it

    def within_norm(self, value: Optional[float]) -> Optional[bool]:
        if value is None or (self.low is None and self.high is None):
            return None
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _m(key, label, unit, low, high, norm_text, definition, group="") -> Measure:
    return Measure(key, label, unit, low, high, norm_text, definition, group)


MEASURES: tuple[Measure, ...] = (
    _m("received", "Calls received", "count", None, None, "—",
       "every call that entered a queue", group="volume"),
    _m("offered", "Calls offered", "count", None, None, "—",
       "received minus short abandons (includes abandoned and unanswered)", group="volume"),
    _m("answered", "Answered", "count", None, None, "—", "calls an agent answered",
       group="volume"),
    _m("abandoned", "Abandoned", "count", None, None, "—",
       "caller hung up in the queue after more than the short-abandon threshold", group="volume"),
    _m("short_abandoned", "Short abandons (left out)", "count", None, None, "—",
       "caller hung up within the short-abandon threshold", group="volume"),
    _m("unanswered_other", "Left unanswered (timeout, empty, key)", "count", None, None, "—",
       "queue timeout, leave-when-empty or exit by key", group="volume"),
    _m("answered_rate", "Answered %", "rate", 0.98, None, "≥ 98 %", "answered ÷ offered",
       group="volume"),
    _m("abandon_rate", "Abandonment rate", "rate", None, 0.05, "3–5 %",
       "abandoned ÷ offered (short abandons out of both)", group="volume"),
    _m("service_level", "Service level", "rate", 0.80, None, "80 % within 20 s",
       "answered within the service-level seconds ÷ offered", group="speed"),
    _m("asterisk_sl", "Asterisk SL", "rate", None, None, "—",
       "app_queue: completed within service level ÷ completed (answered)", group="speed"),
    _m("asterisk_sl2", "Asterisk SL2", "rate", None, None, "—",
       "app_queue: (abandoned + completed within service level) ÷ (abandoned + completed); "
       "abandoned counts every unanswered exit, short ones included", group="speed"),
    _m("asa_s", "Average speed of answer", "s", None, 20, "≤ 20 s",
       "total queue time of answered calls ÷ answered", group="speed"),
    _m("avg_queue_s", "Average queue time", "s", 30, 90, "30–90 s",
       "queue time of answered calls that had to wait (queue time above the ring time)",
       group="speed"),
    _m("avg_abandon_s", "Average abandon time", "s", 20, 60, "20–60 s",
       "wait before an (unshort) abandon", group="speed"),
    _m("avg_rings", "Average rings", "number", 2, 4, "2–4",
       "rings heard before answer: ring time ÷ ring cadence", group="speed"),
    _m("within_3_rings_rate", "Answered within 3 rings", "rate", 1.0, None, "100 %",
       "answered calls with at most 3 rings ÷ answered", group="speed"),
    _m("avg_ring_s", "Average ring time", "s", None, None, "—",
       "seconds the answering phone rang", group="speed"),
    _m("estimate_told", "Callers told a wait", "count", None, None, "—",
       "answered callers whose queue's wait estimate was above 0 when they entered",
       group="speed"),
    _m("estimate_median_error_s", "Wait estimate: median error", "s", None, None, "—",
       "median of |actual wait − the estimate the queue announced on entry|, "
       "callers told a wait", group="speed"),
    _m("estimate_p90_error_s", "Wait estimate: 90th percentile error", "s", None, None, "—",
       "nine in ten callers told a wait waited within this many seconds of the estimate",
       group="speed"),
    _m("estimate_within_60_rate", "Wait estimate within ±60 s", "rate", None, None, "—",
       "callers told a wait whose actual wait was within 60 s of it ÷ callers told a wait",
       group="speed"),
    _m("avg_talk_s", "Average talk time", "s", 270, 360, "270–360 s", "talk only",
       group="agents"),
    _m("avg_hold_s", "Average hold time", "s", 20, 60, "20–60 s",
       "time the agent kept the caller on hold", group="agents"),
    _m("avg_wrapup_s", "After-call work", "s", 30, 60, "30–60 s",
       "time after the call spent finishing its record", group="agents"),
    _m("avg_handle_s", "Average handle time", "s", 180, 600, "3–10 min",
       "talk + after-call work", group="agents"),
    _m("occupancy", "Occupancy", "rate", 0.90, None, "≥ 90 %",
       "(talk + hold) ÷ (talk + hold + idle), from agent state time", group="agents"),
    _m("calls_per_agent_hour", "Calls per agent hour", "number", None, None, "per centre",
       "answered ÷ logged-in hours (paused counts as logged in)", group="agents"),
    _m("transfer_rate", "Transfer rate", "rate", None, 0.03, "≤ 1–3 %",
       "calls transferred by the agent ÷ answered", group="quality"),
    _m("blocked", "Blocked calls", "count", None, None, "—",
       "callers a full queue refused before they entered it",
       group="volume"),
    _m("blocked_rate", "Blocked rate", "rate", None, 0.03, "≤ 1–3 %",
       "blocked ÷ (calls that entered the queue + blocked)", group="volume"),
    _m("queue_placement_rate", "Queue placement rate", "rate", 0.10, 0.20, "10–20 %",
       "calls that had to wait ÷ received", group="volume"),
    _m("lost", "Lost calls", "count", None, None, "—",
       "abandoned after the short-abandon threshold, or the queue gave up (timeout, no agent)",
       group="volume"),
    _m("lost_recovered", "Lost calls recovered", "count", None, None, "—",
       "lost calls whose call-back reached the resident", group="volume"),
    _m("recovery_rate", "Lost-call recovery", "rate", None, None, "—",
       "lost calls recovered by a call-back ÷ lost calls", group="volume"),
    # Keep-my-place callbacks (issue 16.2; line_callback.figures, checked by stats verify).
    _m("callbacks_offered", "Callbacks offered", "count", None, None, "—",
       "callers who waited the callback offer's seconds in the queue or pressed 1 before it "
       "(the call-backs' own calls left out)", group="volume"),
    _m("callbacks_accepted", "Callbacks accepted", "count", None, None, "—",
       "callers who pressed 1 to hang up and be called back in their place", group="volume"),
    _m("callbacks_completed", "Callbacks completed", "count", None, None, "—",
       "accepted callbacks that reached the resident", group="volume"),
    _m("callbacks_failed", "Callbacks failed", "count", None, None, "—",
       "accepted callbacks whose every attempt failed (listed for an agent)", group="volume"),
    _m("fcr_rate", "First-call resolution", "rate", 0.85, 1.0, "85–100 %",
       "work orders with no later order from the same household of the same kind "
       "within the FCR window ÷ work orders with a household", group="quality"),
    _m("dispatch_3min_rate", "Repairs dispatched within 3 min", "rate", 1.0, None, "100 %",
       "repair orders dispatched within 180 s of the call ÷ repair orders", group="workflow"),
    _m("complaint_deadline_rate", "Complaint deadlines met", "rate", 1.0, None, "100 %",
       "complaints done by their resolve deadline ÷ complaints done or overdue", group="workflow"),
    _m("follow_up_rate", "Follow-up rate", "rate", 1.0, None, "100 %",
       "follow-ups that reached the resident ÷ follow-ups owed", group="workflow"),
    _m("satisfaction_rate", "Satisfaction", "rate", 0.90, None, "≥ 90 %",
       "follow-ups scored 4 or 5 ÷ follow-ups scored", group="quality"),
    _m("ivr_containment_rate", "IVR containment", "rate", None, None, "—",
       "IVR sessions that ended without going to an agent ÷ IVR sessions", group="quality"),
    _m("qa_scored", "Calls QA-scored", "count", 4, 5, "4–5 per agent a month",
       "QA scores given (per agent: this period)", group="quality"),
)

BY_KEY = {measure.key: measure for measure in MEASURES}
# Norms that hold for one agent (a month), not for a queue or the whole centre.
PER_AGENT_NORMS = frozenset({"qa_scored"})
