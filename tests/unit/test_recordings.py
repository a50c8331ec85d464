"""Recordings: the file follows from the callid; size, duration; pruning keeps referenced ones."""
from __future__ import annotations

import dataclasses
import datetime as dt
import struct
import wave

import pytest

from hotline.settings import get_settings
from telephony.recordings import (
    old_recordings, parse_age, prune, recording_path, recording_record, referenced_callids,
    wav_duration,
)

CALLID = "1795445683.18"  # 2026-11-23 UTC


@pytest.fixture
def settings(tmp_path):
    return dataclasses.replace(get_settings(), recordings_dir=tmp_path / "monitor",
                               stereo_recording=False)


def _write_wav(path, seconds: float, rate: int = 8000):
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes(b"\x00\x01" * int(seconds * rate))


def test_path_follows_the_dialplan(settings):
    assert recording_path(settings, CALLID) == \
        settings.recordings_dir / "2026/11/23/1795445683.18.wav"
    stereo = dataclasses.replace(settings, stereo_recording=True)
    assert recording_path(stereo, CALLID).name == "1795445683.18.raw"
    assert recording_path(settings, "not-a-callid") is None
    assert recording_path(settings, "../../etc/passwd") is None


def test_size_and_duration_from_the_file(settings):
    assert recording_record(settings, CALLID) is None  # not answered: no file
    _write_wav(recording_path(settings, CALLID), 5.0)
    record = recording_record(settings, CALLID)
    assert record.recording_path == "2026/11/23/1795445683.18.wav"
    assert record.recording_duration_s == pytest.approx(5.0)
    assert record.recording_size_bytes == 44 + 80000


def test_header_only_wav_is_zero_seconds_and_stale_header_is_ignored(tmp_path):
    empty = tmp_path / "empty.wav"
    _write_wav(empty, 0)
    assert empty.stat().st_size == 44 and wav_duration(empty) == 0.0
    # MixMonitor still writing: header says 0 data bytes, the file holds 2 s.
    stale = tmp_path / "stale.wav"
    header = (b"RIFF" + struct.pack("<I", 36) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16) + b"data" + struct.pack("<I", 0))
    stale.write_bytes(header + b"\x00" * 32000)
    assert wav_duration(stale) == pytest.approx(2.0)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav at all")
    assert wav_duration(junk) == 0.0


def test_stereo_raw_duration(settings):
    stereo = dataclasses.replace(settings, stereo_recording=True)
    path = recording_path(stereo, CALLID)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00" * 32000 * 3)
    assert recording_record(stereo, CALLID).recording_duration_s == pytest.approx(3.0)
    # A .raw file is found even when the setting changed since.
    assert recording_record(settings, CALLID).recording_path.endswith(".raw")


def test_prune_deletes_old_files_but_keeps_referenced(settings):
    now = dt.datetime(2027, 12, 1, tzinfo=dt.timezone.utc)
    old_kept, old_gone = "1795445683.18", "1795445683.19"
    recent = str(int(now.timestamp()) - 86400) + ".5"
    for callid in (old_kept, old_gone, recent):
        _write_wav(recording_path(settings, callid), 0.1)
    assert [c for c, _ in old_recordings(settings.recordings_dir, parse_age("180d"), now)] \
        == [old_kept, old_gone]
    result = prune(settings.recordings_dir, parse_age("180d"), lambda ids: {old_kept}, now=now)
    assert result == {"deleted": [old_gone], "kept": [old_kept]}
    assert recording_path(settings, old_kept).exists()
    assert not recording_path(settings, old_gone).exists()
    assert recording_path(settings, recent).exists()


def test_parse_age():
    assert parse_age("180d") == dt.timedelta(days=180)
    assert parse_age("12h") == dt.timedelta(hours=12)
    for bad in ("", "d", "180", "-5d", "1.5d", "10w"):
        with pytest.raises(ValueError):
            parse_age(bad)


def test_referenced_callids_reads_the_work_order_and_qa_tables(sqlite_session_factory):
    import models
    from telephony.recordings import REFERRING_TABLES, _callid_column

    with sqlite_session_factory() as session:
        assert referenced_callids(session, ["1.1", "1.2"]) == set()
        agent = models.console.User(username="agent", password_hash="x")
        session.add(agent)
        session.flush()
        session.execute(models.Base.metadata.tables["work_orders"].insert().values(
            idempotency_token="t", kind="repair", description="leak", created_by_id=agent.id,
            callid="1.2"))
        session.execute(models.Base.metadata.tables["qa_scores"].insert().values(
            callid="1.3", agent_interface="PJSIP/8001", total=90))
        session.commit()
        assert referenced_callids(session, ["1.1", "1.2", "1.3"]) == {"1.2", "1.3"}
    assert all(_callid_column(models.Base.metadata.tables[name]) is not None
               for name in REFERRING_TABLES)
