"""The emergency key's FastAGI script over a real database (SQLite and PostgreSQL):
the caller's household found, an emergency order pre-created for the call and
dispatched to engineering at once, the supervisors alerted; a second run for the
same call (a retried AGI) adds nothing."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models.console import User, WorkOrder
from models.notifications import Notification, NotificationDelivery
from telephony.emergency_line import EmergencyScript
from tests.support.demo import demo_data, one_household_number

NOW = dt.datetime(2026, 12, 3, 23, 5, tzinfo=dt.timezone.utc)


class FakeAgi:
    def __init__(self, **env):
        self.env = env
        self.variables: dict[str, str] = {}

    def set_variable(self, name, value):
        self.variables[name] = value


def test_an_emergency_call_pre_creates_its_order_and_alerts_the_supervisor(session_factory,
                                                                          db_url):
    with session_factory() as session:
        demo_data(session, 5)
        supervisor = User(username="boss", password_hash="-", role="supervisor")
        session.add(supervisor)
        session.commit()
        supervisor_id = supervisor.id
    number, household_id = one_household_number(db_url)
    script = EmergencyScript(session_factory, "010", ZoneInfo("Asia/Shanghai"), clock=lambda: NOW)
    agi = FakeAgi(agi_uniqueid="1796.42", agi_callerid=number)
    order_id = script(agi)
    assert script(FakeAgi(agi_uniqueid="1796.42", agi_callerid=number)) == order_id
    assert agi.variables == {"HOTLINE_EMERGENCY_ORDER": str(order_id)}
    with session_factory() as session:
        orders = session.scalars(select(WorkOrder).where(WorkOrder.callid == "1796.42")).all()
        assert [o.id for o in orders] == [order_id]
        order = orders[0]
        assert (order.urgency, order.household_id, order.status, order.department) == (
            "emergency", household_id, "dispatched", "engineering")
        alerted = session.scalars(
            select(NotificationDelivery.user_id).join(Notification)
            .where(Notification.kind == "emergency_order")).all()
    assert supervisor_id in alerted
