"""bench.load's mix with the resident's line (`--mix callbacks,emergencies`): the lab's
line queue (<queue>-line: greeting, announcements, maxlen 3, the callback offered after
60 s, 1 taken at any time), SIPp callers of three kinds from the trunk's address, every
key an RFC 2833 event:
  plain      stay STAY_MS after the greeting answered, then hang up (answered or not);
  emergency  press 9 in the greeting (QUEUE_PRIO, the emergency order), then as plain;
  callback   press 1 once in the queue, hang up when Asterisk does (or after 30 s);
and a SIPp resident on 127.0.0.40 answering the callbacks (numbers 13900449NNN), who
talks TALK_MS and hangs up. The report: each kind's calls and waits, the callbacks'
four figures and the blocked calls, and `hotline stats verify` over the run's calls
(differences must be none)."""
from __future__ import annotations

import dataclasses
import statistics
import subprocess
from pathlib import Path

from bench import load_lab as parts
from call_queue.stats import queue_log_check
from hotline.line_values import LAB_LINE
from line_callback.policy import PLACEHOLDER_BASE
from models.session import session_factory
from tests.support.campaigns import dtmf_pcap

KINDS = ("callbacks", "emergencies")
RESIDENT_ADDRESS = "127.0.0.40"
RESIDENT_PORT = 5140
CALLBACK_PREFIX = "13900449"
EMERGENCY_PREFIX = "13900448"
OFFER_S = LAB_LINE["callback_offer_s"]
GREETING_MS = 13000  # the greeting's 11 s and its 2 s for a key

_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="line caller {kind}">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]L[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:[field0]@[local_ip]:[local_port]
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
      From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]L[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:[field0]@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
"""
_KEY = """  <pause milliseconds="{pause_ms}"/>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
"""
# Asterisk may hang up first (a blocked call's apology, a booked callback): its BYE is
# answered; otherwise the caller's own BYE after the stay.
_STAY = """  <recv request="BYE" timeout="{stay_ms}" ontimeout="bye" next="ok"/>
  <label id="bye"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[field1]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]L[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      [routes]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: sip:[field0]@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="200" next="done"/>
  <label id="ok"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
  ]]></send>
  <label id="done"/>
</scenario>
"""
_RESIDENT = """<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="callback resident">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]R[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Length: 0
  ]]></send>
  <pause milliseconds="1000"/>
  <send retrans="500"><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]R[call_number]
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
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
  ]]></send>
  <recv request="ACK" crlf="true"/>
  <pause milliseconds="{talk_ms}"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: 2 BYE
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Length: 0
  ]]></send>
  <recv response="200"/>
</scenario>
"""


@dataclasses.dataclass(frozen=True)
class LineKind:
    name: str
    share: float
    local_port: int
    media_port: int


def parse_mix(text: str) -> tuple[str, ...]:
    kinds = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        raise SystemExit(f"bench: --mix takes {', '.join(KINDS)} (comma-separated), "
                         f"not {text!r}")
    return kinds


def scenario(folder: Path, kind: str, stay_ms: int) -> Path:
    body = _HEAD.format(kind=kind)
    if kind == "emergency":
        body += _KEY.format(pause_ms=1500, pcap=dtmf_pcap(folder, 9, 0))
    if kind == "callback":
        # Twice, as the lab test does: a key can fall where no one listens (between the
        # greeting's Read and the queue).
        body += _KEY.format(pause_ms=GREETING_MS + 3000, pcap=dtmf_pcap(folder, 1, 0))
        body += _KEY.format(pause_ms=2000, pcap=dtmf_pcap(folder, 1, 1))
        body += _STAY.format(stay_ms=30000)
    else:
        body += _STAY.format(stay_ms=stay_ms)
    path = folder / f"line_{kind}.xml"
    path.write_text(body, encoding="utf-8")
    return path


def callback_csv(folder: Path, count: int) -> Path:
    path = folder / "callback-callers.csv"
    path.write_text("SEQUENTIAL\n" + "".join(f"{CALLBACK_PREFIX}{n:03d};回电居民;\n"
                                             for n in range(count)), encoding="utf-8")
    return path


def emergency_csv(folder: Path, count: int) -> Path:
    path = folder / "emergency-callers.csv"
    path.write_text("SEQUENTIAL\n" + "".join(f"{EMERGENCY_PREFIX}{n:03d};紧急来电;\n"
                                             for n in range(count)), encoding="utf-8")
    return path


def start_resident(children, folder: Path, talk_ms: int, act) -> subprocess.Popen:
    path = folder / "callback_resident.xml"
    path.write_text(_RESIDENT.format(talk_ms=talk_ms), encoding="utf-8")
    act("DBPut", Family="callbacklab", Key=CALLBACK_PREFIX,
        Val=f"{RESIDENT_ADDRESS}:{RESIDENT_PORT}")
    return children.start("callback-resident", [
        parts.sipp_binary(), "-sf", str(path), "-i", RESIDENT_ADDRESS,
        "-p", str(RESIDENT_PORT), "-mi", RESIDENT_ADDRESS, "-mp", "21000",
        "-m", "100000000", "-nostdin", "-trace_err",
        "-error_file", str(folder / "callback-resident.err")])


def start_line_callers(children, folder: Path, kinds: tuple[str, ...], options, number: str,
                       households_csv: Path) -> list[subprocess.Popen]:
    shares = {"callback": options.callback_share if "callbacks" in kinds else 0.0,
              "emergency": options.emergency_share if "emergencies" in kinds else 0.0}
    shares["plain"] = 1.0 - sum(shares.values())
    ports = {"plain": (5093, 19000), "emergency": (5094, 19500), "callback": (5095, 20500)}
    started = []
    for kind, share in shares.items():
        if share <= 0:
            continue
        total = max(1, round(options.rate * share * options.duration))
        csv = {"callback": callback_csv, "emergency": emergency_csv}.get(kind)
        csv_path = csv(folder, total) if csv else households_csv
        local_port, media_port = ports[kind]
        started.append(children.start(f"line-{kind}", [
            parts.sipp_binary(), "127.0.0.1:5060", "-sf",
            str(scenario(folder, kind, options.patient_ms)), "-i", "127.0.0.1",
            "-p", str(local_port), "-mi", "127.0.0.1", "-mp", str(media_port),
            "-s", number, "-inf", str(csv_path),
            "-r", str(max(1, round(options.rate * share * 10))), "-rp", "10000",
            "-l", str(options.concurrency), "-m", str(total), "-nostdin",
            "-recv_timeout", "120000", "-trace_err",
            "-error_file", str(folder / f"line-{kind}.err")]))
    return started


class TestAmi:
    """AMI as the lab's test user (DBPut is not the bridge's user's right)."""

    def __init__(self, settings):
        from telephony.ami.client import AmiConnection

        self.ami = AmiConnection(settings.ami_host, settings.ami_port, settings.test_ami_user,
                                 settings.test_ami_secret, on_event=lambda message: None,
                                 events=())
        self.ami.start()
        if not self.ami.wait_connected(10):
            raise SystemExit("bench: no AMI session to the lab as its test user")

    def act(self, action: str, **fields):
        response = self.ami.send_action({"Action": action, **fields}, timeout=10)
        if not response.ok and action != "DBDel":
            raise SystemExit(f"bench: {action} refused: {response.text}")
        return response

    def close(self) -> None:
        self.ami.close()


def line_on(act, kinds: tuple[str, ...], sounds_dir) -> None:
    """The lab's callers to the line queue (AstDB hotline/line), its prompts built."""
    from telephony.ivr.prompts import build_prompts

    if kinds:
        build_prompts(sounds_dir)
        act("DBPut", Family="hotline", Key="line", Val="on")


def line_off(act, kinds: tuple[str, ...]) -> None:
    if kinds:
        act("DBDel", Family="hotline", Key="line")
        act("DBDel", Family="callbacklab", Key=CALLBACK_PREFIX)


def mix_env(settings) -> dict:
    """The bridge's FastAGI where the lab's dialplan calls it; the lab line's offer."""
    return {"HOTLINE_FASTAGI_BIND": f"{settings.fastagi_host}:{settings.fastagi_port}",
            "HOTLINE_CALLBACK_OFFER_S": str(OFFER_S), "HOTLINE_CALLBACK_RETRY_SPACING_S": "5",
            "HOTLINE_CALLBACK_RING_S": "10"}


def report_mix(settings, database_url: str, logged: dict) -> bool:
    """Each kind's calls and waits, the callbacks and blocked calls, stats verify."""
    kinds: dict[str, list] = {"plain": [], "emergency": [], "callback": [], "placeholder": []}
    for call in logged.values():
        number = call.caller_number
        if number.startswith(EMERGENCY_PREFIX):
            kinds["emergency"].append(call)
        elif number.startswith(CALLBACK_PREFIX):
            sequence = call.callid.split(".")[-1]
            placeholder = sequence.isdigit() and int(sequence) >= PLACEHOLDER_BASE
            kinds["placeholder" if placeholder else "callback"].append(call)
        else:
            kinds["plain"].append(call)
    for kind, calls in kinds.items():
        answered = [c.wait_s or 0 for c in calls if c.outcome in ("answered", "transferred")]
        outcomes = sorted({c.outcome or "open" for c in calls})
        print(f"  {kind:<12} {len(calls):4d} calls, answered {len(answered)}, mean wait to "
              f"answer {statistics.fmean(answered) if answered else 0:.1f} s; {outcomes}")
    check = dataclasses.replace(settings, callback_offer_s=OFFER_S)
    with session_factory(database_url)() as session:
        result = queue_log_check.verify(session, check, settings.queue_log_path,
                                        callids=set(logged))
    figures = {key: result["queue_log"][key] for key in result["queue_log"]
               if key.startswith("callbacks_")}
    print(f"  callbacks (queue_log)     {figures}")
    print(f"  callbacks (database)      "
          f"{ {k: result['database'][k] for k in figures} }")
    print(f"  blocked                   {result['blocked']}")
    print(f"  stats verify              {len(result['differences'])} differences "
          f"{result['differences'][:5]}; missing in the database "
          f"{len(result['missing_in_database'])}, in queue_log "
          f"{len(result['missing_in_queue_log'])}")
    return not (result["differences"] or result["missing_in_database"]
                or result["missing_in_queue_log"])


def mix_numbers(folder: Path) -> set[str]:
    """The callback and emergency callers' numbers (the households' are in callers.csv)."""
    numbers = set()
    for name in ("callback-callers.csv", "emergency-callers.csv"):
        path = folder / name
        if path.exists():
            numbers |= {line.split(";")[0] for line in path.read_text().splitlines()[1:]}
    return numbers
