"""ThreadedSink: a slow sink no longer holds the bridge's dispatch thread."""
import threading
import time

import pytest

from hotline.bridge_root import build_sinks
from hotline.errors import BridgeStartError
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


def test_the_root_threads_every_sink():
    [sink] = build_sinks(None, [("gated", lambda settings: GatedSink(settings))])
    assert isinstance(sink, ThreadedSink) and isinstance(sink.sink, GatedSink)
    sink.sink.gate.set()
    sink.close()


def test_a_sink_that_cannot_be_built_stops_start_up_with_one_line():
    def broken(settings):
        raise ValueError("no Redis URL")

    built = []
    with pytest.raises(BridgeStartError) as refused:
        build_sinks(None, [("gated", lambda s: built.append(GatedSink(s)) or built[-1]),
                           ("live state", broken)])
    assert str(refused.value) == ("bridge not started: the live state sink cannot be built: "
                                  "ValueError: no Redis URL")
    assert built[0].closed  # the one built before it is closed again


class BatchSink:
    def __init__(self):
        self.batches: list = []
        self.arrived: list = []
        self.gate = threading.Event()

    def on_arrival(self, event):
        self.arrived.append(event)

    def handle_batch(self, events):
        self.gate.wait(5)
        self.batches.append(list(events))


def test_a_batching_sink_gets_what_queued_up_in_order():
    inner = BatchSink()
    sink = ThreadedSink(inner)
    for event in range(5):
        sink.handle(event)
    assert inner.arrived == [0, 1, 2, 3, 4]  # seen on the caller's thread at once
    inner.gate.set()
    assert sink.drain()
    assert [e for batch in inner.batches for e in batch] == [0, 1, 2, 3, 4]
    assert len(inner.batches) < 5
    sink.close()


class DeferringSink(BatchSink):
    """Pushes what is urgent per batch; does the rest at flush."""

    def __init__(self):
        super().__init__()
        self.calls: list = []
        self.pushing = threading.Event()

    def push_batch(self, events):
        self.pushing.set()
        self.gate.wait(5)
        self.calls.append(("push", list(events)))

    def flush(self):
        self.calls.append(("flush",))


def test_a_deferring_sink_flushes_once_the_burst_is_over_and_before_a_drain():
    inner = DeferringSink()
    sink = ThreadedSink(inner)
    sink.handle(0)
    assert inner.pushing.wait(5)
    for event in range(1, 5):  # the first push is held: the other four queue up behind it
        sink.handle(event)
    inner.gate.set()
    assert sink.drain()
    assert inner.calls == [("push", [0]), ("push", [1, 2, 3, 4]), ("flush",)]
    sink.handle(5)
    assert sink.drain()
    assert inner.calls[3:] == [("push", [5]), ("flush",)]
    assert sink.drain() and len(inner.calls) == 5  # nothing pushed, nothing to flush
    sink.close()


def test_a_burst_is_pushed_a_few_events_at_a_time_and_flushed_once():
    """The first pops of fifty rings leave before the last ones are built."""
    from telephony import sink_thread

    inner = DeferringSink()
    sink = ThreadedSink(inner)
    sink.handle(0)
    assert inner.pushing.wait(5)
    burst = list(range(1, 2 * sink_thread.PUSH_BATCH + 5))
    for event in burst:  # queued behind the held first push
        sink.handle(event)
    inner.gate.set()
    assert sink.drain()
    pushes = [call[1] for call in inner.calls if call[0] == "push"]
    assert pushes[0] == [0]
    assert all(len(push) <= sink_thread.PUSH_BATCH for push in pushes)
    assert [len(push) for push in pushes[1:]] == [sink_thread.PUSH_BATCH,
                                                  sink_thread.PUSH_BATCH, 4]
    assert [event for push in pushes for event in push] == [0, *burst]
    assert inner.calls[-1] == ("flush",) and inner.calls.count(("flush",)) == 1
    sink.close()


def test_a_batching_sink_that_defers_nothing_still_gets_the_whole_queue():
    from telephony import sink_thread

    class Held(BatchSink):
        def __init__(self):
            super().__init__()
            self.entered = threading.Event()

        def handle_batch(self, events):
            self.entered.set()
            super().handle_batch(events)

    inner = Held()
    sink = ThreadedSink(inner)
    sink.handle(0)
    assert inner.entered.wait(5)
    later = list(range(1, 3 * sink_thread.PUSH_BATCH))
    for event in later:
        sink.handle(event)
    inner.gate.set()
    assert sink.drain()
    assert inner.batches == [[0], later]
    sink.close()


def test_a_steady_stream_still_flushes_within_the_longest_deferral():
    from telephony import sink_thread

    inner = DeferringSink()
    inner.gate.set()
    sink = ThreadedSink(inner)
    started = time.monotonic()
    while time.monotonic() - started < 3 * sink_thread.MAX_DEFER_S:
        sink.handle(0)
        time.sleep(sink_thread.SETTLE_S / 5)  # never long enough to settle
    flushes_while_busy = inner.calls.count(("flush",))
    assert flushes_while_busy >= 2
    sink.close()
