"""A tiny threaded fake AMI server: greets, answers actions, plays recorded bytes.

Used by tests/unit/test_ami_client.py and the reconnect test. It can be stopped
(every socket closed, as when Asterisk dies) and restarted on the same port.
"""
from __future__ import annotations

import socket
import threading
import time
from typing import Callable

from telephony.ami.protocol import AmiMessage, AmiParser

GREETING = b"Asterisk Call Manager/11.0.0\r\n"
Responder = Callable[[AmiMessage], list[bytes]]


def frame(**headers) -> bytes:
    lines = []
    for name, value in headers.items():
        for item in value if isinstance(value, list) else [value]:
            lines.append(f"{name}: {item}\r\n")
    return ("".join(lines) + "\r\n").encode()


def queue_status(action: AmiMessage) -> list[bytes]:
    action_id = action.action_id
    return [
        frame(Response="Success", ActionID=action_id, EventList="start",
              Message="Queue status will follow"),
        frame(Event="QueueParams", Queue="hotline", Calls="0", ActionID=action_id),
        frame(Event="QueueMember", Queue="hotline", Name="Agent 1", Location="PJSIP/8001",
              Paused="0", ActionID=action_id),
        frame(Event="QueueStatusComplete", ActionID=action_id, EventList="Complete",
              ListItems="2"),
    ]


class FakeAmi:
    """Fake Asterisk manager on 127.0.0.1; `responders` maps Action -> frames."""

    def __init__(self, secret: str = "s3cret", port: int = 0):
        self.secret = secret
        self.actions: list[AmiMessage] = []
        self.responders: dict[str, Responder] = {"QueueStatus": queue_status}
        self.silent_actions: set[str] = set()
        self.delays: dict[str, float] = {}
        self.clients: list[socket.socket] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.port = port
        self.start()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(8)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Close the listener and every client: what Asterisk dying looks like."""
        if self._listener is not None:
            _close(self._listener)  # shutdown wakes the thread blocked in accept()
            self._listener = None
        with self._lock:
            clients, self.clients = self.clients, []
        for client in clients:
            _close(client)

    def send_all(self, data: bytes) -> None:
        with self._lock:
            clients = list(self.clients)
        for client in clients:
            client.sendall(data)

    def wait_clients(self, count: int = 1, timeout: float = 3.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.clients) >= count:
                    return True
            time.sleep(0.01)
        return False

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                self.clients.append(client)
                self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        parser = AmiParser(expect_greeting=False)
        try:
            client.sendall(GREETING)
            while True:
                data = client.recv(65536)
                if not data:
                    return
                for action in parser.feed(data):
                    self.actions.append(action)
                    self._answer(client, action)
        except OSError:
            return
        finally:
            with self._lock:
                if client in self.clients:
                    self.clients.remove(client)
            _close(client)

    def _answer(self, client: socket.socket, action: AmiMessage) -> None:
        name = action.get("Action", "")
        if name in self.silent_actions:
            return
        frames = self._frames_for(name, action)
        delay = self.delays.get(name, 0.0)
        if delay:
            threading.Timer(delay, _send_quietly, args=(client, frames)).start()
        else:
            _send_quietly(client, frames)
        if name == "Logoff":
            _close(client)

    def _frames_for(self, name: str, action: AmiMessage) -> list[bytes]:
        action_id = action.action_id
        if name == "Login":
            if action.get("Secret") != self.secret:
                return [frame(Response="Error", ActionID=action_id,
                              Message="Authentication failed")]
            return [frame(Response="Success", ActionID=action_id,
                          Message="Authentication accepted"),
                    frame(Event="FullyBooted", Privilege="system,all", Status="Fully Booted")]
        if name == "Ping":
            return [frame(Response="Success", ActionID=action_id, Ping="Pong")]
        if name == "Logoff":
            return [frame(Response="Goodbye", ActionID=action_id,
                          Message="Thanks for all the fish.")]
        if name in self.responders:
            return self.responders[name](action)
        return [frame(Response="Error", ActionID=action_id, Message="Invalid/unknown command")]


def _send_quietly(client: socket.socket, frames: list[bytes]) -> None:
    try:
        client.sendall(b"".join(frames))
    except OSError:
        pass


def _close(client: socket.socket) -> None:
    try:
        client.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    client.close()
