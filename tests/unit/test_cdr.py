"""telephony.cdr: Asterisk's cdr_csv lines, as the lab's Asterisk 22 wrote them.

tests/fixtures/cdr/campaign-lab-Master.csv is a transcript of real lines from the
lab (cdr.conf.tmpl's settings): an inbound call through the hotline queue (two
legs), and three satisfaction-campaign attempts of tests/integration/
test_campaign_lab.py: 1 answered, 19 never answered (its dialling leg has the
Dial's line and a FAILED one for the dialplan after it), 25 busy.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from telephony.cdr import (
    DIALSTATUS_DISPOSITIONS, campaign_calls, parse_cdr, parse_row, read_cdr, size,
)
from telephony.errors import CdrLineError

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures/cdr/campaign-lab-Master.csv"
GOOD = FIXTURE.read_text(encoding="utf-8").splitlines(keepends=True)


def test_every_line_of_the_lab_transcript_parses():
    read = read_cdr(FIXTURE)
    assert read.rejected == []
    assert len(read.records) == 10
    assert read.next_offset == FIXTURE.stat().st_size


def test_a_queue_call_leg_with_its_times_in_utc():
    caller = parse_cdr(GOOD[1:2]).records[0]
    assert caller.channel == "Local/4000@from-trunk-00000000;2"
    assert caller.dstchannel == "PJSIP/8044-00000000"
    assert (caller.lastapp, caller.lastdata) == ("Queue", "hotline,rt,,,300")
    assert caller.clid == '"转接测试" <13900130004>'
    assert caller.start == dt.datetime(2026, 12, 4, 1, 8, 7, tzinfo=dt.timezone.utc)
    assert caller.answer == dt.datetime(2026, 12, 4, 1, 8, 9, tzinfo=dt.timezone.utc)
    assert (caller.duration, caller.billsec, caller.disposition) == (3, 1, "ANSWERED")
    assert (caller.uniqueid, caller.linkedid, caller.sequence) == (
        "1796346487.935205", "1796346487.935206", 1)
    assert caller.campaign_attempt is None and not caller.is_dial


def test_campaign_attempts_are_found_by_their_channel_ids():
    calls = campaign_calls(read_cdr(FIXTURE).records)
    assert sorted(calls) == [1, 19, 25]
    assert [(n, [d.disposition for d in calls[n].dials]) for n in (1, 19, 25)] == [
        (1, ["ANSWERED"]), (19, ["NO ANSWER"]), (25, ["BUSY"])]
    assert all(len(call.originated) == 1 for call in calls.values())
    answered = calls[1].dials[0]
    assert answered.dialled_number == "13900001000"
    assert answered.dstchannel.startswith("PJSIP/trunk-")
    assert answered.answer is not None and answered.billsec == 17
    assert calls[19].dials[0].answer is None and calls[19].dials[0].duration == 6
    assert calls[19].originated[0].disposition == "NO ANSWER"


def test_the_dialplan_after_a_dial_is_not_a_second_dial():
    records = parse_cdr(GOOD).records
    leg_19 = [r for r in records if r.uniqueid == "campaign-19-dial"]
    assert [(r.lastapp, r.disposition) for r in leg_19] == [("Dial", "NO ANSWER"),
                                                          ("Hangup", "FAILED")]
    assert len(campaign_calls(records)[19].dials) == 1


def test_dialstatus_maps_to_the_disposition_asterisk_writes():
    assert DIALSTATUS_DISPOSITIONS["ANSWER"] == "ANSWERED"
    assert DIALSTATUS_DISPOSITIONS["NOANSWER"] == "NO ANSWER"
    assert DIALSTATUS_DISPOSITIONS["BUSY"] == "BUSY"


@pytest.mark.parametrize("line, why", [
    ('"","1","2","ctx"\n', "4 columns, not 21"),
    (GOOD[2].replace('"2026-12-04 01:08:43"', '"yesterday"', 1), "start is not a time"),
    (GOOD[2].replace(",18,17,", ",-1,17,", 1), "duration is not a whole number"),
    (GOOD[2].replace('"ANSWERED"', '"MAYBE"', 1), "unknown disposition"),
])
def test_a_bad_line_is_rejected_with_its_number_and_why_and_the_rest_kept(line, why):
    read = parse_cdr([GOOD[0], line, GOOD[3]])
    assert [r.uniqueid for r in read.records] == ["1796346487.935206", "campaign-1-dial"]
    assert len(read.rejected) == 1
    number, reason = read.rejected[0]
    assert number == 2 and why in reason


def test_parse_row_raises_a_clear_error():
    with pytest.raises(CdrLineError, match="newcdrcolumns"):
        parse_row(["x"] * 18)


def test_an_unfinished_last_line_waits_for_the_next_read(tmp_path):
    path = tmp_path / "Master.csv"
    assert size(path) == 0
    path.write_text(GOOD[0] + GOOD[3][:40], encoding="utf-8")
    first = read_cdr(path)
    assert len(first.records) == 1 and first.rejected == []
    with open(path, "a", encoding="utf-8") as cdr_file:
        cdr_file.write(GOOD[3][40:])
    second = read_cdr(path, first.next_offset)
    assert [r.uniqueid for r in second.records] == ["campaign-1-dial"]
    assert second.next_offset == size(path)


def test_records_after_an_offset_only(tmp_path):
    path = tmp_path / "Master.csv"
    path.write_text("".join(GOOD[:2]), encoding="utf-8")
    start = size(path)
    with open(path, "a", encoding="utf-8") as cdr_file:
        cdr_file.writelines(GOOD[2:4])
    assert sorted(campaign_calls(read_cdr(path, start).records)) == [1]
