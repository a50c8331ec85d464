"""Notifications: audience resolved to users when raised, read and acknowledged by
the recipient only, announced on the Redis queue after the commit (real Redis),
on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from werkzeug.security import generate_password_hash

from call_queue.live_schema import MESSAGE_QUEUE_CHANNEL
from models.console import User
from models.notifications import Notification
from notifications import push, service
from notifications.errors import BadParams, NotificationError, NotYours, UnknownKind
from notifications.kinds import KINDS, placeholders
from notifications.service import Audience
from tests.support.console_pages import po_catalogue

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
PARAMS = {"period": "2026-11"}


@pytest.fixture
def people(session_factory):
    with session_factory() as session:
        users = {name: User(username=name, role=role, password_hash=generate_password_hash("x"),
                            active=active)
                 for name, role, active in [("alice", "agent", True), ("sam", "supervisor", True),
                                            ("sue", "supervisor", True),
                                            ("old", "supervisor", False), ("ada", "admin", True)]}
        session.add_all(users.values())
        session.commit()
        return {name: user.id for name, user in users.items()}


def _user(session, user_id):
    return session.get(User, user_id)


def test_roles_and_users_resolve_at_notify_time_and_only_the_recipient_acks(session_factory, people):
    with session_factory() as session:
        made = service.notify(session, kind="monthly_report_ready",
                              audience=Audience(roles=("supervisor",), user_ids=(people["ada"],)),
                              params=PARAMS, link="/supervisor/reports", now=NOW)
        session.commit()
        notification_id = made.id
    with session_factory() as session:
        stored = session.get(Notification, notification_id)
        # the inactive supervisor gets nothing; each active one exactly one row
        assert sorted(d.user_id for d in stored.deliveries) == sorted(
            [people["sam"], people["sue"], people["ada"]])
        sam, alice = _user(session, people["sam"]), _user(session, people["alice"])
        [unread] = service.unread_for(session, sam)
        assert (unread.kind, unread.params, unread.link) == ("monthly_report_ready", PARAMS,
                                                             "/supervisor/reports")
        assert unread.created_at == NOW
        assert service.unread_for(session, alice) == []
        with pytest.raises(NotYours):
            service.acknowledge(session, alice, notification_id, now=NOW)
        assert service.acknowledge(session, sam, notification_id, now=NOW) is True
        assert service.acknowledge(session, sam, notification_id, now=NOW) is False
        session.commit()
        assert service.unread_count(session, sam) == 0
        assert service.unread_count(session, _user(session, people["sue"])) == 1


def test_a_user_created_later_is_not_added_but_one_logged_out_keeps_it(session_factory, people):
    with session_factory() as session:
        service.notify(session, kind="weekly_report_ready", audience=Audience(roles=("supervisor",)),
                       params={"period": "W48"}, link=None, now=NOW)
        session.commit()
        late = User(username="late", role="supervisor", password_hash="x")
        session.add(late)
        session.commit()
        assert service.unread_for(session, late) == []
        assert len(service.unread_for(session, _user(session, people["sam"]))) == 1


@pytest.mark.parametrize("kind, params, link, error", [
    ("no_such_kind", PARAMS, None, UnknownKind),
    ("monthly_report_ready", {}, None, BadParams),
    ("monthly_report_ready", {"period": object()}, None, BadParams),
    ("monthly_report_ready", {"period": "x" * 5000}, None, BadParams),
    ("monthly_report_ready", PARAMS, "http://elsewhere.example/", BadParams),
])
def test_bad_input_is_refused_and_stores_nothing(session_factory, people, kind, params, link, error):
    with session_factory() as session:
        with pytest.raises(error):
            service.notify(session, kind=kind, audience=Audience(roles=("supervisor",)),
                           params=params, link=link, now=NOW)
        session.rollback()
        assert session.query(Notification).count() == 0


def test_an_unknown_user_id_is_an_error(session_factory, people):
    with session_factory() as session:
        with pytest.raises(NotificationError, match="no console user with id 999"):
            service.notify(session, kind="monthly_report_ready", audience=Audience(user_ids=(999,)),
                           params=PARAMS, link=None, now=NOW)


def test_departments_wait_for_a_resolver_then_are_delivered(session_factory, people):
    service.use_department_members(None)
    try:
        with session_factory() as session:
            service.notify(session, kind="monthly_report_ready",
                           audience=Audience(departments=("engineering",)),
                           params=PARAMS, link=None, now=NOW)
            session.commit()
            assert service.deliver_pending_departments(session) == 0
            service.use_department_members(
                lambda _s, departments: [people["alice"]] if "engineering" in departments else [])
            assert service.deliver_pending_departments(session) == 1
            session.commit()
            assert len(service.unread_for(session, _user(session, people["alice"]))) == 1
            assert service.deliver_pending_departments(session) == 0
    finally:
        service.use_department_members(None)


def _messages(pubsub, wait_s: float = 1.0) -> list[dict]:
    found, deadline = [], time.monotonic() + wait_s
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
        if message and message["type"] == "message":
            found.append(json.loads(message["data"]))
    return found


def test_recipients_are_signalled_on_the_redis_queue_after_commit_only(
        session_factory, people, redis_server):
    client = redis_server.client()
    pubsub = client.pubsub()
    pubsub.subscribe(MESSAGE_QUEUE_CHANNEL)
    _messages(pubsub, 0.2)  # the subscribe confirmation
    push.install(session_factory, push.redis_emitter(redis_server.url))
    with session_factory() as session:
        service.notify(session, kind="monthly_report_ready", audience=Audience(roles=("supervisor",)),
                       params=PARAMS, link=None, now=NOW)
        session.flush()
        assert _messages(pubsub, 0.3) == []  # not before the commit
        session.rollback()
        assert _messages(pubsub, 0.3) == []  # nor for a rolled-back one
        service.notify(session, kind="monthly_report_ready", audience=Audience(roles=("supervisor",)),
                       params=PARAMS, link=None, now=NOW)
        session.commit()
    rooms = sorted(m["room"] for m in _messages(pubsub))
    assert rooms == sorted(push.room_for_user(people[n]) for n in ("sam", "sue"))
    pubsub.close()
    client.close()


def test_every_kind_is_a_catalogue_message_in_zh_and_en():
    zh, en = po_catalogue("zh"), po_catalogue("en")
    for kind, message_id in KINDS.items():
        assert zh.get(message_id) is not None and zh.get(message_id).string, kind
        assert en.get(message_id) is not None, kind
        translated = zh.get(message_id).string
        assert {f for f in placeholders(kind)} <= set(
            part.split("}")[0] for part in translated.split("{")[1:]), kind
