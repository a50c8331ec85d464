"""Fixtures on the lab's Asterisk (a pytest plugin: tests/conftest.py loads it).

Each test module gets them by name; none is imported from a test module.
"""
from __future__ import annotations

import dataclasses

import pytest

import models
from models.session import make_engine
from telephony.bridge import Bridge
from tests import labtools
from tests.support.lab_calls import Members, RecordingSink, control_connection, hang_up_calls_from


@pytest.fixture
def control(lab):
    """An AMI session of the test's own, for QueueAdd/Originate/QueueStatus."""
    connection = control_connection(lab)
    yield connection
    connection.close()


@pytest.fixture
def members(control, lab):
    """The test's queue members (Members): foreign ones paused meanwhile, all restored."""
    tracker = Members(control, lab.queue)
    tracker.pause_foreign()
    yield tracker
    tracker.restore()


@pytest.fixture
def own_calls(control):
    """Callers of the module use numbers starting 1380013; their calls end at teardown."""
    yield "1380013"
    hang_up_calls_from(control, "1380013")


@pytest.fixture
def lab_bridge(lab, tmp_path):
    """The bridge in-process on the lab, its own SQLite database and a RecordingSink
    (not the live board's: the lab's Redis is shared); (bridge, sink, engine)."""
    url = f"sqlite:///{tmp_path / 'bridge.sqlite3'}"
    engine = make_engine(url)
    models.Base.metadata.create_all(engine)
    settings = dataclasses.replace(lab.settings, database_url=url)
    sink = RecordingSink()
    bridge = Bridge(settings, engine, sinks=[sink])
    bridge.start()
    labtools.wait_until(lambda: sink.count("bridge_resynced"), 10, "the bridge's first resync")
    yield bridge, sink, engine
    bridge.stop()
