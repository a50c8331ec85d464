"""hotline.ticker: rounds every tick_s, a failing round logged and not the end."""
from __future__ import annotations

import threading

from hotline.ticker import Ticker


def test_a_failing_round_is_logged_and_the_rounds_go_on(caplog):
    rounds = []
    third = threading.Event()

    def tick():
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("database away")
        if len(rounds) == 3:
            third.set()

    ticker = Ticker("test-engine", tick, tick_s=0.01)
    ticker.start()
    assert third.wait(5), rounds
    ticker.stop()
    count = len(rounds)
    assert not ticker._thread.is_alive()
    assert len(rounds) == count  # stopped: no round after stop() returned
    assert "test-engine: a round failed" in caplog.text and "database away" in caplog.text


def test_stop_before_start_and_twice_is_harmless():
    ticker = Ticker("idle", lambda: None, tick_s=10)
    ticker.stop()
    ticker.start()
    ticker.stop(timeout_s=2)
    ticker.stop()
