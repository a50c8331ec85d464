#!/usr/bin/env python3
"""Record the raw bytes of one AMI session into a transcript (tests/fixtures/ami/*.ami).

    .venv/bin/python scripts/record-ami.py OUT.ami [--seconds N]

Logs in as the lab's test AMI user (hotline.settings) and writes everything
Asterisk sends, from its greeting line on, until N seconds pass or Ctrl-C.
The login action itself is not written (only Asterisk's side is recorded).
"""
from __future__ import annotations

import argparse
import signal
import socket
import time

from hotline.settings import get_settings


def record(path: str, seconds: float) -> int:
    settings = get_settings()
    written = 0
    deadline = time.monotonic() + seconds
    with socket.create_connection((settings.ami_host, settings.ami_port), timeout=1) as ami, \
            open(path, "wb") as out:
        ami.sendall(("Action: Login\r\nActionID: rec\r\nUsername: %s\r\nSecret: %s\r\n\r\n"
                     % (settings.test_ami_user, settings.test_ami_secret)).encode())
        while time.monotonic() < deadline:
            try:
                chunk = ami.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            out.write(chunk)
            out.flush()
            written += len(chunk)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        print(record(args.out, args.seconds), "bytes")
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
