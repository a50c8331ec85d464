"""Bulk synthetic data for bench/stats.py: calls, work orders, follow-ups, agent
state spans, QA scores, IVR sessions. Deterministic (seeded); PostgreSQL by COPY,
SQLite by executemany in one transaction."""
from __future__ import annotations

import datetime as dt
import json
import random
import time
from typing import Iterator

from sqlalchemy import JSON, text

import models
from models.session import make_engine

AGENTS = [f"PJSIP/8{index:03d}" for index in range(50)]
QUEUES = ("hotline", "hotline", "hotline", "fees")
START = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
KINDS = ("repair", "repair", "complaint", "enquiry", "fee", "other")


def _times(count: int, seconds: int, rng: random.Random) -> list[int]:
    """Offsets in time order: a live system appends its rows as they happen, so the
    tables are physically in time order (random order would overstate the reads)."""
    return sorted(rng.randrange(seconds) for _ in range(count))


def _calls(count: int, seconds: int, rng: random.Random) -> Iterator[tuple]:
    for index, offset in enumerate(_times(count, seconds, rng)):
        entered = START + dt.timedelta(seconds=offset)
        wait = int(rng.expovariate(1 / 15))
        roll = rng.random()
        agent = rng.choice(AGENTS)
        if roll < 0.90:
            outcome = "transferred" if roll < 0.02 else "answered"
            ring = rng.randint(1, 15)
            yield (f"b{index}", rng.choice(QUEUES), entered,
                   entered + dt.timedelta(seconds=wait), agent, ring, -(-ring // 5), wait,
                   rng.randint(30, 600), rng.choice((0, 0, 0, 30)), 30, outcome,
                   "transfer" if outcome == "transferred" else rng.choice(("caller", "agent")),
                   f"138{index % 100000000:08d}")
        else:
            outcome = "abandoned" if roll < 0.97 else "timeout"
            yield (f"b{index}", rng.choice(QUEUES), entered, None, None, None, None, wait,
                   None, None, None, outcome, None, f"138{index % 100000000:08d}")


CALL_COLUMNS = ("callid", "queue", "entered_queue_at", "answered_at", "agent_interface",
                "ring_s", "rings", "wait_s", "talk_s", "hold_s", "wrapup_s", "outcome",
                "hung_up_by", "caller_number")


def _orders(count: int, seconds: int, rng: random.Random) -> Iterator[tuple]:
    for index, offset in enumerate(_times(count, seconds, rng)):
        call_at = START + dt.timedelta(seconds=offset)
        kind = rng.choice(KINDS)
        dispatch = rng.randint(30, 400) if kind == "repair" else None
        due = call_at + dt.timedelta(days=3) if kind == "complaint" else None
        done = call_at + dt.timedelta(hours=rng.randint(1, 96))
        yield (index + 1, f"tok{index}", kind, "d", rng.randrange(20000), call_at,
               1 + index % len(AGENTS), dispatch, due, done, call_at)


ORDER_COLUMNS = ("id", "idempotency_token", "kind", "description", "household_id", "call_at",
                 "created_by_id", "call_to_dispatch_s", "resolve_due_at", "done_at",
                 "created_at")


def _follow_ups(orders: int, rng: random.Random) -> Iterator[tuple]:
    for order_id in range(1, orders + 1, 2):
        due = START + dt.timedelta(days=rng.randrange(400))
        reached = rng.random() < 0.9
        yield (order_id, due, due, "repair_2d", "reached" if reached else "pending",
               rng.randint(1, 5) if reached else None)


FOLLOW_UP_COLUMNS = ("work_order_id", "target_at", "due_at", "rule", "result", "satisfaction")


def _spans(seconds: int, rng: random.Random) -> Iterator[tuple]:
    """Per agent, alternating idle/talking/paused stretches of a few minutes (time order)."""
    return iter(sorted(_agent_spans(seconds, rng), key=lambda span: span[2]))


def _agent_spans(seconds: int, rng: random.Random) -> Iterator[tuple]:
    for agent in AGENTS[:30]:
        at = START
        end = START + dt.timedelta(seconds=seconds)
        while at < end:
            state = rng.choice(("idle", "talking", "talking", "wrapup", "paused", "unavailable"))
            length = dt.timedelta(seconds=rng.randint(60, 1800))
            yield (agent, state, at, at + length)
            at += length


SPAN_COLUMNS = ("interface", "state", "started_at", "ended_at")


def _users() -> Iterator[tuple]:
    for index, agent in enumerate(AGENTS):
        yield (index + 1, f"bench{index}", "x", "agent", agent)


USER_COLUMNS = ("id", "username", "password_hash", "role", "phone_interface")


def _small(seconds: int, rng: random.Random):
    qa = [(f"b{rng.randrange(1000)}", rng.choice(AGENTS), START + dt.timedelta(
        seconds=rng.randrange(seconds)), '{"greeting": 10}', rng.randint(60, 100))
        for _ in range(len(AGENTS) * 5 * max(1, seconds // (30 * 86400)))]
    ivr = [(f"i{index}", START + dt.timedelta(seconds=rng.randrange(seconds)),
            rng.choice(("self_served", "self_served", "to_agent", "hung_up")))
           for index in range(100_000)]
    return qa, ivr


def _with_defaults(table_name: str, columns: tuple, rows):
    """Add the model's Python-side defaults for NOT NULL columns a raw COPY would leave out."""
    table = models.Base.metadata.tables[table_name]
    extra_names, extra_values = [], []
    for column in table.columns:
        if column.name in columns or column.nullable or column.primary_key:
            continue
        default = column.default
        if default is None:
            continue
        value = default.arg(None) if default.is_callable else default.arg
        if isinstance(column.type, JSON):
            value = json.dumps(value)
        extra_names.append(column.name)
        extra_values.append(value)
    extra = tuple(extra_values)
    return columns + tuple(extra_names), (tuple(row) + extra for row in rows)


def _insert(connection, dialect: str, table: str, columns: tuple, rows) -> None:
    columns, rows = _with_defaults(table, columns, rows)
    if dialect == "postgresql":
        raw = connection.connection.driver_connection
        with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    raw = connection.connection.driver_connection
    batch = []
    for row in rows:
        batch.append(tuple(_sqlite_value(value) for value in row))
        if len(batch) >= 50_000:
            raw.executemany(sql, batch)
            batch = []
    if batch:
        raw.executemany(sql, batch)


def _sqlite_value(value):
    # The format SQLAlchemy's UTCDateTime stores on SQLite.
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def load(url: str, calls: int, orders: int, months: int) -> float:
    """Drop and refill every table; returns the seconds it took."""
    began = time.perf_counter()
    engine = make_engine(url)
    models.Base.metadata.drop_all(engine)
    models.Base.metadata.create_all(engine)
    seconds = months * 30 * 86400
    rng = random.Random(6)
    dialect = engine.dialect.name
    qa, ivr = _small(seconds, rng)
    with engine.begin() as connection:
        _insert(connection, dialect, "console_users", USER_COLUMNS, _users())
        _insert(connection, dialect, "calls", CALL_COLUMNS, _calls(calls, seconds, rng))
        _insert(connection, dialect, "work_orders", ORDER_COLUMNS,
                _orders(orders, seconds, rng))
        _insert(connection, dialect, "follow_ups", FOLLOW_UP_COLUMNS, _follow_ups(orders, rng))
        _insert(connection, dialect, "agent_state_spans", SPAN_COLUMNS, _spans(seconds, rng))
        _insert(connection, dialect, "qa_scores",
                ("callid", "agent_interface", "scored_at", "criteria", "total"), qa)
        _insert(connection, dialect, "ivr_sessions", ("callid", "started_at", "outcome"), ivr)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - began
