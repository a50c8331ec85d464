"""The demo's users: department users are added next to the agents and the supervisor,
also to a demo whose credentials file was written before they existed (the old
logins keep their passwords), and nobody is made twice."""
from __future__ import annotations

from hotline import demo


def test_department_users_join_an_existing_demo(make_settings, tmp_path, monkeypatch):
    settings = make_settings(state_dir=tmp_path)
    made = []
    monkeypatch.setattr(demo, "_run_hotline", lambda *args, stdin=None: made.append(args) or "")
    old = {login: f"pw-{login}" for login, _e, _n in demo.DEMO_AGENTS}
    old[demo.DEMO_SUPERVISOR[0]] = "pw-supervisor"
    (tmp_path / "demo-credentials.txt").write_text(
        "".join(f"{k} {v}\n" for k, v in old.items()))
    credentials = demo.ensure_demo_users(settings)
    assert [args[2] for args in made] == ["eng01", "sec01", "cash01"]
    assert made[0] == ("users", "add", "eng01", "--role", "department", "--name", "赵师傅",
                       "--department", "engineering", "--password-stdin")
    assert {k: credentials[k] for k in old} == old
    assert set(credentials) == set(old) | {"eng01", "sec01", "cash01"}
    assert (tmp_path / "demo-credentials.txt").stat().st_mode & 0o777 == 0o600
    made.clear()
    assert demo.ensure_demo_users(settings) == credentials and made == []


def test_a_fresh_demo_makes_everyone_once(make_settings, tmp_path, monkeypatch):
    made = []
    monkeypatch.setattr(demo, "_run_hotline", lambda *args, stdin=None: made.append(args) or "")
    credentials = demo.ensure_demo_users(make_settings(state_dir=tmp_path))
    assert [args[2] for args in made] == ["agent01", "agent02", "agent03", "agent04",
                                          "supervisor", "eng01", "sec01", "cash01"]
    assert made[4][3:7] == ("--role", "supervisor", "--phone", "PJSIP/8050")
    assert made[7][3:7] == ("--role", "cashier", "--phone", "PJSIP/8040")
    assert len(set(credentials.values())) == 8
