"""The supervisor's list of households locked out of the IVR's self-service."""
from __future__ import annotations

from sqlalchemy import select

from tests.support.demo import demo_data
from models.households import Household, Room
from telephony.ivr.identity import IdentityPolicy, record_failure
from tests.support.console_client import csrf_token_from


def lock_out(console_sessions) -> tuple[str, str]:
    """Three failed checks on one household of a small demo community."""
    with console_sessions() as session:
        demo_data(session, households=5, seed=3)
        session.flush()
        household_id, room = session.execute(
            select(Room.household_id, Room.code).where(Room.household_id.is_not(None))
            .order_by(Room.code)).first()
        for _ in range(3):
            record_failure(session, household_id, IdentityPolicy(max_failures=3))
        number = session.get(Household, household_id).number
        session.commit()
    return number, room


def test_a_supervisor_sees_the_locked_household(app, console_sessions, supervisor_client):
    number, room = lock_out(console_sessions)
    page = supervisor_client.get("/supervisor/ivr-lockouts").get_data(as_text=True)
    assert 'id="ivr-lockouts"' in page
    row = page[page.index("<tbody>"):page.index("</tbody>")]
    assert number in row and room in row and "<td>3</td>" in row


def page_in(client, locale: str) -> str:
    client.post(f"/lang/{locale}", data={"csrf_token": csrf_token_from(
        client, "/supervisor/ivr-lockouts")})
    return client.get("/supervisor/ivr-lockouts").get_data(as_text=True)


def test_the_page_is_in_chinese_and_in_english(app, console_sessions, supervisor_client):
    lock_out(console_sessions)
    zh = page_in(supervisor_client, "zh")
    assert "语音查询锁定" in zh and "失败次数" in zh and "Failed attempts" not in zh
    en = page_in(supervisor_client, "en")
    assert "IVR lock-outs" in en and "Failed attempts" in en and "失败次数" not in en


def test_no_lockout_says_so(app, supervisor_client):
    page = supervisor_client.get("/supervisor/ivr-lockouts").get_data(as_text=True)
    assert 'id="no-ivr-lockouts"' in page and 'id="ivr-lockouts"' not in page


def test_an_agent_is_refused(app, console_sessions, agent_client):
    lock_out(console_sessions)
    assert agent_client.get("/supervisor/ivr-lockouts").status_code == 403


def test_every_ivr_prompt_and_step_kind_has_a_label_for_the_screen_pop():
    """The screen-pop lists what the caller heard: a prompt or step without a label
    would show as a dash."""
    from agent_console.labels import CATALOGUE
    from telephony.ivr.words import P

    spoken_by_say_number = {P.ZERO}
    assert set(P.all()) - spoken_by_say_number <= set(CATALOGUE["ivr_prompt"])
    assert {"play", "say_number", "input", "failed", "verified", "locked_out"} <= \
        set(CATALOGUE["ivr_step"])
