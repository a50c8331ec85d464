"""A one-shot AMI check used by the lab: log in and wait for FullyBooted.

Kept apart from the bridge's connection (telephony.ami.client) on purpose: the lab must
answer "is Asterisk up?" with nothing but a socket, and must not depend on the
bridge's threads or reconnect logic.
"""
from __future__ import annotations

import socket
import time


class AmiProbeError(Exception):
    """AMI did not answer as a booted Asterisk would."""


def _read_frames(sock: socket.socket, deadline: float):
    buffer = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            raise AmiProbeError("AMI closed the connection")
        buffer += chunk
        while b"\r\n\r\n" in buffer:
            frame, buffer = buffer.split(b"\r\n\r\n", 1)
            headers = {}
            for line in frame.decode("utf-8", "replace").split("\r\n"):
                name, sep, value = line.partition(":")
                if sep:
                    headers.setdefault(name.strip(), value.strip())
            yield headers


def wait_fully_booted(host: str, port: int, username: str, secret: str,
                      timeout_s: float = 60.0) -> float:
    """Return seconds waited until AMI reported FullyBooted; raise AmiProbeError."""
    started = time.monotonic()
    deadline = started + timeout_s
    last_error = "no answer"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1.0) as sock:
                sock.sendall(
                    f"Action: Login\r\nUsername: {username}\r\nSecret: {secret}\r\n"
                    "Events: system\r\n\r\n".encode())
                for headers in _read_frames(sock, min(deadline, time.monotonic() + 5)):
                    if headers.get("Response") == "Error":
                        raise AmiProbeError(f"AMI login refused: {headers.get('Message')}")
                    if headers.get("Event") == "FullyBooted":
                        sock.sendall(b"Action: Logoff\r\n\r\n")
                        return time.monotonic() - started
        except OSError as error:
            last_error = str(error)
        time.sleep(0.2)
    raise AmiProbeError(f"no FullyBooted within {timeout_s:.0f} s ({last_error})")
