"""Every console route, per role: derived from the app's URL map, so a route added
without its guard fails here rather than going unnoticed."""
from __future__ import annotations

import re

import pytest

from tests.support.console_client import csrf_token_from, log_in

# Reachable without logging in: the log-in page itself, language choice, the health
# probe for load balancers, static files (the app's and npm's bundles), and "/",
# which only redirects to the (guarded) console.
PUBLIC = {"auth.login", "auth.set_language", "health.healthz", "static",
          "supervisor.static", "vendor.vendor_file", "agent.index"}
SUPERVISOR_ONLY = {"supervisor.qa_form", "supervisor.spy", "supervisor.stats_page",
                   "supervisor.stats_json", "supervisor.stats_excel", "supervisor.wallboard",
                   "supervisor.ivr_lockouts", "supervisor.call_list",
                   "supervisor.wallboard_intraday"}
# The seeds' periodic reports (agent_console.supervisor.reports_view): page, JSON, Excel.
SUPERVISOR_ONLY |= {f"reports.{name}{suffix}" for name in
                    ("weekly_complaints", "monthly", "repair_timeliness")
                    for suffix in ("", "_json", "_excel")}
# Importing the office's spreadsheets (agent_console.imports_view).
SUPERVISOR_ONLY |= {"imports.page", "imports.preview", "imports.run", "imports.job_status"}
# The rota and adherence (agent_console.supervisor.rota_view).
SUPERVISOR_ONLY |= {"supervisor.rota_page", "supervisor.add_shift", "supervisor.remove_shift",
                    "supervisor.rota_import_upload", "supervisor.rota_import_run"}
# The purge log (agent_console.supervisor.retention_view).
SUPERVISOR_ONLY |= {"supervisor.retention_page"}
# The collection rate among the statistics (agent_console.cashier.statistics).
SUPERVISOR_ONLY |= {"collection.page"}
# Outbound campaigns (campaigns.views).
SUPERVISOR_ONLY |= {"campaigns.page", "campaigns.create", "campaigns.control",
                    "campaigns.export_csv", "campaigns.export_excel", "campaigns.letters_excel"}
# The departments' pages (agent_console.department): department users only.
DEPARTMENT_ONLY = {"department.worklist", "department.show_order", "department.accept",
                   "department.progress", "department.complete", "department.reject"}
# The cashier's desk (agent_console.cashier): cashiers only.
CASHIER_ONLY = {"cashier.desk", "cashier.call_back", "cashier.mark_done", "cashier.payment_form",
                "cashier.enter_payment", "cashier.collection", "cashier.reverse_payment"}


def _guarded_requests(app):
    """(endpoint, method, url) for every route and method that needs a login."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        url = re.sub(r"<int:[^>]+>", "1", rule.rule)
        url = re.sub(r"<(?:[a-z]+:)?[^>]+>", "1700000000.1", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def _request(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": csrf_token_from(client)})


def test_the_map_is_what_this_test_knows(app):
    endpoints = {endpoint for endpoint, _, _ in _guarded_requests(app)}
    assert SUPERVISOR_ONLY <= endpoints
    assert len(endpoints) >= 20


def test_anonymous_is_sent_to_log_in_everywhere(app):
    client = app.test_client()
    for endpoint, method, url in _guarded_requests(app):
        response = _request(client, method, url)
        refused = (response.status_code == 302 and "/login" in response.headers["Location"]
                   or response.status_code == 401)
        assert refused, f"{method} {url} ({endpoint}) answered {response.status_code}"


def test_agents_are_refused_supervisor_routes(app, agent_client):
    for endpoint, method, url in _guarded_requests(app):
        if endpoint in SUPERVISOR_ONLY:
            response = _request(agent_client, method, url)
            assert response.status_code == 403, f"{method} {url} gave {response.status_code}"


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisors_and_admins_reach_supervisor_routes(app, make_user, role):
    make_user(f"{role}1", role, "PJSIP/8090")
    client = app.test_client()
    assert log_in(client, f"{role}1").status_code == 302
    for endpoint, method, url in _guarded_requests(app):
        if endpoint in SUPERVISOR_ONLY:
            response = _request(client, method, url)
            # 400/404 for the made-up call id or missing fields: past the guard.
            assert response.status_code not in (302, 401, 403), \
                f"{role}: {method} {url} gave {response.status_code}"


def test_agent_routes_answer_an_agent(app, agent_client):
    for endpoint, method, url in _guarded_requests(app):
        if (endpoint in SUPERVISOR_ONLY | DEPARTMENT_ONLY | CASHIER_ONLY or method != "GET"
                or "1" in url.split("/")[-1]):
            continue
        response = agent_client.get(url)
        assert response.status_code in (200, 302, 400, 404), f"GET {url} gave {response.status_code}"
        if response.status_code == 302:
            assert "/login" not in response.headers["Location"], url


def test_department_routes_are_for_department_users_only(app, agent_client, make_user,
                                                         console_sessions):
    from workflow.department_members import bind
    from models.console import User

    assert DEPARTMENT_ONLY <= {endpoint for endpoint, _, _ in _guarded_requests(app)}
    for endpoint, method, url in _guarded_requests(app):
        if endpoint in DEPARTMENT_ONLY:
            response = _request(agent_client, method, url)
            assert response.status_code == 403, f"agent: {method} {url} gave {response.status_code}"
    make_user("eng1", "department")
    with console_sessions() as session:
        bind(session, session.query(User).filter_by(username="eng1").one(), ["engineering"])
        session.commit()
    client = app.test_client()
    assert log_in(client, "eng1").status_code == 302
    # Everything of the centre is closed to them but log-in, language, notifications
    # and what their page loads; the console and an order's page lead to their own.
    open_to_them = ("auth.", "notifications.", "health.", "vendor.", "assets.", "department.")
    redirected = {"agent.console": "/department", "work_orders.show_order": "/department/orders/1"}
    for endpoint, method, url in _guarded_requests(app):
        if method != "GET" or endpoint.startswith(open_to_them):
            continue
        response = client.get(url)
        if endpoint in redirected:
            assert response.status_code == 302 and \
                response.headers["Location"].endswith(redirected[endpoint]), url
        else:
            assert response.status_code == 403, f"department: GET {url} gave {response.status_code}"


@pytest.mark.parametrize("role", ["agent", "supervisor", "admin"])
def test_cashier_routes_are_for_cashiers_only(app, make_user, role):
    assert CASHIER_ONLY <= {endpoint for endpoint, _, _ in _guarded_requests(app)}
    make_user(f"{role}9", role)
    make_user("cash9", "cashier")
    others, cashier = app.test_client(), app.test_client()
    assert log_in(others, f"{role}9").status_code == 302
    assert log_in(cashier, "cash9").status_code == 302
    # Nothing of the centre's is open to a cashier but the household search and its card.
    open_to_them = ("auth.", "notifications.", "health.", "vendor.", "assets.", "cashier.",
                    "search.")
    for endpoint, method, url in _guarded_requests(app):
        if endpoint in CASHIER_ONLY:
            response = _request(others, method, url)
            assert response.status_code == 403, f"{role}: {method} {url} gave {response.status_code}"
            response = _request(cashier, method, url)
            assert response.status_code not in (302, 401, 403), f"cashier: {method} {url}"
        elif method == "GET" and not endpoint.startswith(open_to_them):
            response = cashier.get(url)
            if endpoint == "agent.console":
                assert response.headers["Location"].endswith("/cashier/"), url
            else:
                assert response.status_code == 403, f"cashier: GET {url} gave {response.status_code}"
