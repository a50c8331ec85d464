"""The cashier's desk through the Flask client: only cashiers reach it and they reach
nothing of the centre's but the household search; IVR call-back requests called back
through the cashier's phone (a real CommandExecutor on the test Redis, its AMI a
recorder) and done with a note; a payment refused by its field with what was typed
kept, then saved, after which the pop, the card's fee tab and the IVR say the new
balance; the collection rate page."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from households.screen_pop import build_screen_pop
from models.cashier import IvrCallbackCall
from models.fees import Payment
from models.ivr import IvrCallbackRequest
from telephony.commands import CommandExecutor
from telephony.ivr.data import DatabaseIvrBackend
from tests.support.cashier import UTC, callback_request, cashier_ledger
from tests.support.console_client import csrf_token_from, log_in
from tests.support.demo import household_terms
from tests.support.recording_ami import RecordingAmi


@pytest.fixture
def ledger(console_sessions):
    with console_sessions() as session:
        rows = cashier_ledger(session)
        now = dt.datetime.now(UTC)
        callback_request(session, rows.a, "13800138001", 5, now, 45000)
        callback_request(session, rows.c, "13800138003", 50, now)
        callback_request(session, None, "", 20, now)
        session.commit()
    return rows


@pytest.fixture
def cashier_client(app, make_user):
    make_user("cash01", "cashier", "PJSIP/8060")
    client = app.test_client()
    assert log_in(client, "cash01").status_code == 302
    return client


@pytest.fixture
def ami(console_settings):
    recorder = RecordingAmi()
    executor = CommandExecutor(console_settings.redis_url, recorder, bridge="main",
                               default_queue="hotline", command_key=console_settings.command_key)
    executor.start()
    yield recorder
    executor.stop()


def _post(client, path: str, **fields):
    return client.post(path, data={"csrf_token": csrf_token_from(client, "/cashier/"), **fields})


def _requests(page: str) -> list[str]:
    return re.findall(r'data-request="(\d+)"', page)


def test_only_cashiers_reach_the_desk(app, ledger, cashier_client, agent_client,
                                      supervisor_client, make_user):
    for path in ("/cashier/", f"/cashier/households/{ledger.a}/payment", "/cashier/collection"):
        assert cashier_client.get(path).status_code == 200, path
        assert agent_client.get(path).status_code == 403, path
        assert supervisor_client.get(path).status_code == 403, path
    make_user("ada", "admin")
    admin = app.test_client()
    log_in(admin, "ada")
    assert admin.get("/cashier/").status_code == 403
    assert app.test_client().get("/cashier/").status_code in (302, 401)


def test_a_cashier_sees_only_the_desk_and_the_household_search(cashier_client, ledger):
    landing = cashier_client.get("/console")
    assert landing.status_code == 302 and landing.location.endswith("/cashier/")
    for path in ("/work-orders", "/follow-ups", "/lost-calls", "/supervisor/wallboard"):
        assert cashier_client.get(path).status_code in (403, 404), path
    assert cashier_client.get("/households/find?q=1-1-101").status_code == 200
    assert cashier_client.get(f"/households/{ledger.a}/card").status_code == 200
    page = cashier_client.get("/cashier/").get_data(as_text=True)
    assert "Cashier's desk" in page and "Collection rate" in page and "Work orders" not in page


def test_the_worklist_is_oldest_first_with_household_number_and_when(cashier_client, ledger):
    page = cashier_client.get("/cashier/").get_data(as_text=True)
    rows = _requests(page)
    assert len(rows) == 3
    assert page.index("10-1-101") < page.index("1-1-101")  # 50 min ago before 5 min ago
    assert "13800138003" in page and "¥450.00" in page and "Withheld" in page
    assert 'id="requests-waiting">(3)' in page


def test_call_back_rings_the_cashiers_phone_then_the_resident(cashier_client, ledger, ami,
                                                              console_sessions):
    first = _requests(cashier_client.get("/cashier/").get_data(as_text=True))[0]
    response = _post(cashier_client, f"/cashier/requests/{first}/call")
    assert response.status_code == 303
    originate = [fields for fields in ami.sent if fields.get("Action") == "Originate"]
    assert len(originate) == 1 and originate[0]["Channel"] == "PJSIP/8060"
    assert "13800138003" in originate[0]["Exten"]
    page = cashier_client.get("/cashier/").get_data(as_text=True)
    assert "Your phone rings first" in page and "1 call(s)" in page
    _post(cashier_client, f"/cashier/requests/{first}/done", note="  ")
    assert "Say what was done for the resident." in cashier_client.get("/cashier/").get_data(as_text=True)
    _post(cashier_client, f"/cashier/requests/{first}/done", note="已告知欠费 ¥100，明日来缴")
    page = cashier_client.get("/cashier/").get_data(as_text=True)
    assert first not in _requests(page) and "Call-back request done." in page
    with console_sessions() as session:
        request = session.get(IvrCallbackRequest, int(first))
        assert (request.status, request.done_by, request.note) == ("done", "cash01",
                                                                   "已告知欠费 ¥100，明日来缴")
    _post(cashier_client, f"/cashier/requests/{first}/call")
    assert "already done" in cashier_client.get("/cashier/").get_data(as_text=True)
    assert len([f for f in ami.sent if f.get("Action") == "Originate"]) == 1


def test_a_refused_originate_is_kept_as_not_placed(cashier_client, ledger, console_settings,
                                                   console_sessions):
    recorder = RecordingAmi("Extension does not exist.")
    executor = CommandExecutor(console_settings.redis_url, recorder, bridge="main",
                               default_queue="hotline", command_key=console_settings.command_key)
    executor.start()
    try:
        first = _requests(cashier_client.get("/cashier/").get_data(as_text=True))[0]
        _post(cashier_client, f"/cashier/requests/{first}/call")
    finally:
        executor.stop()
    page = cashier_client.get("/cashier/").get_data(as_text=True)
    assert "The call could not be placed" in page and "not placed" in page
    with console_sessions() as session:
        assert session.scalar(select(IvrCallbackCall.placed)) is False


def test_a_forged_post_is_refused(cashier_client, ledger, ami):
    first = _requests(cashier_client.get("/cashier/").get_data(as_text=True))[0]
    assert cashier_client.post(f"/cashier/requests/{first}/call").status_code == 400
    assert cashier_client.post(f"/cashier/households/{ledger.a}/payment",
                               data={"amount": "1", "receipt_number": "X"}).status_code == 400
    assert not ami.sent


def _pay(client, household_id: int, **fields):
    token = csrf_token_from(client, f"/cashier/households/{household_id}/payment")
    return client.post(f"/cashier/households/{household_id}/payment",
                       data={"csrf_token": token, **fields})


def test_a_payment_refused_by_its_field_then_saved_and_heard_everywhere(
        app, cashier_client, agent_client, ledger, console_sessions):
    terms = household_terms()
    ivr = DatabaseIvrBackend(console_sessions, 5, terms)
    try:
        before = ivr.balance(ledger.a)
        refused = _pay(cashier_client, ledger.a, amount="12.345", charge="management:2026-10-01",
                       method="wechat", receipt_number="SUN-R0001")
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422
        assert 'id="pay-amount-error"' in page and "At most two decimals" in page
        # Every field is told at once; the receipt clash is found once the rest is right.
        assert 'value="12.345"' in page and 'value="SUN-R0001"' in page
        assert 'value="wechat" selected' in page and 'value="management:2026-10-01" selected' in page
        duplicate = _pay(cashier_client, ledger.a, amount="150", charge="management:2026-10-01",
                         method="wechat", receipt_number="sun-r0001")
        page = duplicate.get_data(as_text=True)
        assert duplicate.status_code == 422
        assert re.search(r'id="pay-receipt-error"[^>]*>This receipt number is in the ledger', page)
        assert 'value="150"' in page and 'value="sun-r0001"' in page
        assert ivr.balance(ledger.a) == before
        saved = _pay(cashier_client, ledger.a, amount="150.00", charge="management:2026-10-01",
                     method="wechat", receipt_number="SUN-R0100")
        assert saved.status_code == 303
        after = ivr.balance(ledger.a)
    finally:
        ivr.shutdown()
    page = cashier_client.get(f"/cashier/households/{ledger.a}/payment").get_data(as_text=True)
    due = f"¥{after.total_due_fen / 100:,.2f}"
    assert "Payment of ¥150.00 saved, receipt SUN-R0100" in page and due in page
    assert before.total_due_fen - after.total_due_fen >= 15000
    # The agent's screen-pop (what the pop route builds) and the card's fee tab read it too.
    with console_sessions() as session:
        pop = build_screen_pop(session, ledger.a, None, terms=terms)
    assert pop["balance"]["total_due"] == f"{after.total_due_fen / 100:.2f}"
    card = agent_client.get(f"/households/{ledger.a}/card").get_data(as_text=True)
    assert due in card and "SUN-R0100" in card
    detail = agent_client.get(f"/api/households/{ledger.a}/detail").get_json()
    assert detail["fees"]["balance"]["total_due"] == f"{after.total_due_fen / 100:.2f}"
    assert detail["fees"]["payments"][0]["receipt_number"] == "SUN-R0100"
    with console_sessions() as session:
        assert session.scalar(select(Payment.amount).where(
            Payment.receipt_number == "SUN-R0100")) == 150


def test_the_payment_page_and_desk_in_chinese(app, make_user, ledger):
    make_user("sun", "cashier", "PJSIP/8061", language="zh")
    client = app.test_client()
    log_in(client, "sun")
    page = client.get(f"/cashier/households/{ledger.a}/payment").get_data(as_text=True)
    for chinese in ("登记缴款", "收据编号", "微信支付", "物业管理费", "停车费", "尚欠", "收费员"):
        assert chinese in page, chinese
    refused = _pay(client, ledger.a, amount="0", charge="", method="", receipt_number="")
    page = refused.get_data(as_text=True)
    assert "金额必须大于零" in page and page.count("必填") >= 3
    desk = client.get("/cashier/").get_data(as_text=True)
    assert "缴费查询热线的回拨请求" in desk and "号码隐藏" in desk
    # The same app, next an English cashier: no label stays in the first request's language.
    make_user("sue", "cashier", "PJSIP/8062", language="en")
    english = app.test_client()
    log_in(english, "sue")
    page = english.get(f"/cashier/households/{ledger.a}/payment").get_data(as_text=True)
    for text in ("Months in arrears", "Dunning stage", "Last payment", "WeChat Pay"):
        assert text in page, text
    main = page.split("<main")[1].split("</main>")[0].replace("王伟", "")  # the owner's name
    assert not re.search(r"[\u4e00-\u9fff]", main), re.findall(r"[\u4e00-\u9fff]+", main)


def test_the_collection_rate_page(cashier_client, ledger):
    page = cashier_client.get("/cashier/collection?quarter=2026Q4").get_data(as_text=True)
    assert "26.7%" in page and "¥750.00" in page and "Below target" in page
    assert "Parking fee" in page and "100%" in page and "MOON" in page
    bad = cashier_client.get("/cashier/collection?quarter=last%20year")
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert 'id="collection-quarter-error"' in page and 'value="last year"' in page


def test_users_cli_adds_a_cashier_who_lands_on_the_desk(app, console_settings, console_sessions,
                                                        monkeypatch):
    from click.testing import CliRunner

    from agent_console import cli
    from models.console import User

    monkeypatch.setattr(cli, "get_settings", lambda: console_settings)
    result = CliRunner().invoke(cli.users_group, ["add", "cash02", "--role", "cashier",
                                                  "--phone", "PJSIP/8041", "--password-stdin"],
                                input="long enough pw\n")
    assert result.exit_code == 0, result.output
    assert "cash02 (cashier, PJSIP/8041) added" in result.output
    result = CliRunner().invoke(cli.users_group, ["add", "cash03", "--role", "cashier",
                                                  "--department", "finance", "--password-stdin"],
                                input="long enough pw\n")
    assert result.exit_code != 0 and "only a department user" in str(result.exception)
    with console_sessions() as session:
        assert session.scalar(select(User.role).where(User.username == "cash02")) == "cashier"
    client = app.test_client()
    response = client.post("/login", data={"username": "cash02", "password": "long enough pw",
                                           "csrf_token": csrf_token_from(client, "/login")},
                           follow_redirects=True)
    assert response.request.path == "/cashier/"


def test_a_double_click_saves_one_payment(cashier_client, ledger, console_sessions):
    fields = dict(amount="100", charge="management:2026-10-01", method="cash",
                  receipt_number="DBL-1")
    assert _pay(cashier_client, ledger.c, **fields).status_code == 303
    assert _pay(cashier_client, ledger.c, **fields).status_code == 303  # the same payment
    other = _pay(cashier_client, ledger.c, **dict(fields, amount="99"))  # not the same: refused
    assert other.status_code == 422 and "in the ledger already" in other.get_data(as_text=True)
    with console_sessions() as session:
        assert session.scalars(select(Payment.amount).where(
            Payment.receipt_number == "DBL-1")).all() == [100]


def test_supervisors_read_the_collection_rate_among_the_statistics(supervisor_client,
                                                                   agent_client,
                                                                   cashier_client, ledger):
    response = supervisor_client.get("/supervisor/collection-rate?quarter=2026Q4")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "26.7%" in page and 'action="/supervisor/collection-rate"' in page
    assert "/cashier/" not in page.split("<main")[1]  # no links into the cashier's desk
    assert 'href="/supervisor/collection-rate"' in supervisor_client.get(
        "/supervisor/stats").get_data(as_text=True)
    assert agent_client.get("/supervisor/collection-rate").status_code == 403
    assert cashier_client.get("/supervisor/collection-rate").status_code == 403
