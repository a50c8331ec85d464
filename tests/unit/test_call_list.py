"""The supervisor's call list: the office day, every filter, pages, what a row shows
(on SQLite and PostgreSQL), and the page itself: refused filters, agents kept out,
and the QA form's way back to the list with the agent's count risen."""
from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from agent_console.errors import InvalidCallFilter
from agent_console.supervisor import call_list
from tests.support.call_list_data import DAY, ZONE, seed_call_list
from call_queue.qa import CRITERIA
from tests.support.console_client import csrf_token_from


def _callids(session, **filters) -> list[str]:
    wanted = call_list.CallFilter(day=DAY, **filters)
    return [row.call.callid for row in call_list.find_calls(session, wanted, ZONE).rows]


def test_the_day_is_the_offices_and_newest_comes_first(session_factory):
    with session_factory() as session:
        seed_call_list(session)
        assert _callids(session) == ["d1.4", "d1.3", "d1.2", "d1.1"]


def test_each_filter_narrows_the_day(session_factory):
    with session_factory() as session:
        data = seed_call_list(session)
        assert _callids(session, agent="PJSIP/8011") == ["d1.4", "d1.1"]
        assert _callids(session, outcome="abandoned") == ["d1.3"]
        assert _callids(session, queue="other") == []
        assert _callids(session, min_talk_s=60) == ["d1.4", "d1.2"]
        assert _callids(session, min_talk_s=31, max_talk_s=100) == ["d1.4"]
        # Not yet scored: answered by an agent and without a QA score.
        assert _callids(session, unscored=True) == ["d1.4", "d1.1"]
        # The household: its phone's call and the call its work order is linked to.
        assert _callids(session, household=data.household_number) == ["d1.4", "d1.1"]


def test_a_row_carries_household_orders_score_and_agent_name(session_factory):
    with session_factory() as session:
        data = seed_call_list(session)
        rows = {row.call.callid: row for row in call_list.find_calls(
            session, call_list.CallFilter(day=DAY), ZONE).rows}
    assert rows["d1.4"].order_ids == [data.order_id]
    assert rows["d1.4"].household_number == rows["d1.1"].household_number == "H-0101"
    assert rows["d1.2"].best_score == 88 and rows["d1.1"].best_score is None
    assert (rows["d1.2"].agent_name, rows["d1.3"].agent_name) == ("李娜", "")


def test_pages_split_the_day_without_losing_a_call(session_factory):
    with session_factory() as session:
        seed_call_list(session)
        seen = []
        for page in (1, 2, 3):
            result = call_list.find_calls(session, call_list.CallFilter(day=DAY, page=page),
                                          ZONE, page_size=3)
            assert (result.total, result.pages) == (4, 2)
            seen.append([row.call.callid for row in result.rows])
    # A page past the end shows the last one.
    assert seen == [["d1.4", "d1.3", "d1.2"], ["d1.1"], ["d1.1"]]


def test_qa_counts_list_every_agent_against_the_norm(session_factory):
    with session_factory() as session:
        seed_call_list(session)
        counts = call_list.qa_counts(session, {"PJSIP/8012": 5, "PJSIP/8099": 7})
    assert [(c.name, c.scored, c.standing) for c in counts] == [
        ("PJSIP/8099", 7, "above"), ("李娜", 5, "met"), ("王芳", 0, "below")]


@pytest.mark.parametrize("args, field", [
    ({"day": "2026-13-01"}, "day"), ({"outcome": "talking"}, "outcome"),
    ({"page": "0"}, "page"), ({"page": "x"}, "page"), ({"min_talk": "1:75"}, "min_talk"),
    ({"min_talk": "-5"}, "min_talk"), ({"min_talk": "2:00", "max_talk": "1:00"}, "max_talk"),
    ({"max_talk": "99999999"}, "max_talk")])
def test_a_bad_filter_names_its_field(args, field):
    with pytest.raises(InvalidCallFilter) as raised:
        call_list.parse_filter(MultiDict(args), DAY)
    assert raised.value.field == field


def test_filters_parse_as_people_type_them():
    wanted = call_list.parse_filter(MultiDict({"day": "2026-03-01", "min_talk": "1:30",
                                               "max_talk": "600", "unscored": "1",
                                               "agent": " PJSIP/8011 "}), DAY)
    assert wanted == call_list.CallFilter(day=dt.date(2026, 3, 1), agent="PJSIP/8011",
                                          min_talk_s=90, max_talk_s=600, unscored=True)
    assert call_list.parse_filter(MultiDict(), DAY).day == DAY


def test_an_unknown_household_is_refused(session_factory):
    with session_factory() as session:
        seed_call_list(session)
        with pytest.raises(InvalidCallFilter, match="household"):
            _callids(session, household="nobody")


# --- the page, through the console app -------------------------------------------

@pytest.fixture
def listed(console_sessions, supervisor, agent):
    with console_sessions() as session:
        return seed_call_list(session)


def test_the_page_lists_the_day_and_keeps_agents_out(listed, supervisor_client, agent_client):
    page = supervisor_client.get(f"/supervisor/calls?day={DAY.isoformat()}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for callid in ("d1.1", "d1.2", "d1.3", "d1.4"):
        assert f'data-callid="{callid}"' in html
    assert 'data-callid="d0.1"' not in html and 'data-callid="d2.1"' not in html
    assert agent_client.get("/supervisor/calls").status_code == 403


def test_a_refused_filter_says_why_and_keeps_what_was_typed(listed, supervisor_client):
    page = supervisor_client.get("/supervisor/calls?day=2026-03-10&min_talk=1:75&agent=PJSIP/8011")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert 'id="call-filter-error"' in html
    assert 'value="1:75"' in html and 'value="PJSIP/8011" selected' in html


def test_scoring_from_the_list_comes_back_to_it_and_the_count_rises(listed, supervisor_client):
    list_url = "/supervisor/calls?day=2026-03-10&unscored=1"
    before = supervisor_client.get(list_url).get_data(as_text=True)
    assert 'data-callid="d1.1"' in before
    form = {key: str(points) for key, _label, points in CRITERIA}
    form.update(csrf_token=csrf_token_from(supervisor_client, "/supervisor/qa/d1.1"),
                back=list_url)
    saved = supervisor_client.post("/supervisor/qa/d1.1", data=form)
    assert saved.status_code == 302 and saved.headers["Location"].endswith(list_url)
    after = supervisor_client.get(list_url).get_data(as_text=True)
    assert 'data-callid="d1.1"' not in after  # scored: no longer "not yet scored"
    # 王芳 (PJSIP/8011) has one score this month now; the seeded one is in March 2026.
    assert '<li class="qa-below" data-interface="PJSIP/8011"><span>王芳</span>\n      <strong class="qa-count">1</strong>' in after


def test_the_way_back_goes_only_to_the_call_list(listed, supervisor_client):
    form = {key: str(points) for key, _label, points in CRITERIA}
    form.update(csrf_token=csrf_token_from(supervisor_client, "/supervisor/qa/d1.1"),
                back="https://elsewhere.example/supervisor/calls")
    saved = supervisor_client.post("/supervisor/qa/d1.1", data=form)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/supervisor/qa/d1.1")
