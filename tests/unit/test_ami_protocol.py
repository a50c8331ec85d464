"""The AMI parser on Asterisk 22's real transcripts, on any chunking, and on bad input."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from telephony.ami.protocol import (AmiMessage, AmiParser, encode_action, parse_stream,
                                    unescape_ami_value)
from telephony.errors import AmiProtocolError

SHARED_AMI = Path(__file__).resolve().parents[1] / "fixtures" / "ami"
TRANSCRIPTS = sorted(SHARED_AMI.glob("*.ami"))
GOOD = b"Event: Hangup\r\nUniqueid: 1.1\r\nCause: 16\r\n\r\n"


def transcript(name: str) -> bytes:
    return (SHARED_AMI / f"{name}.ami").read_bytes()


def count_lines_starting(data: bytes, prefix: bytes) -> int:
    return sum(1 for line in data.split(b"\r\n") if line.startswith(prefix))


def test_transcripts_are_present():
    assert len(TRANSCRIPTS) >= 2


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
def test_every_event_and_response_of_a_real_transcript(path):
    data = path.read_bytes()
    parser = AmiParser()
    messages = parser.feed(data)
    assert parser.greeting == "Asterisk Call Manager/11.0.0"
    assert sum(1 for m in messages if m.event) == count_lines_starting(data, b"Event:")
    assert sum(1 for m in messages if m.response) == count_lines_starting(data, b"Response:")
    assert parser.stats["malformed_lines"] == 0
    assert parser.stats["decode_errors"] == 0


def test_utf8_caller_names_pass_unchanged():
    messages = parse_stream(transcript("queue-pause-answer-abandon"))
    joins = [m for m in messages if m.event == "QueueCallerJoin"]
    names = {m["CallerIDName"] for m in joins}
    assert "张三" in names
    zhang = next(m for m in joins if m["CallerIDName"] == "张三")
    assert zhang["Queue"] == "hotline"
    assert zhang["Uniqueid"] == zhang["Linkedid"]


def test_both_chinese_callers_and_answered_fields():
    messages = parse_stream(transcript("queue-pause-answer-abandon"))
    caller_names = {m.get("CallerIDName") for m in messages}
    assert {"张三", "李四"} <= caller_names
    connect = next(m for m in messages if m.event == "AgentConnect")
    assert connect["HoldTime"].isdigit() and connect["RingTime"].isdigit()
    assert connect["Interface"]
    abandon = next(m for m in messages if m.event == "QueueCallerAbandon")
    assert {"Position", "OriginalPosition", "HoldTime"} <= abandon.keys()
    pause = next(m for m in messages if m.event == "QueueMemberPause")
    assert pause["Paused"] == "1" and pause["PausedReason"] == "lunch"


def test_list_action_reply_correlated_by_action_id():
    messages = parse_stream(transcript("queue-pause-answer-abandon"))
    listed = [m for m in messages if m.action_id == "qs-1"]
    assert listed[0].response == "Success" and listed[0]["EventList"] == "start"
    assert listed[-1].event == "QueueStatusComplete"
    assert {m.event for m in listed[1:-1]} >= {"QueueParams", "QueueMember", "QueueEntry"}


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, 1000, 4096])
@pytest.mark.parametrize("path", TRANSCRIPTS, ids=lambda p: p.stem)
def test_any_chunk_size_gives_the_same_messages(path, chunk):
    data = path.read_bytes()
    assert parse_stream(data, chunk) == parse_stream(data)


def test_split_inside_a_utf8_character():
    frame = "Event: Newchannel\r\nCallerIDName: 张三\r\n\r\n".encode()
    cut = frame.index("张".encode()) + 1
    parser = AmiParser(expect_greeting=False)
    assert parser.feed(frame[:cut]) == []
    [message] = parser.feed(frame[cut:])
    assert message["CallerIDName"] == "张三"
    assert parser.stats["decode_errors"] == 0


@pytest.mark.parametrize("escaped, plain", [
    (r"O\'Brien", "O'Brien"),
    (r"say \"hi\"", 'say "hi"'),
    (r"back\\slash", "back\\slash"),
    (r"tab\there", "tab\there"),
    (r"what\?", "what?"),
    ("张三", "张三"),
    (r"keep \q unknown", r"keep \q unknown"),
    ("trailing\\", "trailing\\"),
])
def test_unescape_ami_value(escaped, plain):
    assert unescape_ami_value(escaped) == plain


def test_escaped_headers_are_unescaped_and_others_left_alone():
    frame = (b"Event: VarSet\r\nCallerIDName: O\\'Brien\r\nConnectedLineName: \\\"Li\\\"\r\n"
             b"DestCallerIDName: D\\'Arcy\r\nVariable: NOTE\r\nValue: a\\\\b\r\n"
             b"Context: not\\'escaped\r\n\r\n")
    [message] = AmiParser(expect_greeting=False).feed(frame)
    assert message["CallerIDName"] == "O'Brien"
    assert message["ConnectedLineName"] == '"Li"'
    assert message["DestCallerIDName"] == "D'Arcy"
    assert message["Value"] == "a\\b"
    assert message["Context"] == "not\\'escaped"


def test_repeated_headers_are_all_kept():
    frame = (b"Response: Success\r\nActionID: c1\r\nOutput: line one\r\nOutput: line two\r\n"
             b"ChanVariable: A=1\r\nChanVariable: B=O\\'x\r\n\r\n")
    [message] = AmiParser(expect_greeting=False).feed(frame)
    assert message["Output"] == "line one"
    assert message.multi("Output") == ["line one", "line two"]
    assert message.multi("ChanVariable") == ["A=1", "B=O'x"]
    assert message.multi("ActionID") == ["c1"]
    assert message.multi("Missing") == []
    assert message.action_id == "c1" and message.response == "Success" and message.event is None


def test_greeting_alone_then_frames():
    parser = AmiParser()
    assert parser.feed(b"Asterisk Call Manager/11.0.0") == []
    assert parser.feed(b"\r\n") == []
    assert parser.greeting == "Asterisk Call Manager/11.0.0"
    assert parser.feed(GOOD) == [AmiMessage(Event="Hangup", Uniqueid="1.1", Cause="16")]


def test_stream_without_greeting_loses_no_frame():
    assert AmiParser().feed(GOOD)[0].event == "Hangup"


def test_reset_expects_a_new_greeting():
    parser = AmiParser()
    parser.feed(b"Asterisk Call Manager/11.0.0\r\nEvent: Half")
    parser.reset()
    assert parser.feed(b"Asterisk Call Manager/12.0.0\r\n" + GOOD)[0].event == "Hangup"
    assert parser.greeting == "Asterisk Call Manager/12.0.0"


def test_bare_line_feeds_are_accepted():
    [message] = AmiParser(expect_greeting=False).feed(b"Event: X\nA: 1\n\n")
    assert message == {"Event": "X", "A": "1"}


def test_truncated_frame_then_good_frame(caplog):
    parser = AmiParser(expect_greeting=False)
    messages = parser.feed(b"Event: Hangup\r\nUniq\r\n\r\n" + GOOD)
    assert messages[0] == {"Event": "Hangup"}
    assert messages[1]["Uniqueid"] == "1.1"
    assert parser.stats["malformed_lines"] == 1
    assert "without a header name" in caplog.text


def test_lines_without_colon_are_skipped_not_fatal():
    messages = AmiParser(expect_greeting=False).feed(
        b"garbage\r\n: no name\r\nEvent: X\r\nKey:nospace\r\n\r\n" + GOOD)
    assert messages[0] == {"Event": "X", "Key": "nospace"}
    assert messages[1]["Cause"] == "16"


def test_bytes_that_are_not_utf8_are_replaced_and_logged(caplog):
    parser = AmiParser(expect_greeting=False)
    messages = parser.feed(b"Event: Newchannel\r\nCallerIDName: \xff\xfeBob\r\n\r\n" + GOOD)
    assert messages[0]["CallerIDName"] == "\ufffd\ufffdBob"
    assert messages[1]["Uniqueid"] == "1.1"
    assert parser.stats["decode_errors"] == 1
    assert "not UTF-8" in caplog.text


@pytest.mark.parametrize("chunk", [None, 4096, 1 << 20])
def test_a_one_megabyte_header_value_drops_its_frame_only(chunk, caplog):
    caplog.set_level(logging.WARNING)
    huge = b"Event: Huge\r\nValue: " + b"x" * (1 << 20) + b"\r\n\r\n"
    messages = parse_stream(b"Asterisk Call Manager/11.0.0\r\n" + GOOD + huge + GOOD, chunk)
    assert [m.event for m in messages] == ["Hangup", "Hangup"]
    assert "dropp" in caplog.text


def test_a_header_over_the_value_limit_drops_the_frame():
    parser = AmiParser(expect_greeting=False, max_value_bytes=100)
    messages = parser.feed(b"Event: Big\r\nOutput: " + "张".encode() * 40 + b"\r\n\r\n" + GOOD)
    assert [m.event for m in messages] == ["Hangup"]
    assert parser.stats["dropped_frames"] == 1


def test_an_endless_frame_is_discarded_until_the_next_blank_line():
    parser = AmiParser(expect_greeting=False, max_frame_bytes=10_000)
    assert parser.feed(b"Event: Endless\r\n") == []
    for _ in range(100):
        assert parser.feed(b"Output: " + b"y" * 1000 + b"\r\n") == []
    assert len(parser._buffer) < 20_000  # memory stays bounded while discarding
    assert parser.feed(b"Output: last\r\n\r\n" + GOOD)[0]["Uniqueid"] == "1.1"
    assert parser.stats["dropped_frames"] == 1


def test_a_storm_of_unknown_events_is_parsed_and_the_stream_continues():
    storm = b"".join(b"Event: Unknown%d\r\nX: %d\r\n\r\n" % (i % 50, i) for i in range(50_000))
    messages = parse_stream(storm + GOOD, 65536)
    assert len(messages) == 50_001
    assert messages[-1]["Uniqueid"] == "1.1"


def test_a_storm_of_garbage_is_counted_but_logged_sparingly(caplog):
    caplog.set_level(logging.WARNING)
    parser = AmiParser(expect_greeting=False)
    messages = parser.feed(b"junk\r\n" * 5000 + b"\r\n" + GOOD)
    assert messages[-1]["Uniqueid"] == "1.1"
    assert parser.stats["malformed_lines"] == 5000
    assert 20 <= len(caplog.records) <= 30


def test_event_filter_skips_noise_but_keeps_list_replies_and_responses():
    parser = AmiParser(expect_greeting=False, events={"Hangup"})
    messages = parser.feed(b"Event: VarSet\r\nValue: x\r\n\r\n"
                           b"Event: QueueMember\r\nActionID: q1\r\n\r\n"
                           b"Response: Success\r\nActionID: q1\r\n\r\n" + GOOD)
    assert [m.event or m.response for m in messages] == ["QueueMember", "Success", "Hangup"]
    assert parser.stats["skipped_events"] == 1


def test_encode_action_repeats_list_values():
    encoded = encode_action({"Action": "Originate", "Variable": ["A=1", "B=张"], "Async": True})
    assert encoded == ("Action: Originate\r\nVariable: A=1\r\nVariable: B=张\r\n"
                       "Async: true\r\n\r\n").encode()


@pytest.mark.parametrize("fields", [
    {"Action": "QueuePause", "Reason": "lunch\r\nAction: Logoff"},
    {"Action": "X", "Bad Name": "1"},
    {"Action": "X", "": "1"},
])
def test_encode_action_refuses_header_injection(fields):
    with pytest.raises(AmiProtocolError):
        encode_action(fields)


# Property-based: the parser survives any bytes, and chunking never changes the result.

@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), max_size=20))
def test_any_bytes_in_any_chunks_never_raise(chunks):
    parser = AmiParser(max_value_bytes=64, max_frame_bytes=256)
    for chunk in chunks:
        for message in parser.feed(chunk):
            assert isinstance(message, AmiMessage)
    assert parser.feed(b"\r\n\r\n" + GOOD)[-1]["Uniqueid"] == "1.1"


header_names = st.from_regex(r"\A[A-Z][A-Za-z]{0,11}\Z").filter(
    lambda name: name not in ("Value", "Variable") and not name.endswith(
        ("CallerIDName", "ConnectedLineName", "ChanVariable")))
header_values = st.text(st.characters(blacklist_categories=("Cs",),
                                      blacklist_characters="\r\n"), max_size=30)
frames = st.dictionaries(header_names, header_values, min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(frames, min_size=1, max_size=8), st.data())
def test_any_chunking_of_a_valid_stream_gives_the_same_messages(frame_list, data):
    stream = b"Asterisk Call Manager/11.0.0\r\n" + b"".join(encode_action(f) for f in frame_list)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    parser = AmiParser()
    messages = []
    for start, end in zip([0] + cuts, cuts + [len(stream)]):
        messages.extend(parser.feed(stream[start:end]))
    assert messages == frame_list


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_any_cuts_of_a_real_transcript_give_the_same_messages(data):
    path = data.draw(st.sampled_from(TRANSCRIPTS))
    stream = path.read_bytes()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=40)))
    parser = AmiParser()
    messages = []
    for start, end in zip([0] + cuts, cuts + [len(stream)]):
        messages.extend(parser.feed(stream[start:end]))
    assert messages == parse_stream(stream)
