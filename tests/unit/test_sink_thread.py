"""ThreadedSink: a slow sink no longer holds the bridge's dispatch thread."""
import threading
import time

from telephony.bridge import load_sinks
from telephony.sink_thread import ThreadedSink


class GatedSink:
    """Records events; blocks on each one until the test opens the gate."""

    def __init__(self, settings=None):
        self.gate = threading.Event()
        self.seen: list = []
        self.closed = False

    def handle(self, event):
        self.gate.wait(5)
        if event == "bad":
            raise ValueError("a sink's bug")
        self.seen.append(event)

    def close(self):
        self.closed = True


class QueuesItself(GatedSink):
    OWN_THREAD = True


def test_handle_returns_while_the_sink_is_still_busy():
    inner = GatedSink()
    sink = ThreadedSink(inner)
    started = time.perf_counter()
    for number in range(100):
        sink.handle(number)
    assert time.perf_counter() - started < 0.5  # the gate is shut: nothing went through
    assert inner.seen == []
    inner.gate.set()
    assert sink.drain(5)
    assert inner.seen == list(range(100))  # every event, in order


def test_a_failing_event_is_logged_and_the_next_ones_still_arrive(caplog):
    inner = GatedSink()
    inner.gate.set()
    sink = ThreadedSink(inner)
    for event in (1, "bad", 2):
        sink.handle(event)
    assert sink.drain(5)
    assert inner.seen == [1, 2]
    assert sink.errors == 1
    assert "sink GatedSink failed on bad" in caplog.text


def test_close_delivers_what_was_queued_then_closes_the_sink():
    inner = GatedSink()
    sink = ThreadedSink(inner)
    sink.handle("last")
    inner.gate.set()
    sink.close()
    assert inner.seen == ["last"] and inner.closed


def test_the_bridge_threads_every_sink_but_one_that_queues_itself(monkeypatch):
    sinks = load_sinks(None, ["tests.unit.test_sink_thread:GatedSink",
                              "tests.unit.test_sink_thread:QueuesItself"])
    assert isinstance(sinks[0], ThreadedSink) and isinstance(sinks[0].sink, GatedSink)
    assert type(sinks[1]) is QueuesItself
    sinks[0].sink.gate.set()
    sinks[0].close()
