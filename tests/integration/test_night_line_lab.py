"""Out of hours on the real Asterisk (issue 16.4): a call on a holiday (the calendar
file says today is one) goes to the rota's night-duty phone (a SIPp UAS that rings
and is not picked up), then to voicemail, where the caller speaks; the night duty
log holds the call with the duty worker rung, not answered, and the message file
with the caller's sound in it. Asterisk's own events show the dial to the duty
phone (a SIPp UAS) and its end, not answered."""
from __future__ import annotations

import array
import time
import wave
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

import models
from models.night_log import NightLogEntry
from models.session import make_engine, session_factory
from tests import labtools
from tests.support.ivr_lab_calls import lab_runs_this_ivr
from tests.support.night_line_lab import (
    DUTY_EXTENSION, duty_worker_on_rota, lab_has_record, holiday_today_calendar, never_answering_phone,
    night_caller, night_line_fastagi, office_hours_checked,
)

pytestmark = pytest.mark.lab

CALLER = "13900160001"


@pytest.fixture
def night_db(tmp_path):
    url = f"sqlite:///{tmp_path / 'night.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    return session_factory(url)


def test_a_holiday_call_rings_the_duty_phone_then_leaves_a_voicemail(lab, night_db, tmp_path):
    settings = lab_runs_this_ivr(lab)
    lab_has_record(lab)
    calendar = holiday_today_calendar(tmp_path, ZoneInfo(settings.office_timezone))
    with night_db() as session:
        duty = duty_worker_on_rota(session)
    phone = never_answering_phone(DUTY_EXTENSION, tmp_path / "sipp")
    time.sleep(0.3)
    with labtools.pyst2_manager(lab) as (manager, events), \
            night_line_fastagi(settings, calendar, night_db, ring_s=8), \
            office_hours_checked(manager):
        caller = night_caller(lab.hotline_number, CALLER, tmp_path)
        try:
            assert caller.wait(60) == 0, (tmp_path / "night-caller.err").read_text()
        finally:
            if caller.poll() is None:
                caller.kill()
        entry = labtools.wait_until(lambda: _entry(night_db), 15, "the night log entry")
        dial = events.wait_for(lambda e: e.get("Event") == "DialEnd"
                               and e.get("DestChannel", "").startswith(f"PJSIP/{DUTY_EXTENSION}"),
                               5)
    phone.stop()
    # Asterisk's own word that the duty phone was dialled and not picked up.
    assert dial["DialStatus"] != "ANSWER"
    assert entry.source == "line" and entry.logged_by_id is None
    assert entry.caller_number == CALLER
    assert entry.duty_user_id == duty.id and entry.duty_answered is False
    assert entry.recording == "" and entry.disposition is None
    message = settings.recordings_dir / entry.voicemail
    with wave.open(str(message)) as sound:
        seconds = sound.getnframes() / sound.getframerate()
        samples = array.array("h", sound.readframes(sound.getnframes()))
    assert entry.voicemail.endswith(f"{entry.callid}-message.wav") and seconds > 4, seconds
    # The caller's speech, not silence: the message holds what they said.
    assert max(abs(s) for s in samples) > 1000


def _entry(factory):
    with factory() as session:
        return session.scalars(select(NightLogEntry).where(
            NightLogEntry.caller_number == CALLER)).first()
