"""queue_log: the parser (robust to junk), the per-call summary and the comparison."""
from __future__ import annotations

from telephony.queue_log import (
    QueueLogFollower, compare_calls, parse_line, parse_queue_log, read_queue_log,
    summarize_calls,
)


def test_sample_summary(shared_ami_dir):
    calls = summarize_calls(read_queue_log(shared_ami_dir / "queue_log.sample"))
    first = calls["1795445475.1"]
    assert (first.outcome, first.agent, first.wait_s, first.ring_s, first.talk_s) == (
        "answered", "Agent 8001", 3, 3, 5)
    assert first.hung_up_by == "agent" and first.caller_number == "13800138000"
    abandoned = calls["1795445615.12"]
    assert (abandoned.outcome, abandoned.wait_s) == ("abandoned", 2)
    assert abandoned.ring_attempts == [("Agent 1002", "RINGCANCELED", 2002)]
    still_talking = calls["1795445683.18"]
    assert still_talking.outcome == "answered" and still_talking.ended_at is None
    assert "NONE" not in calls


def test_junk_lines_are_skipped_not_fatal():
    lines = ["", "garbage", "1|2|3", "abc|1.1|q|NONE|ENTERQUEUE||1|1",
             "1795445475|1.1|q|NONE|ENTERQUEUE||138|1", "1795445476|1.1|q|PJSIP/1|CONN",
             "\x00\xff|||||"]
    entries = list(parse_queue_log(lines))
    assert [e.verb for e in entries] == ["ENTERQUEUE", "CONN"]
    assert parse_line("1795445475|1.1|q|NONE|ENTERQUEUE") is not None
    # float() reads these; no queue_log time is one (hypothesis found "NAN" breaking equality).
    for stamp in ("NAN", "nan", "inf", "-Infinity"):
        assert parse_line(f"{stamp}|1.1|q|NONE|ENTERQUEUE") is None


def test_exit_verbs_and_transfers():
    lines = [
        "100|1.1|q|NONE|ENTERQUEUE||1|1", "160|1.1|q|NONE|EXITWITHTIMEOUT|1|1|60",
        "100|1.2|q|NONE|ENTERQUEUE||1|1", "105|1.2|q|NONE|EXITWITHKEY|5|1|1|5",
        "100|1.3|q|NONE|ENTERQUEUE||1|1", "104|1.3|q|PJSIP/8001|CONNECT|4|1.4|3",
        "150|1.3|q|PJSIP/8001|BLINDTRANSFER|8009|agents|4|46|1",
        "100|1.5|q|NONE|ENTERQUEUE||1|1", "101|1.5|q|NONE|EXITEMPTY|1|1|1",
    ]
    calls = summarize_calls(parse_queue_log(lines))
    assert (calls["1.1"].outcome, calls["1.1"].wait_s) == ("timeout", 60)
    assert (calls["1.2"].outcome, calls["1.2"].wait_s) == ("exit_key", 5)
    assert (calls["1.3"].outcome, calls["1.3"].transfer_target, calls["1.3"].talk_s) == (
        "transferred", "8009", 46)
    assert calls["1.5"].outcome == "exit_empty"


def test_follower_reads_only_what_was_added(tmp_path):
    path = tmp_path / "queue_log"
    follower = QueueLogFollower(path)
    assert follower.call("1.1") is None  # no file yet: no answer, no error
    path.write_text("100|1.1|q|NONE|ENTERQUEUE||1|1\n101|1.1|q|NONE|ABAN")
    assert follower.call("1.1").outcome is None
    with open(path, "a") as file:
        file.write("DON|1|1|1\n")
    assert follower.call("1.1").outcome == "abandoned"


def test_comparison_reports_every_kind_of_mismatch(shared_ami_dir):
    logged = summarize_calls(read_queue_log(shared_ami_dir / "queue_log.sample"))
    wanted = {"1795445475.1", "1795445475.3", "1795445615.12"}
    logged = {k: v for k, v in logged.items() if k in wanted}
    stored = {
        "1795445475.1": {"outcome": "answered", "agent_member": "Agent 8001", "wait_s": 3,
                         "ring_s": 4, "talk_s": 5},  # ring off by 1 s: tolerated
        "1795445475.3": {"outcome": "abandoned", "agent_member": "Agent 8001", "wait_s": 9,
                         "ring_s": 3, "talk_s": 4},
        "9.9": {"outcome": "answered"},
    }
    lines = compare_calls(stored, logged)
    assert not any(line.startswith("1795445475.1:") for line in lines)
    assert any("1795445475.3: outcome abandoned" in line for line in lines)
    assert any("1795445475.3: agent" in line for line in lines)
    assert any("1795445475.3: wait_s 9" in line for line in lines)
    assert any("1795445615.12: in queue_log" in line for line in lines)
    assert any("9.9: stored" in line for line in lines)
