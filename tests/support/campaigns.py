"""Data and fakes for the campaign tests (issue 18): done repair orders owing a
follow-up, a dialler that records what it was asked to place, fixed calling hours."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workflow import orders as service
from campaigns.hours import CallingHours
from campaigns.dialler import DialReply
from models.console import User, WorkOrder

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Thursday, 10:00 office time: inside the default hours.
OPEN_NOW = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.timezone.utc)


def open_hours(rest_days: frozenset = frozenset()) -> CallingHours:
    return CallingHours(SHANGHAI, lambda day: day in rest_days)


def agent(session: Session, username: str = "ann") -> User:
    user = User(username=username, password_hash="x", role="agent")
    session.add(user)
    session.commit()
    return user


def done_orders(session: Session, user: User, phones: list[str], now: dt.datetime,
                category: str = "leak") -> list[WorkOrder]:
    """One done repair order per phone, each owing its follow-up."""
    orders = []
    for index, phone in enumerate(phones):
        order, _ = service.create_order(session, user, service.OrderInput(
            kind="repair", category=category, description="卫生间漏水", contact_phone=phone,
            call_at=now - dt.timedelta(days=2)), f"campaign-{phone}-{index}", now,
            office_zone=SHANGHAI)
        for step in ("dispatched", "in_progress", "done"):
            service.change_status(session, order, step, user, now, department="engineering")
        orders.append(order)
    return orders


@dataclasses.dataclass
class RecordingDialler:
    """Says yes (or `refuse` with a message) and keeps every claim it was given."""
    refuse: str = ""
    placed: list = dataclasses.field(default_factory=list)

    def place(self, claim) -> DialReply:
        self.placed.append(claim)
        from telephony.commands import NOT_ANSWERING

        return DialReply(not self.refuse, self.refuse or "queued",
                         known=self.refuse != NOT_ANSWERING)


# ---- SIPp residents on 127.0.0.6 (the campaign helper's own address) ----------------

RESIDENT_ADDRESS = "127.0.0.6"
DTMF_TEMPLATE = "/usr/share/sip-tester/dtmf_2833_1.pcap"

_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="{name}">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]Res[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
  ]]></send>
"""
_ANSWER = """  <pause milliseconds="1000"/>
  <send retrans="500"><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]Res[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=resident 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-16
  ]]></send>
  <recv request="ACK" crlf="true"/>
"""
_KEY = """  <pause milliseconds="{pause_ms}"/>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
"""
_BYE = """  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
</scenario>
"""
_NEVER = """  <recv request="CANCEL"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]Res[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
  <send><![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]Res[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
  <recv request="ACK"/>
</scenario>
"""
_BUSY = """  <send><![CDATA[
      SIP/2.0 486 Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]Res[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
  <recv request="ACK"/>
</scenario>
"""


def resident_scenario(folder, name: str, keys: tuple = (), busy: bool = False,
                      answers: bool = True):
    """A SIPp UAS scenario file: a resident who answers and presses `keys`
    ((milliseconds after the previous, digit), sent as RFC 2833 events), who is
    busy (486), or who lets it ring until Asterisk gives up (CANCEL)."""
    body = _HEAD.format(name=name)
    if busy:
        body += _BUSY
    elif not answers:
        body += _NEVER
    else:
        body += _ANSWER + "".join(
            _KEY.format(pause_ms=pause, pcap=dtmf_pcap(folder, digit, index))
            for index, (pause, digit) in enumerate(keys)) + _BYE
    path = folder / f"{name}.xml"
    path.write_text(body, encoding="utf-8")
    return path


def dtmf_pcap(folder, digit: int, press: int):
    """SIPp's RFC 2833 capture of one key, made into `digit` and moved on in RTP
    sequence and timestamp by `press`: SIPp replays a capture as it is, and Asterisk
    takes a second event with the first one's timestamp for a repeat of it."""
    import struct
    from pathlib import Path

    data = bytearray(Path(DTMF_TEMPLATE).read_bytes())
    offset = 24
    while offset < len(data):
        length = struct.unpack_from("<I", data, offset + 8)[0]
        udp = offset + 16 + 14 + 20  # pcap record, Ethernet, IPv4 without options
        rtp = udp + 8
        seq, stamp = struct.unpack_from("!HI", data, rtp + 2)
        struct.pack_into("!HI", data, rtp + 2, (seq + 100 * (press + 1)) & 0xFFFF,
                         stamp + 16000 * (press + 1))
        data[rtp + 12] = digit
        struct.pack_into("!H", data, udp + 6, 0)  # no UDP checksum
        offset += 16 + length
    path = Path(folder) / f"dtmf-{digit}-{press}.pcap"
    path.write_bytes(bytes(data))
    return path


def free_udp_port(address: str = RESIDENT_ADDRESS) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


class CampaignBridge:
    """`hotline bridge` as a child process (the composition root, campaign engine and
    all), killable with SIGKILL mid-campaign."""

    def __init__(self, env: dict, log_path):
        import subprocess
        import sys

        self.log_path = log_path
        self._offset = log_path.stat().st_size if log_path.exists() else 0
        with open(log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", "bridge"], env=env,
                stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def log_text(self) -> str:
        with open(self.log_path, "rb") as log_file:
            log_file.seek(self._offset)
            return log_file.read().decode("utf-8", "replace")

    def running(self) -> bool:
        return self.process.poll() is None and "campaign engine running" in self.log_text()

    def kill(self) -> None:
        import signal

        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except Exception:  # noqa: BLE001 - a bridge that will not stop is killed
                self.process.kill()
                self.process.wait()


class FakeAgi:
    """The AGI channel as the campaign IVR uses it, keys given in advance; what was
    played, said and set is kept in order."""

    def __init__(self, attempt_id: int, keys: list[str]):
        self.env = {"agi_arg_1": str(attempt_id)}
        self.keys = list(keys)
        self.heard: list[tuple[str, object]] = []
        self.variables: dict[str, str] = {}

    def stream_file(self, prompt, escape=""):
        self.heard.append(("play", prompt))

    def say_number(self, number, escape=""):
        self.heard.append(("say", number))

    def get_data_timed(self, prompt, timeout_ms, max_digits):
        self.heard.append(("ask", prompt))
        key = self.keys.pop(0) if self.keys else ""
        return key, key == ""

    def set_variable(self, name, value):
        self.variables[name] = value
