"""A payment entered at the cashier's desk is heard in the IVR right after (issue 16's
done-when), with the real Asterisk and FastAGI: a known caller hears the balance and
presses 2 for the cashier to call back; the request is on the cashier's desk (Flask
client on the same database); the cashier enters a payment with its receipt and
marks the request done; the resident rings the IVR again and hears the new total,
the figure balance_summary gives after the payment.

Run under the lab lock: `flock /tmp/hotline/lab.lock .venv/bin/pytest tests/integration/test_cashier_ivr_lab.py`.
"""
from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

import models
from households.fees import balance_summary
from households.lookup import phone_suffixes
from households.matching import match_caller
from models.console import User
from models.ivr import IvrCallbackRequest
from models.households import Person, PersonRole, Phone
from models.session import make_engine, session_factory
from telephony.ivr.data import Balance, DatabaseIvrBackend, money_to_fen
from telephony.ivr.fastagi import start_fastagi_server
from telephony.ivr.flow import P, FeeBalanceScript, balance_words
from telephony.ivr.identity import IdentityPolicy
from tests import labtools
from tests.support.console_client import csrf_token_from, log_in, PASSWORD
from tests.support.demo import demo_data, household_terms
from tests.support.ivr_lab_calls import (
    STEP_TIMEOUT_S, StepWatch, call_ivr, hang_up, lab_runs_this_ivr, press, stored_session,
)
from tests.support.settings import make_settings

pytestmark = pytest.mark.lab
TERMS = household_terms()


def _total_due(session, household_id: int):
    return balance_summary(session, household_id, TERMS.today(), TERMS.late_fee_daily_rate).total_due


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'cashier-ivr.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    with session_factory(url)() as session:
        demo_data(session, households=60, seed=4)
        session.add(User(username="cash01", role="cashier", phone_interface="PJSIP/8040",
                         display_name="孙会计", language="en",
                         password_hash=generate_password_hash(PASSWORD)))
        session.commit()
    return url


@pytest.fixture
def watch(lab, database):
    settings = dataclasses.replace(lab_runs_this_ivr(lab), fastagi_read_timeout_s=60,
                                   ivr_max_session_s=120)
    steps = StepWatch()
    policy = IdentityPolicy.from_settings(settings)
    backend = DatabaseIvrBackend(session_factory(database), timeout_s=5, terms=TERMS,
                                 policy=policy)
    try:
        server = start_fastagi_server(
            settings, {"fee_balance": FeeBalanceScript(backend, 8000, steps, policy)})
    except OSError as error:
        pytest.fail(f"cannot listen on the lab's FastAGI port {settings.fastagi_port} "
                    f"(is a bridge or `hotline fastagi` running?): {error}")
    yield steps
    server.stop()
    backend.shutdown()


@pytest.fixture
def cashier(database, private_redis_server, tmp_path):
    from agent_console import create_app

    settings = make_settings(database_url=database, redis_url=private_redis_server.url,
                             state_dir=tmp_path / "state", secret_key_file=tmp_path / "key")
    client = create_app(settings, testing=True).test_client()
    assert log_in(client, "cash01").status_code == 302
    return client


def known_caller(url: str) -> tuple[str, int, str]:
    """An owner's number of exactly one household that owes more than ¥100."""
    with session_factory(url)() as session:
        for number in session.scalars(
                select(Phone.normalized).join(Person, Person.id == Phone.person_id)
                .where(Person.role == PersonRole.OWNER).order_by(Phone.id)):
            household_id = match_caller(session, number, TERMS.local_area_code).household_id
            if (number.isdigit() and household_id is not None
                    and _total_due(session, household_id) > 100
                    and phone_suffixes(session, household_id) == {number[-4:]}):
                return number, household_id, number[-4:]
    raise AssertionError("the demo community has no known caller who owes money")


def hear_balance_and_ask_for_the_cashier(lab, watch, database, number: str, suffix: str,
                                         whole: bool = False):
    """The caller proves the household and presses 2: during the total (barging in),
    or after the whole balance was said and the menu asked (`whole`)."""
    with labtools.pyst2_manager(lab) as (manager, events):
        callid, _ = call_ivr(manager, lab, number)
        ivr_half = caller_half = None
        try:
            asked = watch.wait_listening(callid, P.KNOWN_CALLER)
            ivr_half = watch.channels[callid]
            caller_half = ivr_half.replace(";2", ";1")
            press(manager, caller_half, "1")
            asked = watch.wait_listening(callid, P.ENTER_PHONE_SUFFIX, asked + 1)
            press(manager, caller_half, suffix)
            asked = watch.wait_listening(callid, P.TOTAL_DUE, asked + 1)
            if whole:
                watch.wait_listening(callid, P.MENU, asked + 1)
            press(manager, caller_half, "2")
            events.wait_for(lambda e: e.get("Event") == "Hangup"
                            and e.get("Uniqueid") == callid, STEP_TIMEOUT_S)
        finally:
            hang_up(manager, *[c for c in (caller_half, ivr_half) if c])
    return stored_session(session_factory(database), callid)


def test_a_payment_at_the_desk_is_heard_in_the_ivr_right_after(lab, watch, database, cashier):
    number, household_id, suffix = known_caller(database)
    first = hear_balance_and_ask_for_the_cashier(lab, watch, database, number, suffix)
    with session_factory(database)() as session:
        assert first.spoken_total_due_fen == money_to_fen(_total_due(session, household_id))
        request = session.scalars(select(IvrCallbackRequest)
                                  .where(IvrCallbackRequest.ivr_session_id == first.id)).one()
    desk = cashier.get("/cashier/").get_data(as_text=True)
    assert f'data-request="{request.id}"' in desk and number in desk

    form = cashier.get(f"/cashier/households/{household_id}/payment").get_data(as_text=True)
    charge = re.search(r'<option value="([a-z_]+:\d{4}-\d{2}-\d{2})"', form).group(1)
    token = csrf_token_from(cashier, "/cashier/")
    saved = cashier.post(f"/cashier/households/{household_id}/payment", data={
        "csrf_token": token, "amount": "100.00", "charge": charge, "method": "cash",
        "receipt_number": "IVR-LAB-0001"})
    assert saved.status_code == 303
    done = cashier.post(f"/cashier/requests/{request.id}/done",
                        data={"csrf_token": token, "note": "called back, paid ¥100 at the desk"})
    assert done.status_code == 303
    with session_factory(database)() as session:
        expected = money_to_fen(_total_due(session, household_id))
    assert expected <= first.spoken_total_due_fen - 10000

    second = hear_balance_and_ask_for_the_cashier(lab, watch, database, number, suffix,
                                                  whole=True)
    assert second.spoken_total_due_fen == expected
    # Every number the resident heard is the new balance's, file by file.
    heard = Balance(second.spoken_total_due_fen, second.spoken_months_in_arrears,
                    second.spoken_late_fee_fen)
    said = [step["value"] for step in second.steps if step["kind"] == "say_number"]
    assert said == [value for kind, value in balance_words(heard) if kind == "say"]
    assert not [step for step in second.steps if step["kind"] == "failed"]
