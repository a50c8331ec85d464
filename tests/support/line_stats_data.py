"""Two Asterisk hosts' queue_log with blocked calls and wait estimates whose figures
are worked out by hand, and the calls the database holds for them (the blocked
rate needs the calls that entered the queue)."""
from __future__ import annotations

import datetime as dt

from models.calls import Call
from models.line_callbacks import CallbackRequest

UTC = dt.timezone.utc
DAY = dt.datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
T0 = int(DAY.timestamp())


def _lines(rows: list[tuple[int, str, str, str, str]]) -> str:
    return "".join(f"{T0 + at}|{callid}|hotline|{agent}|{verb}|{data}\n"
                   for at, callid, agent, verb, data in rows)


# Host main. holdtime (app_queue: h = (3h + wait) >> 2): c1 enters at 0 and waits 40
# (h 10); c2 is told 10 and waits 90 (h 30); c3 told 30 abandons; c4 told 30 waits
# 20 (h 27); c5 told 27 waits 200. Errors of those told: 80, 10, 173. One blocked.
MAIN_LOG = f"{T0}|NONE|NONE|NONE|QUEUESTART|\n" + _lines([
    (1, "m-1", "NONE", "ENTERQUEUE", "|13800000001|1"),
    (41, "m-1", "agent01", "CONNECT", "40|x|2"),
    (100, "m-2", "NONE", "ENTERQUEUE", "|13800000002|1"),
    (190, "m-2", "agent01", "CONNECT", "90|x|2"),
    (200, "m-3", "NONE", "ENTERQUEUE", "|13800000003|1"),
    (230, "m-3", "NONE", "ABANDON", "1|1|30"),
    (300, "m-4", "NONE", "ENTERQUEUE", "|13800000004|1"),
    (320, "m-4", "agent02", "CONNECT", "20|x|2"),
    (400, "m-5", "NONE", "ENTERQUEUE", "|13800000005|1"),
    (500, "m-b1", "NONE", "BLOCKED", "13800000009"),
    (600, "m-5", "agent01", "CONNECT", "200|x|2"),
])
# Host b: d1 enters at 0 and waits 40 (h 10); d2 is told 10 and waits 10 (error 0).
# Two blocked.
B_LOG = _lines([
    (10, "b-1", "NONE", "ENTERQUEUE", "|13800000011|1"),
    (50, "b-1", "agent03", "CONNECT", "40|x|2"),
    (60, "b-2", "NONE", "ENTERQUEUE", "|13800000012|1"),
    (65, "b-b1", "NONE", "BLOCKED", "13800000019"),
    (66, "b-b2", "NONE", "BLOCKED", "13800000029"),
    (70, "b-2", "agent03", "CONNECT", "10|x|2"),
])
# Over both: told 4, errors 0, 10, 80, 173: median (nearest rank, 2nd) 10, p90 (4th)
# 173, within 60 s 2 of 4. Blocked 3 of 7 calls + 3: 30 %; main 1 of 6, b 2 of 4.
EXPECTED_TOTAL = {"blocked": 3, "blocked_rate": 0.3, "estimate_told": 4,
                  "estimate_median_error_s": 10, "estimate_p90_error_s": 173,
                  "estimate_within_60_rate": 0.5}
EXPECTED_MAIN = {"blocked": 1, "blocked_rate": 1 / 6, "estimate_told": 3,
                 "estimate_median_error_s": 80, "estimate_p90_error_s": 173,
                 "estimate_within_60_rate": 1 / 3}
EXPECTED_B = {"blocked": 2, "blocked_rate": 0.5, "estimate_told": 1,
              "estimate_median_error_s": 0, "estimate_p90_error_s": 0,
              "estimate_within_60_rate": 1.0}


def line_calls() -> list[Call]:
    """The calls of both logs as the bridges stored them."""
    waits = {"m-1": 40, "m-2": 90, "m-3": 30, "m-4": 20, "m-5": 200, "b-1": 40, "b-2": 10}
    entered = {"m-1": 1, "m-2": 100, "m-3": 200, "m-4": 300, "m-5": 400, "b-1": 10, "b-2": 60}
    calls = []
    for callid, wait in waits.items():
        at = DAY + dt.timedelta(seconds=entered[callid])
        answered = callid != "m-3"
        calls.append(Call(callid=callid, queue="hotline", host="b" if callid[0] == "b" else "main",
                          entered_queue_at=at, wait_s=wait,
                          outcome="answered" if answered else "abandoned",
                          answered_at=at + dt.timedelta(seconds=wait) if answered else None,
                          agent_interface="PJSIP/8001" if answered else None,
                          talk_s=60 if answered else None, hold_s=0 if answered else None))
    return calls


# Keep-my-place callbacks on the same calls (the console's default offer: 60 s). m-3
# pressed 1 (it waited 30 s) and was reached; b-2 pressed 1 (10 s) and every attempt
# failed; m-4's request is a lost call's automatic call-back, never offered: none of the
# four. Offered: m-2 (90 s), m-5 (200 s) and the two who pressed 1.
CALLBACK_OFFER_S = 60
EXPECTED_CALLBACKS_TOTAL = {"callbacks_offered": 4, "callbacks_accepted": 2,
                            "callbacks_completed": 1, "callbacks_failed": 1}
EXPECTED_CALLBACKS_MAIN = {"callbacks_offered": 3, "callbacks_accepted": 1,
                           "callbacks_completed": 1, "callbacks_failed": 0}
EXPECTED_CALLBACKS_B = {"callbacks_offered": 1, "callbacks_accepted": 1,
                        "callbacks_completed": 0, "callbacks_failed": 1}


def callback_requests() -> list[CallbackRequest]:
    requests = []
    for callid, state, source in (("m-3", "completed", "keep_place"),
                                  ("b-2", "failed", "keep_place"),
                                  ("m-4", "completed", "lost_call")):
        requests.append(CallbackRequest(
            callid=callid, host="b" if callid[0] == "b" else "main",
            caller_number="1380000000" + callid[-1], queue="hotline", joined_at=DAY,
            state=state, source=source, attempts=3 if state == "failed" else 1))
    return requests
