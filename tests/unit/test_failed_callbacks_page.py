"""Keep-my-place callbacks that reached nobody, on the agent's lost-calls page (Flask
client): listed with their attempts, closed with a note; a close without a note is
refused with its message and the request stays listed."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from line_callback import store
from line_callback.policy import Booking, RetryPolicy
from models.line_callbacks import CallbackRequest
from tests.support.console_client import csrf_token_from

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def failed(console_sessions):
    policy = RetryPolicy(max_attempts=3, spacing_s=0)
    with console_sessions() as session:
        request_id = store.book(session, Booking("1764727200.5", "13900449001", "hotline",
                                                 T0, 2), None, "main", T0).id
        session.commit()
        for _ in range(3):
            (claim,) = store.claim_due(session, "main", T0, 5)
            store.end_attempt(session, claim.attempt_id, "no_answer", "NOANSWER", policy, T0)
    return request_id


def _rows(page: str) -> list[str]:
    return re.findall(r'data-callback="(\d+)"', page)


def test_a_failed_callback_is_listed_and_closed_with_a_note(agent_client, failed,
                                                            console_sessions):
    page = agent_client.get("/lost-calls").get_data(as_text=True)
    assert _rows(page) == [str(failed)] and "13900449001" in page
    assert "Callbacks that reached nobody" in page
    token = csrf_token_from(agent_client, "/lost-calls")
    refused = agent_client.post(f"/lost-calls/callbacks/{failed}/close",
                                data={"csrf_token": token, "notes": "  "}, follow_redirects=True)
    assert "Say how it was dealt with." in refused.get_data(as_text=True)
    assert _rows(refused.get_data(as_text=True)) == [str(failed)]
    done = agent_client.post(f"/lost-calls/callbacks/{failed}/close",
                             data={"csrf_token": token, "notes": "已手动回电"},
                             follow_redirects=True)
    assert "Callback closed." in done.get_data(as_text=True)
    assert _rows(done.get_data(as_text=True)) == []
    with console_sessions() as session:
        request = session.get(CallbackRequest, failed)
        assert (request.state, request.closed_note) == ("closed", "已手动回电")
    again = agent_client.post(f"/lost-calls/callbacks/{failed}/close",
                              data={"csrf_token": token, "notes": "x"}, follow_redirects=True)
    assert "This callback is not waiting for an agent." in again.get_data(as_text=True)
