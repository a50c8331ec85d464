"""Asterisk's call detail records as cdr_csv writes them (Master.csv): a pure parser.

asterisk_conf/cdr.conf.tmpl sets usegmtime, loguniqueid, loguserfield and
newcdrcolumns, so each line has 21 columns: the 16 of every cdr_csv file, then
uniqueid, userfield, peeraccount, linkedid and sequence. Times are UTC. One line
is one call leg; a dialling leg that carries on in the dialplan after its Dial
(the hangup, a Queue) has a further line with the same uniqueid, so the Dial
itself is the line whose lastapp is Dial.

A line that does not parse is kept with its line number and the reason
(`CdrRead.rejected`): nothing read is lost, and the caller decides whether a bad
line is fatal (the campaigns' lab test says it is).

A campaign call (telephony.commands._campaign_originate) is named in the CDR by
its ChannelIds: the originated leg's uniqueid is campaign-<attempt>, the dialling
leg's campaign-<attempt>-dial, whose userfield the dialplan sets to
campaign-<attempt> ([campaign-outbound]).
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from pathlib import Path
from typing import Iterable, Optional

from telephony.errors import CdrLineError

COLUMNS = ("accountcode", "src", "dst", "dcontext", "clid", "channel", "dstchannel",
           "lastapp", "lastdata", "start", "answer", "end", "duration", "billsec",
           "disposition", "amaflags", "uniqueid", "userfield", "peeraccount", "linkedid",
           "sequence")
DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
# Dial's DIALSTATUS -> the disposition Asterisk writes on that Dial's CDR line.
DIALSTATUS_DISPOSITIONS = {"ANSWER": "ANSWERED", "NOANSWER": "NO ANSWER", "CANCEL": "NO ANSWER",
                           "BUSY": "BUSY", "CONGESTION": "CONGESTION", "CHANUNAVAIL": "FAILED"}
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_CAMPAIGN_FIELD = re.compile(r"campaign-(\d{1,12})")


@dataclasses.dataclass(frozen=True, slots=True)
class CdrRecord:
    """One call leg."""
    accountcode: str
    src: str
    dst: str
    dcontext: str
    clid: str
    channel: str
    dstchannel: str
    lastapp: str
    lastdata: str
    start: dt.datetime
    answer: Optional[dt.datetime]
    end: dt.datetime
    duration: int
    billsec: int
    disposition: str
    amaflags: str
    uniqueid: str
    userfield: str
    peeraccount: str
    linkedid: str
    sequence: int

    @property
    def is_dial(self) -> bool:
        return self.lastapp == "Dial"

    @property
    def campaign_attempt(self) -> Optional[int]:
        """The campaign attempt whose dialling leg this is (its userfield), or None."""
        match = _CAMPAIGN_FIELD.fullmatch(self.userfield)
        return int(match.group(1)) if match else None

    @property
    def dialled_number(self) -> str:
        """The number a Dial line rang: the user part of its SIP URI (lastdata
        'PJSIP/trunk/sip:139...@host:port,6'), else the Dial's first argument."""
        target = self.lastdata.split(",", 1)[0]
        if "sip:" in target:
            return target.split("sip:", 1)[1].split("@", 1)[0]
        return target


@dataclasses.dataclass
class CdrRead:
    records: list[CdrRecord]
    rejected: list[tuple[int, str]]  # (line number, why)
    next_offset: int = 0  # where an incremental read goes on (read_cdr)


def parse_row(fields: list[str]) -> CdrRecord:
    """One CDR line's fields (csv-split) as a record; CdrLineError says what is wrong."""
    if len(fields) != len(COLUMNS):
        raise CdrLineError(f"{len(fields)} columns, not {len(COLUMNS)} (cdr.conf's [csv] "
                           "loguniqueid, loguserfield and newcdrcolumns must be on)")
    values = dict(zip(COLUMNS, fields))
    if values["disposition"] not in DISPOSITIONS:
        raise CdrLineError(f"unknown disposition {values['disposition'][:20]!r}")
    return CdrRecord(
        **{name: values[name] for name in COLUMNS
           if name not in ("start", "answer", "end", "duration", "billsec", "sequence")},
        start=_time(values["start"], "start"), answer=_optional_time(values["answer"]),
        end=_time(values["end"], "end"), duration=_count(values["duration"], "duration"),
        billsec=_count(values["billsec"], "billsec"),
        sequence=_count(values["sequence"], "sequence"))


def parse_cdr(lines: Iterable[str]) -> CdrRead:
    """Every line of a Master.csv text; the bad ones in `rejected`."""
    records, rejected = [], []
    reader = csv.reader(lines, strict=True)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            rejected.append((reader.line_num, f"not CSV: {error}"))
            continue
        if not fields:
            continue
        try:
            records.append(parse_row(fields))
        except CdrLineError as error:
            rejected.append((reader.line_num, str(error)))
    return CdrRead(records, rejected)


def read_cdr(path: Path, offset: int = 0) -> CdrRead:
    """The complete lines of `path` from byte `offset` on (an unfinished last line,
    Asterisk still writing it, is left for the next read: see next_offset)."""
    with open(path, "rb") as cdr_file:
        cdr_file.seek(offset)
        data = cdr_file.read()
    complete = data[: data.rfind(b"\n") + 1]
    result = parse_cdr(io.StringIO(complete.decode("utf-8", "replace"), newline=""))
    result.next_offset = offset + len(complete)
    return result


def size(path: Path) -> int:
    """Bytes in `path` now (0 if Asterisk has not written it yet): where to start
    reading the records of what happens next."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


@dataclasses.dataclass
class CampaignCall:
    """What the CDR holds of one campaign attempt's Originate."""
    originated: list[CdrRecord] = dataclasses.field(default_factory=list)  # the ;1 leg
    dials: list[CdrRecord] = dataclasses.field(default_factory=list)  # its Dial of the household


def campaign_calls(records: Iterable[CdrRecord]) -> dict[int, CampaignCall]:
    """Attempt id -> its originated leg's lines and its dialling leg's Dial lines."""
    calls: dict[int, CampaignCall] = {}
    for record in records:
        originated = _CAMPAIGN_FIELD.fullmatch(record.uniqueid)
        if originated:
            calls.setdefault(int(originated.group(1)), CampaignCall()).originated.append(record)
        attempt = record.campaign_attempt
        if attempt is not None and record.is_dial:
            calls.setdefault(attempt, CampaignCall()).dials.append(record)
    return calls


def _time(text: str, name: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise CdrLineError(f"{name} is not a time: {text[:30]!r}") from None


def _optional_time(text: str) -> Optional[dt.datetime]:
    return _time(text, "answer") if text else None


def _count(text: str, name: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise CdrLineError(f"{name} is not a whole number: {text[:20]!r}")
    return int(text)
