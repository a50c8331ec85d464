"""The keep-my-place callback in the lab: a SIPp caller who presses 1 (RFC 2833) while
waiting in the line's queue, a SIPp resident on 127.0.0.40 who answers the callback,
and the lab's queues.conf of this checkout (the line queue's offer and key context)."""
from __future__ import annotations

import time
from pathlib import Path

from tests import labtools
from tests.support.campaigns import dtmf_pcap, free_udp_port, resident_scenario

RESIDENT_ADDRESS = "127.0.0.40"

_UAC = """<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="hotline caller who asks for a callback">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "回电测试" <sip:{number}@[local_ip]:[local_port]>;tag=[pid]Cb[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:{number}@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-16
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "回电测试" <sip:{number}@[local_ip]:[local_port]>;tag=[pid]Cb[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:{number}@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
{keys}  <recv request="BYE"/>
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
_KEY = """  <pause milliseconds="{pause_ms}"/>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
"""


def callback_caller(lab, folder: Path, number: str, presses_ms: tuple[int, ...]) -> labtools.Sipp:
    """A resident calling the hotline from the trunk's address who presses 1 at these
    times (ms after the previous, from the answer of the greeting)."""
    keys = "".join(_KEY.format(pause_ms=pause, pcap=dtmf_pcap(folder, 1, n))
                   for n, pause in enumerate(presses_ms))
    path = folder / f"callback-caller-{number}.xml"
    path.write_text(_UAC.format(number=number, keys=keys), encoding="utf-8")
    return labtools.Sipp(str(path), [
        "127.0.0.1:5060", "-i", "127.0.0.1", "-p", str(free_udp_port("127.0.0.1")),
        "-s", lab.hotline_number, "-m", "1", "-mi", "127.0.0.1",
        "-mp", str(free_udp_port("127.0.0.1"))], folder / "sipp")


def answering_resident(control, folder: Path, prefix: str, busy: bool = False,
                       address: str = RESIDENT_ADDRESS) -> labtools.Sipp:
    """A SIPp resident on 127.0.0.40 (or another of the helper's addresses) answering,
    or busy to, the callbacks to numbers with `prefix` (their first 8 digits: AstDB
    callbacklab/<prefix> says where)."""
    scenario = resident_scenario(folder, f"callback-resident-{prefix}", busy=busy)
    port = free_udp_port(address)
    process = labtools.Sipp(str(scenario), [
        "-i", address, "-p", str(port), "-mi", address,
        "-mp", str(free_udp_port(address)), "-m", "10"], folder / "sipp")
    assert control.send_action({"Action": "DBPut", "Family": "callbacklab", "Key": prefix,
                                "Val": f"{address}:{port}"}).ok
    time.sleep(0.5)
    assert process.process.poll() is None, process.log_path.read_text(errors="replace")
    return process


def lab_runs_this_queue(lab, settings) -> None:
    """The lab's queues.conf is this checkout's (the line queue's callback offer)."""
    from hotline.lab_config import render_all

    installed = settings.lab_root / "etc/asterisk/queues.conf"
    wanted = render_all(settings)["queues.conf"]
    if installed.read_text(encoding="utf-8") != wanted:
        installed.write_text(wanted, encoding="utf-8")
        lab.cli("module reload app_queue.so")


class CallbackStack:
    """The real bridge (its callback engine and FastAGI on the lab's port) on a SQLite
    database of the test's own, with the prompts and this checkout's dialplan and queues."""

    def __init__(self, lab, redis_url: str, folder: Path, extra_env: dict | None = None):
        import os

        import models
        from models.session import make_engine, session_factory
        from tests.support.campaigns import CampaignBridge
        from tests.support.ivr_lab_calls import lab_runs_this_ivr

        settings = lab_runs_this_ivr(lab)
        lab_runs_this_queue(lab, settings)
        self.settings = settings
        url = f"sqlite:///{folder / 'callback.sqlite3'}"
        self.engine = make_engine(url)
        models.Base.metadata.create_all(self.engine)
        self.factory = session_factory(url)
        env = dict(os.environ, HOTLINE_DATABASE_URL=url, HOTLINE_REDIS_URL=redis_url,
                   HOTLINE_STATE_DIR=str(folder), HOTLINE_CALLBACK_RETRY_SPACING_S="5", HOTLINE_CALLBACK_RING_S="10",
                   HOTLINE_AMI_SECRET_FILE=str(lab.settings.ami_secret_file),
                   HOTLINE_FASTAGI_BIND=f"{settings.fastagi_host}:{settings.fastagi_port}",
                   **(extra_env or {}))
        self.bridge = CampaignBridge(env, folder / "bridge.log")
        labtools.wait_until(lambda: self.bridge.running() and "callback engine running"
                            in self.bridge.log_text(), 30, "the bridge and its callback engine")

    def stop(self) -> str:
        """Stop the bridge; its log of this run."""
        text = self.bridge.log_text()
        self.bridge.stop()
        return text
