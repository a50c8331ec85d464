"""`hotline bridge`: AMI in, call records and typed events out.

Messages from `AmiConnection` (one dispatch thread, in order) go through the
normalizer and the state machine; the changed call records go to the database
writer first, then each published event to its sinks (built and handed in by
the composition root, hotline.bridge_root; each has `handle(event)` and runs on
a thread of its own). A sink that raises is logged and never stops the bridge.

On every (re)connect the bridge resyncs (telephony.resync, which sees the
bridge as a `ResyncHost`: the bridge flushes, locks and writes for it): QueueStatus,
QueueSummary and CoreShowChannels become a QueueSnapshotTaken event, and calls
the database holds open that Asterisk no longer has are closed from queue_log
or marked `ended_unseen`. A housekeeping thread finishes closed calls a little
later: the recording's size and duration once MixMonitor closed the file, and
queue_log's reason for an unanswered exit (timeout, exit-empty), which no AMI
event carries.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import heapq
import logging
import threading
import time
from typing import Callable, Optional

from telephony import events as ev
from telephony import resync
from telephony.call_record import CallRecord
from telephony.call_writer import CallWriter
from telephony.errors import SpoolError
from telephony.normalizer import HANDLERS, normalize
from telephony.queue_log import QueueLogFollower
from telephony.recordings import recording_record
from telephony.spool import Spool, spool_path
from telephony.state_machine import CallStateMachine
from telephony.stored_calls import StoredCalls

log = logging.getLogger(__name__)

# Events the parser keeps; the rest are skipped before they become messages.
FOLLOWED_EVENTS = frozenset(HANDLERS) | {"FullyBooted"}
# Seconds after a call closed to read its recording (MixMonitor closes the file
# after the channel is gone) and to look queue_log up; the second pass catches
# a file still being written at the first.
FINISH_DELAYS_S = (2.0, 15.0)
SINK_ERROR_LOG_INTERVAL_S = 10.0
RESYNC_RETRY_S = 5.0
BOOT_WAIT_S = 10.0


def open_spool(settings, engine) -> Optional[Spool]:
    """The durable spool for records the database cannot take (telephony.spool).

    One file per database: records spooled for one database are never replayed
    into another (tests and benchmarks run bridges on private databases).
    """
    url = engine.url.render_as_string(hide_password=True)
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    path = spool_path(settings).with_name(f"call-records-{digest}.sqlite3")
    try:
        return Spool(path)
    except SpoolError:
        log.exception("no spool: while the database is away, records wait in memory only")
        return None


class Bridge:
    """Normalizer -> state machine -> writer and sinks; see the module docstring."""

    def __init__(self, settings, engine, sinks: Optional[list] = None,
                 connection_factory: Optional[Callable] = None, clock=time.time):
        self.settings = settings
        self.engine = engine
        self.clock = clock
        self.machine = CallStateMachine(settings.ring_cadence_s, settings.wrapup_s,
                                        local_area_code=settings.local_area_code)
        self.writer = CallWriter(engine, spool=open_spool(settings, engine),
                                 host=settings.asterisk_host)
        self.stored_calls = StoredCalls(engine)
        self.sinks = list(sinks or [])
        self.queue_log = QueueLogFollower(settings.queue_log_path)
        self.connection = None
        self.connection_factory = connection_factory or _ami_connection
        self.resyncs = 0
        self._booted_this_session = False
        self._session = 0  # AMI logins so far: a fallback timer is for its own session
        self.lock = threading.RLock()
        self._tasks: list = []
        self._task_seq = 0
        self._stopping = threading.Event()
        self._sink_errors: dict[int, float] = {}
        self._housekeeper = threading.Thread(target=self._housekeep, name="bridge-housekeeping",
                                             daemon=True)

    # ---- lifecycle
    def start(self) -> None:
        self._housekeeper.start()
        self.connection = self.connection_factory(
            self.settings, self.on_message, self.on_connected, self.on_disconnected)
        self.connection.start()

    def stop(self) -> None:
        if self._stopping.is_set():
            return  # stopped already (a test stops it early, the fixture again)
        self._stopping.set()
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001 - the records below must still be committed
                log.exception("AMI connection did not close cleanly")
        with self.lock:
            self.write_changed_calls(time.perf_counter())
        self.writer.flush()
        self.writer.close()
        for sink in self.sinks:
            close = getattr(sink, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # noqa: BLE001
                    log.exception("sink %r did not close cleanly", sink)

    # ---- AMI callbacks (the connection's dispatch thread)
    def on_message(self, message) -> None:
        arrived = time.perf_counter()
        if message.get("Event") == "FullyBooted":
            self._resync_once_booted()
            return
        events = normalize(message)
        if events:
            with self.lock:
                for event in events:
                    self.process(event, arrived)

    def on_connected(self) -> None:
        # Asterisk takes AMI logins while still loading its modules (a restart, a
        # crash): a resync then finds no queue. FullyBooted comes right after the
        # login, or when the boot ends: resync then; the timer is a fallback for
        # an AMI user that cannot read the system class.
        log.info("AMI connected; resyncing once Asterisk is fully booted")
        self._booted_this_session = False
        self._session += 1
        self.publish_event(ev.BridgeConnected(at=self.clock()))
        self.schedule(BOOT_WAIT_S, self._resync_unless_booted, self._session)

    def _resync_once_booted(self) -> None:
        if not self._booted_this_session:
            self._booted_this_session = True
            self._resync()

    def _resync_unless_booted(self, session: int) -> None:
        if self.connection is None:
            return  # fed by hand (benchmarks, tests): no Asterisk to ask
        if session == self._session and not self._booted_this_session:
            log.warning("no FullyBooted %.0f s after the AMI login: resyncing anyway",
                        BOOT_WAIT_S)
            self._resync()

    def _resync(self) -> None:
        try:
            resync.resync(self)  # through the ResyncHost methods below
        except Exception:  # noqa: BLE001 - e.g. the database is away: try again soon
            log.exception("resync failed; following live events, retrying in %.0f s",
                          RESYNC_RETRY_S)
            if not self._stopping.is_set():
                self.schedule(RESYNC_RETRY_S, self._resync)
            return
        self.resyncs += 1
        self.publish_event(ev.BridgeResynced(at=self.clock()))

    def on_disconnected(self, reason: str) -> None:
        log.warning("AMI disconnected: %s", reason)
        self.publish_event(ev.BridgeDisconnected(at=self.clock(), reason=reason))

    # ---- the pipeline
    def process(self, event: ev.CallEvent, arrived: Optional[float] = None) -> None:
        """One typed event through the state machine, the writer and the sinks."""
        arrived = time.perf_counter() if arrived is None else arrived
        with self.lock:
            if isinstance(event, ev.CallAbandoned):
                event = self._with_exit_reason(event)
            published = self.machine.apply(event)
            self.write_changed_calls(arrived)
            for item in published:
                self._publish(item)

    def publish_event(self, event: ev.CallEvent) -> None:
        """An event that is not a call's (bridge state, snapshot) straight to the sinks."""
        self.process(event)

    def write_changed_calls(self, arrived: float) -> None:
        """Hand the state machine's changed records to the writer (hold `lock`)."""
        records = self.machine.take_changed()
        if not records:
            return
        self.writer.submit(records, arrived)
        for record in records:
            if record.closed:
                for delay in FINISH_DELAYS_S:
                    self.schedule(delay, self.finish_call, record.callid, record.outcome)

    def _publish(self, event: ev.CallEvent) -> None:
        for sink in self.sinks:
            try:
                sink.handle(event)
            except Exception:  # noqa: BLE001 - one sink must not stop the others
                self._log_sink_error(sink, event)

    def _log_sink_error(self, sink, event) -> None:
        now = time.monotonic()
        if now - self._sink_errors.get(id(sink), 0.0) >= SINK_ERROR_LOG_INTERVAL_S:
            self._sink_errors[id(sink)] = now
            log.exception("sink %s failed on %s (further failures muted for %.0f s)",
                          type(sink).__name__, event.name, SINK_ERROR_LOG_INTERVAL_S)

    def _with_exit_reason(self, event: ev.CallAbandoned) -> ev.CallAbandoned:
        # Asterisk raises QueueCallerAbandon for timeouts and leave-when-empty too;
        # only queue_log's verb tells them apart (when its file is readable here).
        logged = self.queue_log.call(event.callid)
        if logged is not None and logged.outcome and logged.outcome != "answered":
            return dataclasses.replace(event, outcome=logged.outcome)
        return event

    # ---- what a resync may do (telephony.resync.ResyncHost)
    def ask_asterisk(self, action: str, timeout: float) -> list:
        return self.connection.send_action({"Action": action}, timeout=timeout).events

    @contextlib.contextmanager
    def reconciling(self):
        """The calls to reconcile, with the invariants a resync relies on kept here."""
        self.writer.flush()  # what the machine already closed must be in the database
        with self.lock:
            yield resync.OpenCalls(
                machine=self.machine, stored=self.stored_calls, queue_log=self.queue_log,
                first_resync=self.resyncs == 0, store=self._store_now,
                finish_later=self._finish_soon)
            self.write_changed_calls(time.perf_counter())

    def _store_now(self, record: CallRecord) -> None:
        self.writer.submit([record], time.perf_counter())

    def _finish_soon(self, callid: str, outcome: Optional[str]) -> None:
        self.schedule(0.5, self.finish_call, callid, outcome)

    # ---- deferred work
    def schedule(self, delay_s: float, function: Callable, *args) -> None:
        with self.lock:
            self._task_seq += 1
            heapq.heappush(self._tasks, (time.monotonic() + delay_s, self._task_seq,
                                         function, args))

    def run_due_tasks(self, now: Optional[float] = None) -> int:
        now = time.monotonic() if now is None else now
        due = []
        with self.lock:
            while self._tasks and self._tasks[0][0] <= now:
                due.append(heapq.heappop(self._tasks))
        # Run outside the lock: a task may wait on Asterisk (a resync's QueueStatus,
        # up to its timeout), and events must keep flowing meanwhile.
        for _, _, function, args in due:
            try:
                function(*args)
            except Exception:  # noqa: BLE001
                log.exception("bridge task %s failed", getattr(function, "__name__", function))
        return len(due)

    def _housekeep(self) -> None:
        while not self._stopping.wait(0.25):
            self.run_due_tasks()

    def finish_call(self, callid: str, outcome: Optional[str]) -> None:
        """After a call closed: its recording's size and duration, queue_log's exit reason."""
        recording = recording_record(self.settings, callid)
        if recording is not None:
            self.writer.submit([recording], time.perf_counter())
        if outcome == "abandoned":
            logged = self.queue_log.call(callid)
            if logged is not None and logged.outcome not in (None, "answered", "abandoned"):
                self.machine.refine_exit(callid, logged.outcome)
                # A key exit (the keep-my-place callback's 1) raises no QueueCallerAbandon:
                # its wait is queue_log's alone.
                self.writer.submit([CallRecord(callid=callid, outcome=logged.outcome,
                                               wait_s=logged.wait_s)],
                                   time.perf_counter())
        elif outcome in ("answered", "transferred"):
            # Asterisk logs COMPLETECALLER/COMPLETEAGENT but does not always raise
            # AgentComplete (bench/load: ~1 % of answered calls, no AMI session got
            # it): then queue_log alone knows the talk time and who hung up.
            logged = self.queue_log.call(callid)
            if logged is not None and logged.talk_s is not None:
                self.writer.submit([CallRecord(callid=callid, talk_s=logged.talk_s,
                                               hung_up_by=logged.hung_up_by)],
                                   time.perf_counter())


def _ami_connection(settings, on_event, on_connected, on_disconnected):
    from telephony.ami.client import AmiConnection

    return AmiConnection(settings.ami_host, settings.ami_port, settings.ami_user,
                         settings.ami_secret, on_event, on_connected, on_disconnected,
                         events=FOLLOWED_EVENTS)
