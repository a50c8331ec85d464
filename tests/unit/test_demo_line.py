"""The demo plays the line (issue 16): the lab's AstDB switches set by AMI when the
demo starts and deleted when it stops, its bridge, console and agents on the twin
queue that greets and announces, the day line by default, the night line on asking
(a calendar that is never open) and the office calendar's hours with --by-calendar."""
from __future__ import annotations

import datetime as dt
import sys
import types

import pytest
from click.testing import CliRunner

from call_queue.office_calendar import OfficeCalendar
from hotline import demo, demo_line
from hotline.cli import main
from hotline.errors import HotlineError
from tests.support.settings import make_settings


class FakeAmi:
    def __init__(self, refuse: bool = False):
        self.actions, self.closed, self.refuse = [], 0, refuse

    def __call__(self, settings):
        return self

    def send_action(self, fields, timeout=5.0):
        self.actions.append(dict(fields))
        ok = not (self.refuse and fields["Action"] == "DBPut")
        return types.SimpleNamespace(ok=ok, get_header=lambda name, default="": "Permission denied")

    def close(self):
        self.closed += 1


@pytest.mark.parametrize("hours, office_hours", [("day", None), ("night", "check"),
                                                 ("calendar", "check")])
def test_switches_on_at_start_and_off_at_the_end(tmp_path, hours, office_hours):
    settings = make_settings(queue_name="hotline")
    line = demo_line.demo_line(settings, hours, tmp_path)
    ami = FakeAmi()
    demo_line.switch_on(settings, line, ami=ami)
    demo_line.switch_off(settings, line, ami=ami)
    put = {(a["Key"], a.get("Val")) for a in ami.actions if a["Action"] == "DBPut"}
    deleted = [a["Key"] for a in ami.actions if a["Action"] == "DBDel"]
    assert put == {("line", "on")} | ({("office_hours", office_hours)} if office_hours else set())
    # Day: the hours check is deleted at start (a --night demo before may have left it).
    assert deleted == (["office_hours"] if not office_hours else []) + ["line", "office_hours"]
    assert ami.closed == 2
    assert line.queue == "hotline-line"
    assert line.child_env()["HOTLINE_QUEUE"] == "hotline-line"


def test_the_night_calendar_is_never_open_and_given_to_the_bridge(tmp_path):
    line = demo_line.demo_line(make_settings(), "night", tmp_path)
    calendar = OfficeCalendar.from_file(line.calendar)
    monday_10am = dt.datetime(2026, 12, 7, 2, tzinfo=dt.timezone.utc)  # 10:00 in Shanghai
    assert not any(calendar.is_open(monday_10am + dt.timedelta(hours=h)) for h in range(168))
    assert line.child_env()["HOTLINE_OFFICE_CALENDAR"] == str(line.calendar)
    assert "HOTLINE_OFFICE_CALENDAR" not in demo_line.demo_line(make_settings(), "calendar",
                                                                tmp_path).child_env()


def test_a_lab_that_refuses_the_switch_is_one_clear_error(tmp_path):
    line = demo_line.demo_line(make_settings(), "day", tmp_path)
    ami = FakeAmi(refuse=True)
    with pytest.raises(HotlineError, match="refused AstDB hotline/line = on: Permission denied"):
        demo_line.switch_on(make_settings(), line, ami=ami)
    assert ami.closed == 1


def test_unknown_hours_and_both_flags_are_refused(tmp_path, monkeypatch):
    with pytest.raises(HotlineError, match="hours must be one of day, night, calendar"):
        demo_line.demo_line(make_settings(), "dusk", tmp_path)
    monkeypatch.setattr(demo, "run", lambda *args: pytest.fail("the demo must not start"))
    result = CliRunner().invoke(main, ["demo", "run", "--night", "--by-calendar"])
    assert result.exit_code == 2 and "exclude each other" in result.output


def test_the_flags_choose_the_hours(monkeypatch):
    chosen = []
    monkeypatch.setattr(demo, "run", lambda settings, households, per_minute, hours:
                        chosen.append(hours))
    for flags in ([], ["--night"], ["--by-calendar"]):
        assert CliRunner().invoke(main, ["demo", "run", *flags]).exit_code == 0
    assert chosen == ["day", "night", "calendar"]


def test_the_children_get_the_line_queue_and_the_night_calendar(tmp_path):
    processes = demo.DemoProcesses(tmp_path)
    child = processes.start("env", [sys.executable, "-c",
                                    "import os; print(os.environ['HOTLINE_QUEUE'], "
                                    "os.environ['PATH'] != '')"],
                            env={"HOTLINE_QUEUE": "hotline-line"})
    assert child.wait(timeout=10) == 0
    assert (tmp_path / "env.log").read_text().split() == ["hotline-line", "True"]
