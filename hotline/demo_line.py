"""The demo plays the resident's line: greeting, position and wait announcements, the
reassurance, the cap, the office hours (issue 16).

The lab keeps its line silent for the other tests: its dialplan greets, and sends
the caller to the twin queue <queue>-line (announcements and maxlen), only while
AstDB hotline/line = on, and asks the office-hours script only while
hotline/office_hours = check (asterisk_conf/extensions.conf.tmpl). The demo sets
them by AMI DBPut when it starts and deletes them when it stops, and runs its
bridge, console and agents on the twin queue, where its callers now wait.

Hours: by default the day line (the office-hours check stays off, so a demo at
3 a.m. still greets and queues); `night` checks the hours against a calendar that
is never open (every caller reaches the night line: the rota's duty phone or
voicemail); `calendar` checks them against the office calendar, as production does.
Switching the lab needs the lab's test AMI user (the bridge's own user may not
write AstDB: manager.conf.tmpl).
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Callable, Optional

from hotline.errors import HotlineError
from hotline.settings import Settings

log = logging.getLogger(__name__)

HOURS = ("day", "night", "calendar")
LINE_SUFFIX = "-line"  # queues.conf.tmpl: the lab's twin queue
# A calendar with no opening hour on any day (call_queue/office_calendar.py's format).
NEVER_OPEN = """# The demo's night (hotline demo run --night): the office is never open.
[hours]
monday = []
tuesday = []
wednesday = []
thursday = []
friday = []
saturday = []
sunday = []
make_up_day = []
holiday = []
"""


@dataclasses.dataclass(frozen=True)
class DemoLine:
    hours: str
    queue: str  # where the demo's callers wait and its agents answer
    calendar: Optional[Path]  # the office calendar the demo's bridge reads (None: the site's)

    @property
    def checks_hours(self) -> bool:
        return self.hours != "day"

    def child_env(self) -> dict[str, str]:
        """What the demo's bridge and console are started with (over the environment)."""
        env = {"HOTLINE_QUEUE": self.queue}
        if self.calendar is not None:
            env["HOTLINE_OFFICE_CALENDAR"] = str(self.calendar)
        return env


def demo_line(settings: Settings, hours: str, folder: Path) -> DemoLine:
    if hours not in HOURS:
        raise HotlineError(f"demo: hours must be one of {', '.join(HOURS)}, not {hours!r}")
    calendar = None
    if hours == "night":
        calendar = folder / "night-calendar.toml"
        calendar.write_text(NEVER_OPEN, encoding="utf-8")
    return DemoLine(hours, settings.queue_name + LINE_SUFFIX, calendar)


def _lab_ami(settings: Settings):
    from telephony.ami.client import AmiConnection

    connection = AmiConnection(settings.ami_host, settings.ami_port, settings.test_ami_user,
                               settings.test_ami_secret, on_event=lambda message: None,
                               events=())
    connection.start()
    if not connection.wait_connected(10):
        connection.close()
        raise HotlineError(f"demo: the lab's AMI at {settings.ami_host}:{settings.ami_port} "
                           "did not answer: is the lab up ('hotline lab up')?")
    return connection


def _switches(line: DemoLine) -> dict[str, Optional[str]]:
    """AstDB hotline/<key> -> value (None: deleted, the lab's default)."""
    return {"line": "on", "office_hours": "check" if line.checks_hours else None}


def switch_on(settings: Settings, line: DemoLine, ami: Callable = _lab_ami) -> None:
    connection = ami(settings)
    try:
        for key, value in _switches(line).items():
            if value is None:
                connection.send_action({"Action": "DBDel", "Family": "hotline", "Key": key})
                continue
            response = connection.send_action({"Action": "DBPut", "Family": "hotline",
                                               "Key": key, "Val": value})
            if not response.ok:
                raise HotlineError(f"demo: the lab refused AstDB hotline/{key} = {value}: "
                                   f"{response.get_header('Message', '')}")
    finally:
        connection.close()
    log.info("demo line on (%s hours, queue %s)", line.hours, line.queue)


def switch_off(settings: Settings, line: DemoLine, ami: Callable = _lab_ami) -> None:
    """The lab's line silent again (the other lab tests' callers go straight to the queue)."""
    connection = ami(settings)
    try:
        for key in _switches(line):
            connection.send_action({"Action": "DBDel", "Family": "hotline", "Key": key})
    finally:
        connection.close()
