"""The out-of-hours line in the lab: a calendar file that closes today, a night-duty
worker on the rota, the FastAGI scripts on the lab's port, the lab's office-hours
check switched on (AstDB hotline/office_hours) only while a test runs, SIPp for the
duty phone and the caller."""
from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from call_queue.office_calendar import OfficeCalendar
from models.console import User
from models.rota import RotaShift
from telephony.ivr.fastagi import start_fastagi_server
from telephony.night_line import NightLogScript, OfficeHoursScript
from tests import labtools

DUTY_EXTENSION = "8047"
CALLER_PORT = 5097


def holiday_today_calendar(folder: Path, zone: ZoneInfo) -> OfficeCalendar:
    """Open round the clock every day, except today, a holiday: only the holiday
    can close the office (the data file decides "now", not the test's clock)."""
    today = dt.datetime.now(zone).date().isoformat()
    always = '[["00:00", "24:00"]]'
    days = "".join(f"{d} = {always}\n" for d in
                   ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                    "sunday"))
    path = folder / "office-calendar.toml"
    path.write_text(f'[hours]\n{days}holiday = []\n\n[[holidays]]\nname = "实验室假日"\n'
                    f'days = ["{today}", "{today}"]\n', encoding="utf-8")
    return OfficeCalendar.from_file(path, zone)


def duty_worker_on_rota(session, extension: str = DUTY_EXTENSION) -> User:
    now = dt.datetime.now(dt.timezone.utc)
    user = User(username=f"duty-{extension}", password_hash="-", role="department",
                phone_interface=f"PJSIP/{extension}", display_name="王师傅")
    session.add(user)
    session.flush()
    session.add(RotaShift(user_id=user.id, day=now.date(), kind="night",
                          starts_at=now - dt.timedelta(hours=2),
                          ends_at=now + dt.timedelta(hours=10)))
    session.commit()
    return user


@contextlib.contextmanager
def night_line_fastagi(settings, calendar, sessions, ring_s: int):
    scripts = {"office_hours": OfficeHoursScript(calendar, sessions, ring_s, 30),
               "night_log": NightLogScript(sessions, settings.recordings_dir,
                                           settings.local_area_code)}
    try:
        server = start_fastagi_server(settings, scripts)
    except OSError as error:
        pytest.fail(f"cannot listen on the lab's FastAGI port {settings.fastagi_port}: {error}")
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def office_hours_checked(manager):
    """The lab's [office-hours] asks the calendar only while this runs."""
    put = labtools.action(manager, {"Action": "DBPut", "Family": "hotline",
                                    "Key": "office_hours", "Val": "check"})
    assert put.get("Response") == "Success", put
    try:
        yield
    finally:
        labtools.action(manager, {"Action": "DBDel", "Family": "hotline", "Key": "office_hours"})


def speech_wav(folder: Path) -> None:
    """8 kHz mu-law speech for SIPp's rtp_stream (espeak-ng, then sox)."""
    raw = folder / "voice.wav"
    subprocess.run(["espeak-ng", "-v", "cmn", "-w", str(raw), "三号楼二单元厨房漏水了"],
                   check=True, capture_output=True)
    subprocess.run(["sox", str(raw), "-r", "8000", "-c", "1", "-e", "mu-law",
                    str(folder / "speech.wav")], check=True, capture_output=True)


def never_answering_phone(extension: str, log_dir: Path) -> labtools.Sipp:
    port = 5100 + int(extension) % 100
    return labtools.Sipp("agent_no_answer_uas.xml", [
        "-i", "127.0.0.1", "-p", str(port), "-m", "1", "-mp", "16500"], log_dir)


def night_caller(number: str, caller: str, folder: Path) -> subprocess.Popen:
    """The caller who speaks and leaves a message (cwd: speech.wav for rtp_stream)."""
    speech_wav(folder)
    csv = folder / "night-caller.csv"
    csv.write_text(f"SEQUENTIAL\n{caller};夜间来电;\n", encoding="utf-8")
    return subprocess.Popen(
        [shutil.which("sipp"), "-sf", str(labtools.SIPP_DIR / "night_caller_uac.xml"),
         "-nostdin", "127.0.0.1:5060", "-i", "127.0.0.1", "-p", str(CALLER_PORT),
         "-s", number, "-inf", str(csv), "-m", "1", "-mi", "127.0.0.1", "-mp", "17500",
         "-trace_err", "-error_file", str(folder / "night-caller.err")],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def lab_has_record(lab) -> None:
    """modules.conf now loads app_record; a lab started before that loads it here."""
    if "app_record.so" not in lab.cli("module show like app_record"):
        lab.cli("module load app_record.so")
    assert "app_record.so" in lab.cli("module show like app_record")
