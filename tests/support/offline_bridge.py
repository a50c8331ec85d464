"""A bridge with no AMI connection over a private SQLite file and queue_log,
for tests that drive its resync and finishing passes by hand."""
from __future__ import annotations

import dataclasses
import time

from sqlalchemy import select

import models
from hotline.settings import get_settings
from models.calls import Call
from models.session import make_engine
from telephony.bridge import Bridge


def offline_bridge(tmp_path, queue_log: str, clock=time.time):
    """(bridge, engine): the queue_log text is the file the bridge reads."""
    url = f"sqlite:///{tmp_path / 'bridge.sqlite3'}"
    engine = make_engine(url)
    models.Base.metadata.create_all(engine)
    (tmp_path / "queue_log").write_text(queue_log)
    settings = dataclasses.replace(get_settings(), database_url=url, state_dir=tmp_path,
                                   queue_log_path=tmp_path / "queue_log",
                                   recordings_dir=tmp_path / "recordings")
    bridge = Bridge(settings, engine, sinks=[], connection_factory=lambda *args: None,
                    clock=clock)
    return bridge, engine


def stored_calls(engine) -> dict[str, dict]:
    """Every stored call row, by callid."""
    with engine.connect() as connection:
        return {row["callid"]: dict(row)
                for row in connection.execute(select(Call.__table__)).mappings()}
