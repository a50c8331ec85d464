"""Fuzzing the queue_log reader the bridge and the oracle trust.

The bridge reads queue_log as Asterisk appends to it (QueueLogFollower), while
Asterisk may have written half a line; `hotline verify-queue-log` reads it whole.
Any bytes must be read without an exception, and however the file grew (in
whatever chunks), the follower must end up with the same calls as one read.
"""
from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings, strategies as st

from telephony.queue_log import (QueueLogFollower, parse_line, parse_queue_log,
                                 read_queue_log, summarize_calls)

VERBS = ["ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "ABANDON",
         "EXITWITHTIMEOUT", "EXITEMPTY", "EXITWITHKEY", "RINGNOANSWER", "RINGCANCELED",
         "BLINDTRANSFER", "ATTENDEDTRANSFER", "PAUSE", "ADDMEMBER", "CONFIGRELOAD", "??"]
_files = itertools.count()
FOLDER = Path(tempfile.mkdtemp(prefix="hotline-fuzz-queue-log-"))

fields = st.text(alphabet=st.characters(blacklist_characters="|\n\r",
                                          blacklist_categories=("Cs",)), max_size=12)
lines = st.builds(
    lambda stamp, callid, agent, verb, data: "|".join(
        [stamp, callid, "hotline", agent, verb, *data]),
    st.one_of(st.integers(0, 2 ** 33).map(str), fields),
    st.one_of(st.sampled_from(["1795445475.1", "1795445475.3", "NONE", "MANAGER", ""]), fields),
    st.one_of(st.sampled_from(["agent01", "PJSIP/8001", "NONE"]), fields),
    st.one_of(st.sampled_from(VERBS), fields),
    st.lists(st.one_of(st.integers(-5, 10 ** 6).map(str), fields), max_size=6))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_a_line_or_nothing(text):
    entry = parse_line(text)
    assert entry is None or (entry.callid and entry.verb)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(lines, st.text(max_size=40)), max_size=30))
def test_any_lines_summarize_without_error(text_lines):
    calls = summarize_calls(parse_queue_log(text_lines))
    for callid, call in calls.items():
        assert callid == call.callid and callid != "NONE"


@settings(max_examples=150, deadline=None)
@given(st.lists(lines, max_size=25), st.binary(max_size=30), st.data())
def test_the_follower_sees_what_one_read_sees_however_the_file_grew(good, junk, data):
    content = ("\n".join(good) + "\n").encode() + junk + b"\n"
    cuts = sorted(data.draw(st.lists(st.integers(0, len(content)), max_size=6)))
    path = FOLDER / f"queue_log-{next(_files)}"
    path.write_bytes(b"")
    follower = QueueLogFollower(path)
    follower.refresh()
    start = 0
    for cut in cuts + [len(content)]:
        with open(path, "ab") as file:  # Asterisk appends, sometimes half a line
            file.write(content[start:cut])
        start = cut
        follower.refresh()
    whole = summarize_calls(read_queue_log(path))
    assert set(follower.calls) == set(whole)
    for callid, call in whole.items():
        assert follower.calls[callid] == call
