"""The supervisor's data-retention page through the Flask client: the purge log with
each run's counts per kind, in Chinese and in English; agents get 403."""
from __future__ import annotations

from maintenance.policy import load_policy
from maintenance.purge import purge
from tests.support.console_client import log_in
from tests.support.maintenance_data import PURGE_NOW, fill_for_purge


def test_empty_log_then_a_run_with_its_counts(supervisor_client, console_settings,
                                              console_sessions, tmp_path):
    page = supervisor_client.get("/supervisor/retention")
    assert page.status_code == 200
    assert 'id="no-runs"' in page.get_data(as_text=True)
    filled = fill_for_purge(console_settings.database_url, tmp_path / "monitor")
    with console_sessions() as session:
        purge(session, load_policy(), filled.recordings_dir, PURGE_NOW, "hotline")
    html = supervisor_client.get("/supervisor/retention").get_data(as_text=True)
    assert 'id="no-runs"' not in html
    for kind, count in (("recordings", 2), ("caller_numbers", 8), ("identity_numbers", 1),
                        ("audit_log", 1)):
        assert f'<td class="count" data-kind="{kind}">{count}' in html
    # Office time (Asia/Shanghai): the run at 02:00 UTC is 10:00 there.
    assert "2027-06-01 10:00" in html
    assert "Tenants&#39; identity numbers" in html and "Recordings 180 days" in html
    assert "Data retention" in html


def test_in_chinese(app, make_user, console_settings, console_sessions, tmp_path):
    make_user("zhou", "supervisor", "PJSIP/8098", language="zh")
    client = app.test_client()
    assert log_in(client, "zhou").status_code == 302
    filled = fill_for_purge(console_settings.database_url, tmp_path / "monitor")
    with console_sessions() as session:
        purge(session, load_policy(), filled.recordings_dir, PURGE_NOW, "hotline")
    html = client.get("/supervisor/retention").get_data(as_text=True)
    for words in ("个人信息保存期限", "清除记录", "通话录音", "来电号码", "租户身份证号", "审计日志",
                  "执行人", "通话录音 180天"):
        assert words in html
    assert "Recordings" not in html and "Purge log" not in html


def test_agents_get_403(agent_client):
    assert agent_client.get("/supervisor/retention").status_code == 403
