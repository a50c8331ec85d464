"""The department's steps on SQLite and PostgreSQL: each is a status event with who
and when, the sheet keeps the work, a rejection and a late department reach the
centre as notifications, and a department audience reaches its users."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from models.console import User, WorkOrder, WorkOrderEvent
from models.departments import DepartmentTask
from models.notifications import Notification, NotificationDelivery
from notifications import service as notifications
from notifications.service import Audience
from tests.support.department import SHANGHAI, add_department_user, dispatched_order, office
from workflow import department_flow as flow
from workflow import department_members, department_rules as rules
from workflow.department_rules import DepartmentStepRefused, NotTheirOrder
from workflow.department_sweep import sweep_departments


@pytest.fixture
def people(session_factory):
    with session_factory() as session:
        for name, role in (("alice", "agent"), ("sam", "supervisor"), ("bob", "agent")):
            session.add(User(username=name, role=role, display_name=name, language="en",
                             password_hash=generate_password_hash("x")))
        session.commit()
    ids = {"eng": add_department_user(session_factory, "eng01", ("engineering",), "x"),
           "both": add_department_user(session_factory, "multi", ("security", "engineering"),
                                       "x"),
           "sec": add_department_user(session_factory, "sec01", ("security",), "x")}
    department_members.install()
    yield ids
    notifications.use_department_members(None)


def user(session, name: str) -> User:
    return session.scalar(select(User).where(User.username == name))


def events(session, order_id: int) -> list[tuple]:
    return [(e.user.username, e.from_status, e.to_status, e.note, e.at) for e in session.scalars(
        select(WorkOrderEvent).where(WorkOrderEvent.work_order_id == order_id)
        .order_by(WorkOrderEvent.id))]


def notices_for(session, username: str) -> list[Notification]:
    return list(session.scalars(select(Notification).join(NotificationDelivery).where(
        NotificationDelivery.user_id == user(session, username).id).order_by(Notification.id)))


def test_accept_progress_complete_are_events_with_who_and_when(session_factory, people):
    t0 = office(3, 9, 0)
    order_id = dispatched_order(session_factory, "alice", "tok-1", t0)
    with session_factory() as session:
        order, eng = session.get(WorkOrder, order_id), user(session, "eng01")
        [item] = flow.worklist(session, eng, t0 + dt.timedelta(minutes=1))
        assert (item.order.id, item.task.state, item.overdue) == (order_id, "open", None)
        assert item.due_at == t0 + rules.ACCEPT_WITHIN["normal"]
        flow.accept(session, order, eng, office(3, 11, 0), "on my way", office(3, 9, 5))
        flow.add_progress(session, order, eng, "washer replaced, testing", office(3, 9, 40))
        done = rules.completion("repair", "1.5", "washer ×1", "free", "tap fixed")
        flow.complete(session, order, eng, done, office(3, 10, 0))
    with session_factory() as session:
        order = session.get(WorkOrder, order_id)
        assert order.status == "done" and order.done_at == office(3, 10, 0)
        assert order.follow_up is not None  # the follow-up owed, as when an agent records it
        assert events(session, order_id)[1:] == [
            ("alice", "new", "dispatched", "", t0),
            ("eng01", "dispatched", "in_progress", "on my way", office(3, 9, 5)),
            ("eng01", "in_progress", "in_progress", "washer replaced, testing", office(3, 9, 40)),
            ("eng01", "in_progress", "done", "tap fixed", office(3, 10, 0))]
        task = session.scalar(select(DepartmentTask))
        assert (task.state, task.department, task.promised_at, task.work_minutes,
                task.materials, task.paid, task.accepted_by.username,
                task.completed_by.username) == (
            "completed", "engineering", office(3, 11, 0), 90, "washer ×1", False,
            "eng01", "eng01")
        assert flow.worklist(session, user(session, "eng01"), office(3, 10, 1)) == []
        assert [t.work_order_id for t in flow.recently_completed(
            session, user(session, "eng01"), office(3, 10, 1))] == [order_id]


def test_only_their_departments_may_act(session_factory, people):
    order_id = dispatched_order(session_factory, "alice", "tok-2", office(3, 9))
    with session_factory() as session:
        order = session.get(WorkOrder, order_id)
        for name in ("sec01", "alice", "sam"):
            with pytest.raises(NotTheirOrder):
                flow.accept(session, order, user(session, name), office(3, 12), "", office(3, 9, 1))
        assert flow.worklist(session, user(session, "sec01"), office(3, 9, 1)) == []
        both = user(session, "multi")
        assert [i.order.id for i in flow.worklist(session, both, office(3, 9, 1))] == [order_id]
        flow.accept(session, order, both, office(3, 12), "", office(3, 9, 2))
        assert session.get(WorkOrder, order_id).status == "in_progress"


def test_steps_out_of_turn_are_refused(session_factory, people):
    order_id = dispatched_order(session_factory, "alice", "tok-3", office(3, 9))
    with session_factory() as session:
        order, eng = session.get(WorkOrder, order_id), user(session, "eng01")
        with pytest.raises(DepartmentStepRefused) as refused:
            flow.complete(session, order, eng, rules.completion("repair", "1", "x", "free", ""),
                          office(3, 9, 1))
        assert refused.value.code == "not_accepted"
        session.rollback()
        with pytest.raises(DepartmentStepRefused):
            flow.add_progress(session, order, eng, "note", office(3, 9, 1))
        session.rollback()
        flow.accept(session, order, eng, office(3, 12), "", office(3, 9, 2))
        with pytest.raises(DepartmentStepRefused) as refused:
            flow.accept(session, order, eng, office(3, 12), "", office(3, 9, 3))
        assert refused.value.code == "already_accepted"


def test_reject_sends_the_order_back_and_tells_the_centre(session_factory, people):
    order_id = dispatched_order(session_factory, "alice", "tok-4", office(3, 9))
    with session_factory() as session:
        order, eng = session.get(WorkOrder, order_id), user(session, "eng01")
        with pytest.raises(rules.BadDepartmentInput):
            flow.reject(session, order, eng, "   ", office(3, 9, 5))
        session.rollback()
        flow.reject(session, order, eng, "not ours: the pipe is the city's", office(3, 9, 5))
    with session_factory() as session:
        order = session.get(WorkOrder, order_id)
        assert order.status == "new"
        assert events(session, order_id)[-1][:4] == (
            "eng01", "dispatched", "new", "not ours: the pipe is the city's")
        for name in ("alice", "sam"):  # the order's agent and the supervisor
            [notice] = notices_for(session, name)
            assert notice.kind == "department_rejected" and notice.link == f"/work-orders/{order_id}"
            assert "the pipe is the city's" in notice.params
        assert notices_for(session, "bob") == [] and notices_for(session, "eng01") == []
        # The centre dispatches again: a new sheet, the old one keeps the reason.
        from workflow import orders as service
        service.change_status(session, order, "dispatched", user(session, "alice"),
                              office(3, 9, 20), department="security")
        [item] = flow.worklist(session, user(session, "sec01"), office(3, 9, 21))
        assert item.task.state == "open" and item.order.id == order_id
        sheets = session.scalars(select(DepartmentTask).order_by(DepartmentTask.id)).all()
        assert [(s.department, s.state) for s in sheets] == [
            ("engineering", "rejected"), ("security", "open")]


def test_a_late_department_is_told_to_the_centre_once_per_deadline(session_factory, people):
    t0 = office(3, 9)
    order_id = dispatched_order(session_factory, "alice", "tok-5", t0, urgency="urgent")
    with session_factory() as session:
        assert sweep_departments(session, t0 + dt.timedelta(minutes=29),
                                 office_zone=SHANGHAI) == []
        [late] = sweep_departments(session, t0 + dt.timedelta(minutes=31), office_zone=SHANGHAI)
        assert (late.work_order_id, late.deadline, late.due_at) == (
            order_id, "accept", t0 + dt.timedelta(minutes=30))
        assert sweep_departments(session, t0 + dt.timedelta(minutes=40),
                                 office_zone=SHANGHAI) == []
        order, eng = session.get(WorkOrder, order_id), user(session, "eng01")
        flow.accept(session, order, eng, office(3, 11), "", office(3, 9, 45))
        assert sweep_departments(session, office(3, 11), office_zone=SHANGHAI) == []
        [late] = sweep_departments(session, office(3, 11, 1), office_zone=SHANGHAI)
        assert late.deadline == "promise"
        kinds = [(n.kind, n.params) for n in notices_for(session, "alice")]
        assert kinds == [
            ("department_late_accept",
             '{"address": "3-1-502", "due": "2026-12-03 09:30", "order": "#%d"}' % order_id),
            ("department_late_promise",
             '{"address": "3-1-502", "due": "2026-12-03 11:00", "order": "#%d"}' % order_id)]
        assert [n.kind for n in notices_for(session, "sam")] == [k for k, _ in kinds]
        flow.complete(session, order, eng, rules.completion("repair", "2", "x", "paid", ""),
                      office(3, 11, 30))
        assert sweep_departments(session, office(3, 20), office_zone=SHANGHAI) == []


def test_a_department_audience_reaches_its_users(session_factory, people):
    with session_factory() as session:
        notifications.notify(session, kind="emergency_order",
                             audience=Audience(roles=("supervisor",), departments=("security",)),
                             params={"order": "#1", "address": "1-1-101"}, link="/work-orders/1",
                             now=office(3, 9))
        session.commit()
        for name, count in (("sec01", 1), ("multi", 1), ("eng01", 0), ("sam", 1), ("alice", 0)):
            assert len(notices_for(session, name)) == count, name


def test_departments_bind_by_role(session_factory, people):
    with session_factory() as session:
        eng = user(session, "eng01")
        assert department_members.departments_of(session, eng) == ("engineering",)
        assert department_members.bind(session, eng, ["security", "engineering", "security"]) \
            == ("security", "engineering")
        session.commit()
        assert department_members.departments_of(session, eng) == ("engineering", "security")
        for role, departments in (("department", []), ("agent", ["security"]),
                                  ("department", ["kitchen"])):
            with pytest.raises(department_members.BadDepartments):
                department_members.check_binding(role, departments)


def test_an_order_the_agent_moved_on_is_not_chased(session_factory, people):
    t0 = office(3, 9)
    order_id = dispatched_order(session_factory, "alice", "tok-legacy", t0)
    from workflow import orders as service
    with session_factory() as session:
        service.change_status(session, session.get(WorkOrder, order_id), "in_progress",
                              user(session, "alice"), office(3, 9, 10))
        assert sweep_departments(session, office(3, 12), office_zone=SHANGHAI) == []
        [item] = flow.worklist(session, user(session, "eng01"), office(3, 12))
        assert item.overdue is None
        # The department may still finish it and say what it did.
        flow.complete(session, item.order, user(session, "eng01"),
                      rules.completion("repair", "1", "none", "free", ""), office(3, 12, 5))
        assert session.get(WorkOrder, order_id).status == "done"


def test_install_survives_an_unreachable_database(tmp_path):
    from models.session import session_factory as make_factory

    try:
        department_members.install(make_factory(f"sqlite:///{tmp_path}/missing/dir/x.sqlite3"))
    finally:
        notifications.use_department_members(None)


def test_the_sweep_command_tells_the_centre_of_a_late_department(
        session_factory, people, db_url, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from hotline.cli import main
    from hotline.settings import get_settings

    order_id = dispatched_order(session_factory, "alice", "tok-cli", office(3, 9))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", db_url)
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        runs = [CliRunner().invoke(main, ["workflow", "sweep", "--now", when])
                for when in ("2026-12-03T11:01+08:00", "2026-12-03T11:30+08:00")]
    finally:
        get_settings.cache_clear()
    assert runs[0].exit_code == 0, runs[0].output
    assert f"#{order_id} engineering late: accept (due 2026-12-03 11:00)" in runs[0].output
    assert "late:" not in runs[1].output
    with session_factory() as session:
        assert [n.kind for n in notices_for(session, "alice")].count(
            "department_late_accept") == 1
