"""The ingest benchmark's own correctness (not its speed): distinct calls, no lost event."""
from __future__ import annotations

import re

from bench.ami_ingest import build_transcript, main
from telephony.ami.protocol import parse_stream


def test_copies_have_their_own_ids():
    transcript = build_transcript(8000)
    recordings = len(transcript.sources)  # copy n and copy n + recordings: the same recording
    assert transcript.events >= 8000 and len(transcript.copies) >= 2 * recordings
    messages = parse_stream(b"".join(transcript.copies))
    assert sum(1 for m in messages if m.event) == transcript.events
    joins = [m for m in messages if m.event == "QueueCallerJoin"]
    assert len(joins) == transcript.calls
    assert len({m["Uniqueid"] for m in joins}) == len(joins)
    first, second = transcript.copies[0], transcript.copies[recordings]
    assert first != second
    assert first.replace(b"1800000000.", b"X.") == \
        re.sub(rb"%d\." % (1_800_000_000 + recordings), b"X.", second).replace(
            b"-%d\r\n" % recordings, b"-0\r\n")


def test_every_consumer_gets_every_event(capsys):
    assert main(["--events", "3000", "--pyst2-events", "400", "--skip-persistence"]) == 0
    out = capsys.readouterr().out
    total = int(re.search(r"transcript: ([\d,]+) events", out).group(1).replace(",", ""))
    counts = {label: int(count.replace(",", "")) for label, count in
              re.findall(r"^\((\w+)\) .*?\s([\d,]+) events\s", out, re.M)}
    assert counts["b"] == counts["c0"] == counts["c"] == total
    assert 400 <= counts["a"] < total
    assert "ratios" in out
