"""The out-of-hours line's two FastAGI scripts over a real database (SQLite and
PostgreSQL): open or closed by the calendar, who the rota has on duty (a night
shift that began yesterday evening), the call written into the night log with its
files; and the night log page showing it, playing the message, and turning it
into an order only once the morning shift has written what was said."""
from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from call_queue.office_calendar import OfficeCalendar
from models.console import User, WorkOrder
from models.night_log import NightLogEntry
from models.rota import RotaShift
from telephony.night_line import NightLogScript, OfficeHoursScript, on_duty
from tests.support.console_client import csrf_token_from

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Thursday 3 December 2026, 23:10 in Shanghai: after the office's 17:30.
LATE = dt.datetime(2026, 12, 3, 23, 10, tzinfo=SHANGHAI)
NOON = dt.datetime(2026, 12, 3, 12, 0, tzinfo=SHANGHAI)


class FakeAgi:
    def __init__(self, **env):
        self.env = {"agi_uniqueid": "1796.7", "agi_callerid": "13800138000", **env}
        self.variables: dict[str, str] = {}

    def set_variable(self, name, value):
        self.variables[name] = value


def _calendar() -> OfficeCalendar:
    hours = {d: [["08:30", "17:30"]] for d in ("monday", "tuesday", "wednesday", "thursday",
                                                 "friday")}
    return OfficeCalendar.from_mapping({"hours": {**hours, "saturday": [], "sunday": []}},
                                       SHANGHAI)


def _people(session):
    day_agent = User(username="day", password_hash="-", phone_interface="PJSIP/8046")
    duty = User(username="wang", password_hash="-", role="department", display_name="王师傅",
                phone_interface="PJSIP/8047")
    session.add_all([day_agent, duty])
    session.flush()
    evening = dt.datetime(2026, 12, 3, 17, 30, tzinfo=SHANGHAI)
    session.add_all([
        RotaShift(user_id=duty.id, day=evening.date(), kind="night", starts_at=evening,
                  ends_at=evening + dt.timedelta(hours=15)),
        RotaShift(user_id=day_agent.id, day=evening.date(), kind="evening",
                  starts_at=evening, ends_at=evening + dt.timedelta(hours=6))])
    session.commit()
    return duty


def test_the_night_shift_is_on_duty_across_midnight(session_factory):
    with session_factory() as session:
        duty = _people(session)
        past_midnight = dt.datetime(2026, 12, 4, 3, 0, tzinfo=SHANGHAI)
        assert on_duty(session, past_midnight).interface == "PJSIP/8047"
        # 23:10: the evening shift overlaps; the night shift is the duty.
        assert on_duty(session, LATE).user_id == duty.id
        assert on_duty(session, dt.datetime(2026, 12, 4, 9, 0, tzinfo=SHANGHAI)) is None


def test_office_hours_open_at_noon_closed_late_with_the_duty_phone(session_factory):
    with session_factory() as session:
        duty = _people(session)
    calendar = _calendar()
    agi = FakeAgi()
    assert OfficeHoursScript(calendar, session_factory, 20, 90, clock=lambda: NOON)(agi) == "open"
    assert agi.variables == {"HOTLINE_OFFICE": "open"}
    agi = FakeAgi()
    assert OfficeHoursScript(calendar, session_factory, 20, 90, clock=lambda: LATE)(agi) == "closed"
    assert agi.variables == {"HOTLINE_OFFICE": "closed", "HOTLINE_NIGHT_PHONE": "PJSIP/8047",
                             "HOTLINE_NIGHT_DUTY_ID": str(duty.id), "HOTLINE_NIGHT_RING_S": "20",
                             "HOTLINE_VOICEMAIL_MAX_S": "90"}


def test_nobody_on_the_rota_goes_straight_to_voicemail(session_factory):
    agi = FakeAgi()
    OfficeHoursScript(_calendar(), session_factory, 20, 90, clock=lambda: LATE)(agi)
    assert agi.variables["HOTLINE_OFFICE"] == "closed"
    assert agi.variables["HOTLINE_NIGHT_PHONE"] == ""


def test_the_call_lands_in_the_night_log_with_its_message(session_factory, tmp_path):
    with session_factory() as session:
        duty = _people(session)
    message = tmp_path / "night/2026/12/03/1796.7-message.wav"
    message.parent.mkdir(parents=True)
    message.write_bytes(b"\0" * 8044)
    script = NightLogScript(session_factory, tmp_path, "010", clock=lambda: LATE)
    script(FakeAgi(agi_arg_1=str(duty.id), agi_arg_2="NOANSWER",
                   agi_arg_3="night/2026/12/03/1796.7.wav",
                   agi_arg_4="night/2026/12/03/1796.7-message.wav"))
    # A caller who hung up before the tone: the empty message is not offered.
    empty = tmp_path / "night/2026/12/03/1796.8-message.wav"
    empty.write_bytes(b"\0" * 44)
    script(FakeAgi(agi_uniqueid="1796.8", agi_callerid="unknown", agi_arg_1="",
                   agi_arg_2="", agi_arg_3="", agi_arg_4="../../etc/passwd"))
    with session_factory() as session:
        first, second = session.scalars(select(NightLogEntry).order_by(NightLogEntry.id)).all()
    assert (first.source, first.logged_by_id, first.callid) == ("line", None, "1796.7")
    assert first.duty_user_id == duty.id and first.duty_answered is False
    assert first.recording == "" and first.voicemail == "night/2026/12/03/1796.7-message.wav"
    assert first.caller_number == "13800138000"
    assert (second.caller_number, second.duty_user_id, second.duty_answered) == ("", None, None)
    assert second.voicemail == ""


@pytest.fixture
def console_settings(console_settings, tmp_path):
    return dataclasses.replace(console_settings, recordings_dir=tmp_path / "recordings")


def test_the_page_shows_the_night_call_plays_the_message_and_needs_what_was_said(
        agent_client, console_sessions, console_settings):
    folder = console_settings.recordings_dir / "night"
    folder.mkdir(parents=True)
    (folder / "9.1-message.wav").write_bytes(b"RIFF" + b"\0" * 8040)
    with console_sessions() as session:
        duty = _people(session)
        session.add(NightLogEntry(logged_by_id=None, source="line", callid="9.1",
                                  caller_number="13800138000", summary="", closed_reason="",
                                  duty_user_id=duty.id, duty_answered=False,
                                  voicemail="night/9.1-message.wav"))
        session.commit()
        entry_id = session.scalars(select(NightLogEntry.id)).one()
    page = agent_client.get("/night-log").get_data(as_text=True)
    assert "王师傅" in page and f"/night-log/{entry_id}/voicemail.wav" in page
    sound = agent_client.get(f"/night-log/{entry_id}/voicemail.wav")
    assert sound.status_code == 200 and sound.mimetype == "audio/wav"
    assert agent_client.get(f"/night-log/{entry_id}/recording.wav").status_code == 404
    token = csrf_token_from(agent_client, "/night-log")
    refused = agent_client.post(f"/night-log/{entry_id}/order",
                                data={"csrf_token": token, "kind": "repair", "summary": " "})
    assert refused.status_code == 303
    with console_sessions() as session:
        assert session.get(NightLogEntry, entry_id).disposition is None
    agent_client.post(f"/night-log/{entry_id}/order",
                      data={"csrf_token": token, "kind": "repair", "summary": "3号楼厨房漏水"})
    with console_sessions() as session:
        entry = session.get(NightLogEntry, entry_id)
        order = session.get(WorkOrder, entry.work_order_id)
    assert entry.disposition == "order" and order.description == "3号楼厨房漏水"
