"""Lost calls on the desktop: which calls are listed, one click calls the resident
back through the agent's phone (a real CommandExecutor on the test Redis, its AMI
a recorder), each attempt and its result recorded, and the day's recovery."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from models.callbacks import CallbackAttempt
from models.calls import Call
from models.households import Household
from tests.support.console_client import csrf_token_from
from tests.support.demo import demo_data, one_household_number
from tests.support.recording_ami import bridge_commands

UTC = dt.timezone.utc
# 2026-12-03 10:00 in Shanghai is 02:00 UTC: every call below is on that office day.
DAY_START = dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def _call(callid: str, minutes: int, outcome: str, wait_s: int, number: str | None,
          answered: bool = False) -> Call:
    entered = DAY_START + dt.timedelta(minutes=minutes)
    return Call(callid=callid, queue="hotline", caller_number=number, caller_number_raw=number,
                entered_queue_at=entered, wait_s=wait_s, outcome=outcome,
                answered_at=entered + dt.timedelta(seconds=wait_s) if answered else None,
                ended_at=entered + dt.timedelta(seconds=wait_s + 5))


@pytest.fixture
def calls(console_sessions, console_settings):
    with console_sessions() as session:
        demo_data(session, 5)
        session.commit()
    number, household_id = one_household_number(console_settings.database_url)
    with console_sessions() as session:
        household_number = session.get(Household, household_id).number
        session.add_all([
            _call("lost.1", 0, "abandoned", 45, number),               # listed, a household
            _call("short.1", 5, "abandoned", 8, "13800000002"),       # a short abandon: not listed
            _call("timeout.1", 10, "timeout", 300, "13800000003"),    # the queue gave up: listed
            _call("hidden.1", 15, "abandoned", 60, None),              # withheld: listed, not callable
            _call("again.1", 20, "abandoned", 30, "13800000004"),     # rang again, answered later
            _call("again.2", 40, "answered", 12, "13800000004", answered=True),
            _call("other-day", 60 * 24, "abandoned", 90, "13800000005"),
        ])
        session.commit()
    return number, household_number


def _rows(page: str) -> dict[str, str]:
    return dict(re.findall(r'data-callid="([^"]+)" data-status="([^"]+)"', page))


def _page(client, show_all: bool = False) -> str:
    response = client.get("/lost-calls?day=2026-12-03" + ("&show=all" if show_all else ""))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_list_holds_the_days_lost_calls_not_short_abandons(agent_client, calls):
    page = _page(agent_client)
    assert _rows(page) == {"lost.1": "waiting", "timeout.1": "waiting", "hidden.1": "waiting"}
    assert calls[1] in page and "Withheld" in page
    assert _rows(_page(agent_client, show_all=True))["again.1"] == "called_again"
    assert "Lost: 4" in page and "Still to call back: 3" in page


def _post(client, path: str, **fields):
    token = csrf_token_from(client, "/lost-calls?day=2026-12-03")
    return client.post(path, data={"csrf_token": token, "day": "2026-12-03", **fields})


def test_a_call_back_rings_the_agents_phone_then_dials_the_resident(agent_client, calls, ami,
                                                                    console_sessions):
    response = _post(agent_client, "/lost-calls/lost.1/call")
    assert response.status_code == 303
    originate = [fields for fields in ami.sent if fields.get("Action") == "Originate"]
    assert len(originate) == 1 and originate[0]["Channel"] == "PJSIP/8001"
    assert calls[0] in originate[0]["Exten"]
    page = _page(agent_client)
    assert "Your phone rings first" in page
    with console_sessions() as session:
        attempt = session.scalar(select(CallbackAttempt))
        assert (attempt.callid, attempt.number, attempt.result) == ("lost.1", calls[0], None)
    # A second click before the result is given places no second call.
    _post(agent_client, "/lost-calls/lost.1/call")
    assert len([f for f in ami.sent if f.get("Action") == "Originate"]) == 1
    assert "Say how the earlier call-back went first." in _page(agent_client)
    _post(agent_client, f"/lost-calls/attempts/{attempt.id}/result", result="reached", notes="已约明早维修")
    assert "lost.1" not in _rows(_page(agent_client))
    assert _rows(_page(agent_client, show_all=True))["lost.1"] == "recovered"
    assert "Recovered by a call-back: 1 (25%)" in _page(agent_client)


def test_not_reached_stays_on_the_list_as_tried(agent_client, calls, ami, console_sessions):
    _post(agent_client, "/lost-calls/timeout.1/call")
    with console_sessions() as session:
        attempt_id = session.scalar(select(CallbackAttempt.id))
    _post(agent_client, f"/lost-calls/attempts/{attempt_id}/result", result="no_answer")
    assert _rows(_page(agent_client))["timeout.1"] == "tried"


def test_a_withheld_number_cannot_be_called(agent_client, calls, ami):
    _post(agent_client, "/lost-calls/hidden.1/call")
    assert not [f for f in ami.sent if f.get("Action") == "Originate"]
    assert "The number was withheld" in _page(agent_client)


def test_a_refused_originate_is_recorded_as_not_reached_with_a_message(agent_client, calls,
                                                                      console_settings):
    with bridge_commands(console_settings, message="Extension does not exist."):
        _post(agent_client, "/lost-calls/lost.1/call")
    page = _page(agent_client)
    assert "The call could not be placed" in page and "Extension does not exist" not in page
    assert _rows(page)["lost.1"] == "tried"


def test_closing_needs_a_reason_and_an_unknown_call_is_refused(agent_client, calls):
    _post(agent_client, "/lost-calls/lost.1/close", notes="  ")
    assert "Say why no call is needed." in _page(agent_client)
    _post(agent_client, "/lost-calls/lost.1/close", notes="邻居误拨")
    assert "lost.1" not in _rows(_page(agent_client))
    _post(agent_client, "/lost-calls/again.2/close", notes="x")  # answered: not a lost call
    assert "This call is not a lost call." in _page(agent_client)


def test_a_forged_request_without_the_token_is_refused(agent_client, calls, ami):
    response = agent_client.post("/lost-calls/lost.1/call", data={"day": "2026-12-03"})
    assert response.status_code == 400
    assert not ami.sent


def test_a_bad_result_is_refused(agent_client, calls, ami, console_sessions):
    _post(agent_client, "/lost-calls/lost.1/call")
    with console_sessions() as session:
        attempt_id = session.scalar(select(CallbackAttempt.id))
    _post(agent_client, f"/lost-calls/attempts/{attempt_id}/result", result="teleported")
    assert "Choose how the call-back went." in _page(agent_client)


def test_the_page_is_in_chinese_for_a_chinese_user(app, make_user, calls):
    from tests.support.console_client import log_in

    make_user("lin", "agent", "PJSIP/8003", language="zh")
    client = app.test_client()
    log_in(client, "lin")
    page = _page(client)
    for chinese in ("未接来电", "尚未回拨", "放弃", "回拨住户", "号码隐藏", "排队超时"):
        assert chinese in page, chinese
    for code in ("waiting</td>", "abandoned</td>", "timeout</td>", ">hotline<"):
        assert code not in page


def test_the_wallboard_shows_how_many_are_still_to_call_back(supervisor_client, console_sessions):
    now = dt.datetime.now(UTC)
    with console_sessions() as session:
        for callid, hours_ago in (("recent.1", 1), ("recent.2", 23), ("old.1", 25)):
            call = _call(callid, 0, "abandoned", 60, "13800000009")
            call.entered_queue_at = now - dt.timedelta(hours=hours_ago)
            session.add(call)
        session.commit()
    page = supervisor_client.get("/supervisor/wallboard").get_data(as_text=True)
    assert re.search(r'id="lost-open">2<', page)  # the last 24 hours, as the desktop's list
    assert supervisor_client.get("/supervisor/wallboard/intraday.json").get_json()["lost_open"] == 2
