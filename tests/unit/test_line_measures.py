"""The queue's announcements and cap, offline: app_queue's wait estimate replayed
from queue_log and set beside the waits, blocked calls counted from the BLOCKED
lines the dialplan logs (and ignored by the queue_log oracle, which stays exact),
and the configuration each gets (production queue announces and is capped; in the
lab only the twin queue does)."""
from __future__ import annotations

import dataclasses

from call_queue.blocked import blocked_figures
from call_queue.stats import queue_log_check
from call_queue.wait_estimate import estimate_quality, replay_holdtime, wait_promises
from hotline.lab_config import lab_site, render_all
from hotline.settings import get_settings
from telephony.queue_log import parse_queue_log, read_queue_log
from tests.support.settings import make_settings

LOG = """\
1000|NONE|NONE|NONE|QUEUESTART|
1001|1001.1|hotline|NONE|ENTERQUEUE||13800000001|1
1001|1001.2|hotline|NONE|ENTERQUEUE||13800000002|2
1009|1001.1|hotline|a1|CONNECT|8|1009.5|1
1010|1010.3|hotline|NONE|ENTERQUEUE||13800000003|2
1011|1011.4|hotline|NONE|BLOCKED|13800000004
1021|1001.2|hotline|a1|CONNECT|20|1021.6|1
1040|1010.3|hotline|a1|CONNECT|30|1040.7|1
"""


def test_the_estimate_is_app_queues_running_average_of_the_waits():
    assert replay_holdtime(0, 8) == 2 and replay_holdtime(2, 20) == 6
    promises = wait_promises(parse_queue_log(LOG.splitlines()))
    # Callers 1 and 2 entered with no estimate yet; caller 3 after one answer (8 s).
    assert [(p.callid, p.estimated_s, p.waited_s) for p in promises] == [
        ("1001.1", 0, 8), ("1001.2", 0, 20), ("1010.3", 2, 30)]
    quality = estimate_quality(promises)
    assert (quality.callers, quality.mean_error_s, quality.mean_bias_s,
            quality.within_pct) == (1, 28.0, 28.0, 100.0)


def test_a_restart_resets_the_estimate():
    lines = LOG.splitlines() + ["1050|NONE|NONE|NONE|QUEUESTART|",
                                "1051|1051.8|hotline|NONE|ENTERQUEUE||13800000005|1",
                                "1060|1051.8|hotline|a1|CONNECT|9|1060.9|1"]
    assert wait_promises(parse_queue_log(lines))[-1].estimated_s == 0


def test_blocked_calls_are_counted_and_the_oracle_ignores_them(shared_ami_dir):
    figures = blocked_figures(parse_queue_log(LOG.splitlines()))["hotline"]
    assert (figures.entered, figures.blocked, figures.offered, figures.blocked_pct) == (3, 1, 4, 25.0)
    settings = make_settings(service_level_s=5, short_abandon_s=2)
    sample = read_queue_log(shared_ami_dir / "queue_log.sample")
    with_blocked = sample + list(parse_queue_log(
        [f"{int(sample[-1].time)}|1799.{n}|hotline|NONE|BLOCKED|1390000000{n}" for n in range(3)]))
    plain = queue_log_check.calls_in(sample)
    assert queue_log_check.calls_in(with_blocked) == plain
    assert queue_log_check.recompute(queue_log_check.calls_in(with_blocked), settings) == \
        queue_log_check.recompute(plain, settings)


def test_production_queue_announces_and_is_capped_the_lab_only_in_its_twin():
    settings = dataclasses.replace(get_settings(), queue_maxlen=25,
                                   queue_announce_frequency_s=90)
    lab = render_all(settings)["queues.conf"]
    main, twin = lab.split("[hotline-line]")
    assert "announce-frequency = 0" in main and "maxlen = 0" in main
    assert "announce-position = yes" in twin and "maxlen = 3" in twin
    server = dataclasses.replace(lab_site(settings), lab=False)
    production = render_all(settings, server)["queues.conf"]
    assert "[hotline-line]" not in production
    assert "announce-frequency = 90" in production and "maxlen = 25" in production
    assert "queue-thereare = hotline/queue-thereare" in production


def test_stats_verify_reports_the_blocked_calls_of_its_period(tmp_path, session_factory):
    import datetime as dt

    path = tmp_path / "queue_log"
    path.write_text(LOG, encoding="utf-8")
    start = dt.datetime.fromtimestamp(1000, dt.timezone.utc)
    end = dt.datetime.fromtimestamp(1100, dt.timezone.utc)
    with session_factory() as session:
        result = queue_log_check.verify(session, make_settings(), path, start, end)
    assert result["blocked"] == {"hotline": {"entered": 3, "blocked": 1, "offered": 4,
                                             "blocked_pct": 25.0}}
    assert result["wait_estimate"] == {"callers": 1, "mean_error_s": 28.0, "mean_bias_s": 28.0,
                                       "within_pct": 100.0}
    # The blocked call is no queue call: neither side counts it.
    assert result["calls"] == 3 and "1011.4" not in result["missing_in_database"]
