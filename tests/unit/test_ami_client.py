"""Each pyst2 0.5.1 defect, fixed in telephony.ami.adapter, against a fake AMI server."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from asterisk.manager import Manager, ManagerMsg

from telephony.ami.adapter import PatchedManager
from telephony.ami.client import AmiConnection
from telephony.errors import AmiConnectionError, AmiTimeoutError
from tests.unit.ami_fake import FakeAmi, frame, queue_status

SHARED_AMI = Path(__file__).resolve().parents[1] / "fixtures" / "ami"


class Recorder:
    """Callbacks of an AmiConnection, with the thread each ran on."""

    def __init__(self):
        self.events = []
        self.threads = set()
        self.log = []
        self.sequence = []
        self.changed = threading.Condition()

    def on_event(self, message):
        with self.changed:
            self.events.append(message)
            self.sequence.append(message.event)
            self.threads.add(threading.current_thread().name)
            self.changed.notify_all()

    def on_connected(self):
        with self.changed:
            self.log.append("connected")
            self.sequence.append("connected")
            self.changed.notify_all()

    def on_disconnected(self, reason):
        with self.changed:
            self.log.append("disconnected")
            self.changed.notify_all()

    def wait(self, predicate, timeout=3.0):
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)


@pytest.fixture
def server():
    fake = FakeAmi()
    yield fake
    fake.stop()


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def connect(server, recorder):
    opened = []

    def _connect(**options):
        options.setdefault("secret", server.secret)
        secret = options.pop("secret")
        connection = AmiConnection("127.0.0.1", server.port, "hotline", secret,
                                   recorder.on_event, recorder.on_connected,
                                   recorder.on_disconnected, **options)
        opened.append(connection)
        connection.start()
        return connection

    yield _connect
    for connection in opened:
        connection.close()


def connected(connect):
    connection = connect()
    assert connection.wait_connected(3.0)
    return connection


def test_defect_1_reader_is_buffered_not_one_byte_per_recv(server, recorder, connect):
    connection = connected(connect)
    data = (SHARED_AMI / "queue-pause-answer-abandon.ami").read_bytes()
    body = data.split(b"\r\n", 1)[1]  # without the recorded greeting
    expected = sum(1 for line in body.split(b"\r\n") if line.startswith(b"Event:"))
    server.send_all(body)
    assert recorder.wait(lambda r: len(r.events) >= expected + 1)  # + FullyBooted
    manager = connection.manager
    assert manager.bytes_read / manager.reads > 100
    assert any(e.get("CallerIDName") == "张三" for e in recorder.events)


def test_defect_2_chanvariable_does_not_kill_the_reader(server, recorder, connect):
    with pytest.raises(AttributeError):  # stock pyst2's parser: dict.has_key on Python 3
        ManagerMsg(["Event: Newchannel\r\n", "ChanVariable: QUEUE=hotline\r\n"])
    connection = connected(connect)
    server.send_all(frame(Event="Newchannel", Channel="PJSIP/8001-1",
                          ChanVariable=["QUEUE=hotline", "NOTE=O\\'Brien"]))
    server.send_all(b"garbage line\r\n\r\n")
    assert recorder.wait(lambda r: any(e.event == "Newchannel" for e in r.events))
    newchannel = next(e for e in recorder.events if e.event == "Newchannel")
    assert newchannel.multi("ChanVariable") == ["QUEUE=hotline", "NOTE=O'Brien"]
    assert connection.send_action({"Action": "Ping"}, timeout=2).message["Ping"] == "Pong"


def test_defect_3_no_shared_default_dict(server, connect):
    stock_default = Manager.send_action.__defaults__[0]
    assert isinstance(stock_default, dict)  # the defect in pyst2 itself
    connection = connected(connect)
    fields = {"Action": "Ping"}
    first = connection.send_action(fields)
    second = connection.send_action(fields)
    assert fields == {"Action": "Ping"}
    assert first.action_id != second.action_id
    assert PatchedManager.send_action.__defaults__[0] is None


def test_defect_4_responses_matched_by_action_id(server, connect):
    server.responders["Slow"] = lambda a: [frame(Response="Success", ActionID=a.action_id,
                                                 Message="slow one")]
    server.delays["Slow"] = 0.4
    connection = connected(connect)
    results = {}
    slow = threading.Thread(target=lambda: results.update(
        slow=connection.send_action({"Action": "Slow"})))
    slow.start()
    time.sleep(0.1)
    results["ping"] = connection.send_action({"Action": "Ping"})
    slow.join(3)
    assert results["ping"].message.get("Ping") == "Pong"
    assert results["slow"].text == "slow one"


def test_defect_5_list_action_returns_every_event_until_complete(server, recorder, connect):
    connection = connected(connect)
    response = connection.send_action({"Action": "QueueStatus", "Queue": "hotline"})
    assert response.ok and response.message["EventList"] == "start"
    assert [e.event for e in response.events] == ["QueueParams", "QueueMember",
                                                 "QueueStatusComplete"]
    assert response.events[1]["Location"] == "PJSIP/8001"
    time.sleep(0.1)
    assert not any(e.event == "QueueMember" for e in recorder.events)


def test_list_events_do_not_swallow_unrelated_events(server, recorder, connect):
    def interleaved(action):
        frames = queue_status(action)
        return frames[:2] + [frame(Event="Hangup", Uniqueid="9.9")] + frames[2:]

    server.responders["QueueStatus"] = interleaved
    connection = connected(connect)
    response = connection.send_action({"Action": "QueueStatus"})
    assert response.events[-1].event == "QueueStatusComplete"
    assert recorder.wait(lambda r: any(e.event == "Hangup" for e in r.events))


def test_defect_6_reconnects_after_asterisk_dies_and_comes_back(server, recorder, connect):
    connection = connected(connect)
    manager = connection.manager
    server.silent_actions.add("Hold")
    waiting = {}

    def wait_forever_action():
        try:
            connection.send_action({"Action": "Hold"}, timeout=30)
        except AmiConnectionError as error:
            waiting["error"] = error

    waiter = threading.Thread(target=wait_forever_action)
    waiter.start()
    time.sleep(0.1)
    server.stop()
    waiter.join(2)
    assert isinstance(waiting.get("error"), AmiConnectionError)  # failed fast, not 30 s
    assert recorder.wait(lambda r: "disconnected" in r.log)
    with pytest.raises(AmiConnectionError):
        connection.send_action({"Action": "Ping"}, timeout=0.2)
    time.sleep(0.5)
    back = time.monotonic()
    server.start()
    assert connection.wait_connected(3.0)
    assert time.monotonic() - back < 2.0
    assert recorder.wait(lambda r: r.log == ["connected", "disconnected", "connected"])
    assert connection.manager is manager and connection.sessions == 2
    server.send_all(frame(Event="Hangup", Uniqueid="after.restart"))
    assert recorder.wait(lambda r: any(e.get("Uniqueid") == "after.restart" for e in r.events))


def test_a_late_reader_of_an_aborted_link_does_not_drop_the_new_one(server, recorder, connect):
    connection = connected(connect)
    old_socket = connection.manager._sock
    connection.manager.abort("keepalive failed (test)")
    assert recorder.wait(lambda r: r.log == ["connected", "disconnected", "connected"])
    connection.manager.connection_lost(old_socket, "the old reader ends late")
    assert connection.connected
    assert connection.send_action({"Action": "Ping"}, timeout=2).ok


def test_defect_7_close_after_logoff_does_not_raise(server):
    manager = PatchedManager(on_event=lambda message: None)
    manager.connect("127.0.0.1", server.port)
    assert manager.login("hotline", server.secret).ok
    assert manager.logoff().message.response == "Goodbye"
    manager.close()
    manager.close()


def test_pyst2_action_helpers_still_work_through_the_adapter(server):
    server.responders["Command"] = lambda a: [frame(
        Response="Success", ActionID=a.action_id, Output=["line one", "line two"])]
    manager = PatchedManager(on_event=lambda message: None)
    try:
        assert manager.connect("127.0.0.1", server.port) == "Asterisk Call Manager/11.0.0"
        manager.login("hotline", server.secret)
        assert manager.ping().message["Ping"] == "Pong"
        assert manager.command("core show version").message.multi("Output") == [
            "line one", "line two"]
    finally:
        manager.close()


def test_action_without_answer_times_out(server, connect):
    server.silent_actions.add("Hold")
    connection = connected(connect)
    started = time.monotonic()
    with pytest.raises(AmiTimeoutError):
        connection.send_action({"Action": "Hold"}, timeout=0.3)
    assert time.monotonic() - started < 1.0
    assert connection.send_action({"Action": "Ping"}).ok  # the link is still usable


def test_send_before_any_connection_fails_clearly(recorder):
    connection = AmiConnection("127.0.0.1", 9, "hotline", "x", recorder.on_event)
    connection.start()
    try:
        with pytest.raises(AmiConnectionError, match="not connected"):
            connection.send_action({"Action": "Ping"}, timeout=0.2)
    finally:
        connection.close()


def test_refused_login_keeps_retrying_without_connecting(server, recorder, connect, caplog):
    connection = connect(secret="wrong", max_backoff_s=0.1)
    assert not connection.wait_connected(0.5)
    assert server.connections >= 2
    assert "login refused" in caplog.text
    assert recorder.log == []


def test_keepalive_detects_a_silent_link_and_reconnects(server, recorder, connect):
    connection = connect(keepalive_s=0.3)
    assert connection.wait_connected(3)
    server.silent_actions.add("Ping")
    assert recorder.wait(lambda r: "disconnected" in r.log, timeout=5)
    server.silent_actions.discard("Ping")
    assert recorder.wait(lambda r: r.log.count("connected") == 2, timeout=5)


def test_events_arrive_in_order_on_one_thread_and_a_failing_callback_is_survived(server):
    seen = []

    def on_event(message):
        if message.get("N") == "3":
            raise RuntimeError("a sink failed")
        seen.append((message.get("N"), threading.current_thread().name))

    connection = AmiConnection("127.0.0.1", server.port, "hotline", server.secret, on_event)
    connection.start()
    try:
        assert connection.wait_connected(3)
        server.send_all(b"".join(frame(Event="Tick", N=str(n)) for n in range(200)))
        deadline = time.monotonic() + 3
        while len(seen) < 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        ticks = [n for n, _ in seen if n is not None]
        assert ticks == [str(n) for n in range(200) if n != 3]
        assert {thread for _, thread in seen} == {"ami-dispatch"}
    finally:
        connection.close()


def test_connected_comes_before_events_of_the_session(server, recorder, connect):
    connected(connect)
    assert recorder.wait(lambda r: any(e.event == "FullyBooted" for e in r.events))
    assert recorder.sequence.index("connected") < recorder.sequence.index("FullyBooted")


def test_close_is_idempotent_and_stops_threads(server, connect):
    connection = connected(connect)
    connection.close()
    connection.close()
    assert not connection.connected
    with pytest.raises(AmiConnectionError):
        connection.send_action({"Action": "Ping"}, timeout=0.1)
    assert any(a.get("Action") == "Logoff" for a in server.actions)


def test_close_while_connect_has_not_started_the_reader_does_not_raise():
    """close() from another thread between the reader's creation and its start."""
    import threading

    from telephony.ami.adapter import PatchedManager

    manager = PatchedManager(on_event=lambda message: None)
    manager._reader = threading.Thread(target=lambda: None)  # made, not started
    manager.close()  # raised "cannot join thread before it is started"
