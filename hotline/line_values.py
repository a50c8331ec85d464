"""What the hotline's queue tells and refuses its callers (issue 16.1, 16.8), as
values for asterisk_conf/queues.conf.tmpl. In the lab the hotline queue itself
stays silent and unbounded (every other lab test's callers go through it) and
its twin <queue>-line carries these options with figures a test can hear and
fill in seconds."""
from __future__ import annotations

from hotline.settings import Settings

# QUEUE_PRIO of an emergency caller: above every other caller (all at 0).
EMERGENCY_PRIORITY = 10
# callback_offer_s: the keep-my-place callback (line_callback/) offered after this wait;
# the production default, since a caller hearing the offer is not put through until it
# ends (the line tests' waits would grow). Pressing 1 is taken at any time.
LAB_LINE = {"announce": True, "announce_frequency_s": 20, "periodic_announce_s": 30,
            "maxlen": 3, "wrapup_s": 0, "callback_offer_s": 60}


def line_template_values(settings: Settings, lab: bool) -> dict:
    emergency = {"emergency_priority": EMERGENCY_PRIORITY}
    if lab:
        return {"line": dict(LAB_LINE), **emergency}
    return {**emergency, "line": {"announce": True,
                     "announce_frequency_s": settings.queue_announce_frequency_s,
                     "periodic_announce_s": settings.queue_periodic_announce_s,
                     "maxlen": settings.queue_maxlen,
                     "callback_offer_s": settings.callback_offer_s}}
