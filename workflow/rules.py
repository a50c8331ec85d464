"""The workflow's numbers, each with the seed or regulation it comes from.

- Online messages (QQ, WeChat, the web platform) are accepted within 5 minutes of
  being sent and the repair is dispatched within 5 minutes of acceptance (seed 000).
- Emergencies are handled before anything else: "for an event that is causing harm
  right now, first stop or limit the harm, then handle it" (004); the categories
  below are dispatched at once and the supervisor is alerted.
- Warranty periods from the handover (收房) date: the minimums of the Construction
  Quality Regulation (建设工程质量管理条例, art. 40): waterproofing and leaks of
  roofs, bathrooms and walls 5 years; electrical lines, water and drain pipes,
  fittings and decoration 2 years. Seed 004: the agent records a repair as paid or
  free "according to the content and the warranty period".
"""
from __future__ import annotations

import datetime as dt

ONLINE_CHANNELS = frozenset({"wechat", "qq", "web"})
ACCEPT_ONLINE_WITHIN = dt.timedelta(minutes=5)
DISPATCH_AFTER_ACCEPT_WITHIN = dt.timedelta(minutes=5)

# Emergency category -> the department sent at once.
EMERGENCY_CATEGORIES = {
    "leak_active": "engineering",      # water leaking now
    "lift_entrapment": "engineering",  # someone shut in a lift
    "gas_smell": "engineering",
    "fire_alarm": "security",
    "power_cut": "engineering",
}

WARRANTY_YEARS = {
    "leak": 5, "leak_active": 5,
    "plumbing": 2, "electrical": 2, "doors_windows": 2, "safety_facility": 2,
    "power_cut": 2, "gas_smell": 2,
}
# Common parts are the office's to keep up under the management fee: never paid.
COMMON_PART_CATEGORIES = frozenset({"public_area", "elevator", "lift_entrapment",
                                    "fire_alarm"})
