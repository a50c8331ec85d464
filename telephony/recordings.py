"""Call recordings: where MixMonitor writes them, what they hold, and pruning.

The dialplan (asterisk_conf/extensions.conf) starts
`MixMonitor(${STRFTIME(${CUT(UNIQUEID,.,1)},UTC,%Y/%m/%d)}/${UNIQUEID}.<ext>,b)`
before Queue(), so a call's file follows from its callid alone:
`<recordings_dir>/YYYY/MM/DD/<callid>.wav` (`.raw` for stereo, option D). The
call record stores that path relative to `settings.recordings_dir`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import struct
from pathlib import Path
from typing import Callable, Iterable, Optional

from sqlalchemy import select

from telephony.call_record import CallRecord

log = logging.getLogger(__name__)

EXTENSIONS = ("wav", "raw")
# Tables whose rows refer to a call by its callid (models.console, models.supervision).
REFERRING_TABLES = ("work_orders", "qa_scores")
# Option D writes signed-linear 8 kHz, 16-bit, 2 interleaved channels to .raw.
RAW_BYTES_PER_SECOND = 8000 * 2 * 2
WAV_HEADER_BYTES = 44


def callid_time(callid: str) -> Optional[dt.datetime]:
    """When the call's channel was created: the seconds part of the Uniqueid."""
    try:
        return dt.datetime.fromtimestamp(int(callid.split(".", 1)[0]), dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def relative_recording_path(callid: str, stereo: bool = False) -> Optional[Path]:
    created = callid_time(callid)
    if created is None or "/" in callid:
        return None
    return Path(created.strftime("%Y/%m/%d")) / f"{callid}.{'raw' if stereo else 'wav'}"


def recording_path(settings, callid: str) -> Optional[Path]:
    """The file MixMonitor writes for this call (it may not exist: not answered)."""
    relative = relative_recording_path(callid, settings.stereo_recording)
    return None if relative is None else Path(settings.recordings_dir) / relative


def find_recording(settings, callid: str) -> Optional[Path]:
    """The call's recording as it exists on disk, whichever extension it has."""
    for stereo in (settings.stereo_recording, not settings.stereo_recording):
        relative = relative_recording_path(callid, stereo)
        if relative is not None and (Path(settings.recordings_dir) / relative).is_file():
            return Path(settings.recordings_dir) / relative
    return None


@dataclasses.dataclass(frozen=True)
class RecordingInfo:
    relative_path: str
    size_bytes: int
    duration_s: float


def wav_duration(path: Path) -> float:
    """Seconds of audio in a WAV file; a header-only file (44 bytes) is 0 s.

    The data size is taken from the file size, not the header: a file whose
    writer has not yet patched its header (or died) still measures right.
    """
    with open(path, "rb") as file:
        head = file.read(4096)
        size = file.seek(0, 2)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return 0.0
    offset, byte_rate = 12, 0
    while offset + 8 <= len(head):
        chunk, length = head[offset:offset + 4], struct.unpack("<I", head[offset + 4:offset + 8])[0]
        if chunk == b"fmt " and offset + 20 <= len(head):
            byte_rate = struct.unpack("<I", head[offset + 16:offset + 20])[0]
        if chunk == b"data":
            data_bytes = max(0, size - (offset + 8))
            return round(data_bytes / byte_rate, 3) if byte_rate else 0.0
        offset += 8 + length + (length & 1)
    return 0.0


def recording_info(settings, callid: str) -> Optional[RecordingInfo]:
    path = find_recording(settings, callid)
    if path is None:
        return None
    try:
        size = path.stat().st_size
        duration = (size / RAW_BYTES_PER_SECOND if path.suffix == ".raw"
                    else wav_duration(path))
    except OSError as error:
        log.warning("recording %s unreadable: %s", path, error)
        return None
    return RecordingInfo(str(path.relative_to(settings.recordings_dir)), size,
                         round(duration, 3))


def recording_record(settings, callid: str) -> Optional[CallRecord]:
    """A partial call record with the recording's columns, for the call writer."""
    info = recording_info(settings, callid)
    if info is None:
        return None
    return CallRecord(callid=callid, recording_path=info.relative_path,
                      recording_size_bytes=info.size_bytes,
                      recording_duration_s=info.duration_s)


# ---- pruning
def referenced_callids(session, callids: Iterable[str]) -> set[str]:
    """Calls a work order or a QA score refers to: their recordings are kept.

    The tables come from other parts (models.console, models.supervision); a
    table or column that does not exist (yet) refers to nothing.
    """
    from models import Base

    wanted = list(callids)
    found: set[str] = set()
    for table_name in REFERRING_TABLES:
        column = _callid_column(Base.metadata.tables.get(table_name))
        if column is None or not wanted:
            continue
        for start in range(0, len(wanted), 500):
            rows = session.execute(
                select(column).where(column.in_(wanted[start:start + 500])))
            found.update(str(row[0]) for row in rows)
    return found


def _callid_column(table):
    if table is None:
        return None
    return table.c.get("callid") if "callid" in table.c else table.c.get("call_id")


def old_recordings(recordings_dir: Path, older_than: dt.timedelta,
                   now: Optional[dt.datetime] = None) -> list[tuple[str, Path]]:
    """(callid, path) of recordings whose call began before now - older_than."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = now - older_than
    found = []
    for extension in EXTENSIONS:
        for path in Path(recordings_dir).rglob(f"*.{extension}"):
            callid = path.stem
            began = callid_time(callid)
            if began is None:
                began = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
            if began < cutoff:
                found.append((callid, path))
    return sorted(found)


def prune(recordings_dir: Path, older_than: dt.timedelta, is_referenced: Callable,
          dry_run: bool = False, now: Optional[dt.datetime] = None) -> dict:
    """Delete old recordings except referenced ones; return what was done."""
    candidates = old_recordings(recordings_dir, older_than, now)
    keep = is_referenced([callid for callid, _ in candidates])
    deleted, kept = [], []
    for callid, path in candidates:
        if callid in keep:
            kept.append(callid)
            continue
        if not dry_run:
            try:
                path.unlink()
            except OSError as error:
                log.error("could not delete %s: %s", path, error)
                continue
        deleted.append(callid)
    return {"deleted": deleted, "kept": kept}


def parse_age(text: str) -> dt.timedelta:
    """'180d', '12h', '30m', '45s' -> timedelta; ValueError names the problem."""
    units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
    text = text.strip().lower()
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise ValueError(f"{text!r} is not an age like 180d, 12h, 30m or 45s")
    return dt.timedelta(**{units[text[-1]]: int(text[:-1])})
