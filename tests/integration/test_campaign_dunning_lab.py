"""Dunning reminders with the real Asterisk and SIPp residents (issue 18.3): the real
bridge calls the households at the busiest dunning stage of a demo community; half
the owners press 1 (RFC 2833) after hearing the amount and the oldest period, and
reach the hotline queue with their household identified (queue_log ENTERQUEUE with
the campaign call's id, HOTLINE_HOUSEHOLD_ID on the channel); the others press 2
and hear the breakdown. Each contact is recorded against the household's stage."""
from __future__ import annotations

import collections
import os
import time

import pytest
from sqlalchemy import select

import models
from campaigns import store
from campaigns.dunning import STAGES, DunningKind
from campaigns.prompts import CAMPAIGN_TEXTS
from models.base import utcnow
from models.campaigns import Campaign, CampaignAttempt, CampaignTarget
from models.households import Household, Person, PersonRole, Phone
from models.session import make_engine, session_factory
from telephony.ivr.prompts import build_prompts
from tests import labtools
from tests.support.campaigns import (
    RESIDENT_ADDRESS, CampaignBridge, free_udp_port, resident_scenario,
)
from tests.support.demo import demo_data, household_terms
from tests.support.ivr_lab_calls import getvar, lab_runs_this_ivr

pytestmark = pytest.mark.lab

PRESSES = {"13900006": "1", "13900007": "2"}


@pytest.fixture
def dunning_residents(lab, tmp_path):
    processes = []
    with labtools.pyst2_manager(lab) as (manager, _):
        for prefix, key in PRESSES.items():
            scenario = resident_scenario(tmp_path, f"owner-{prefix}", ((25000, int(key)),))
            port = free_udp_port()
            processes.append(labtools.Sipp(str(scenario), [
                "-i", RESIDENT_ADDRESS, "-p", str(port), "-mi", RESIDENT_ADDRESS,
                "-mp", str(free_udp_port()), "-m", "1000"], tmp_path / "sipp"))
            labtools.action(manager, {"Action": "DBPut", "Family": "campaignlab",
                                      "Key": prefix, "Val": str(port)})
    time.sleep(0.5)
    assert all(p.process.poll() is None for p in processes)
    yield
    for process in processes:
        process.stop()


def owners_on_the_lab_line(factory) -> dict[int, str]:
    """Every owner's phone routed to a SIPp resident; household -> the key it presses."""
    pressed = {}
    with factory() as session:
        owners = session.execute(select(Person.household_id, Phone).join(
            Phone, Phone.person_id == Person.id).where(Person.role == PersonRole.OWNER)
            .order_by(Phone.id)).all()
        for n, (household_id, phone) in enumerate(owners):
            prefix = list(PRESSES)[household_id % 2]
            phone.normalized = f"{prefix}{n:03d}"
            pressed[household_id] = PRESSES[prefix]
        session.commit()
    return pressed


def test_dunning_reminders_reach_the_queue_or_the_breakdown(lab, redis_server,
                                                            dunning_residents, tmp_path):
    settings = lab_runs_this_ivr(lab)
    build_prompts(settings.sounds_dir, texts=CAMPAIGN_TEXTS)
    url = f"sqlite:///{tmp_path / 'dunning.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    factory = session_factory(url)
    with factory() as session:
        demo_data(session, households=16, seed=4)
        session.commit()
    pressed = owners_on_the_lab_line(factory)
    kind = DunningKind(household_terms())
    with factory() as session:
        stages = collections.Counter(kind.balance(session, h).dunning_stage
                                     for h in session.scalars(select(Household.id)))
        stage = max((n for n in STAGES if stages[STAGES[n]]), key=lambda n: stages[STAGES[n]])
        campaign = store.create_campaign(session, store.CampaignSpec(
            kind="dunning", name="催缴提醒", hours="00:00-24:00", concurrency_cap=3,
            max_attempts=1, ring_timeout_s=6, dunning_stage=stage), utcnow())
        session.commit()
        campaign_id = campaign.id
    env = dict(os.environ, HOTLINE_DATABASE_URL=url, HOTLINE_REDIS_URL=redis_server.url,
               HOTLINE_STATE_DIR=str(tmp_path), HOTLINE_IVR_MAX_SESSION_S="60",
               HOTLINE_AMI_SECRET_FILE=str(lab.settings.ami_secret_file),
               HOTLINE_FASTAGI_BIND=f"{settings.fastagi_host}:{settings.fastagi_port}")
    identified = {}
    with labtools.pyst2_manager(lab) as (manager, events):
        bridge = CampaignBridge(env, tmp_path / "bridge.log")
        try:
            labtools.wait_until(bridge.running, 30, "the bridge and its campaign engine")
            deadline = time.monotonic() + 300
            while not finished(factory, campaign_id):
                assert time.monotonic() < deadline, "the dunning campaign did not finish"
                hang_up_queued(lab, manager, events, identified)
                time.sleep(0.5)
        finally:
            bridge.stop()
    with factory() as session:
        targets = session.scalars(select(CampaignTarget)).all()
        assert len(targets) == stages[STAGES[stage]] >= 2
        for target in targets:
            attempt = session.scalars(select(CampaignAttempt).where(
                CampaignAttempt.target_id == target.id)).one()
            assert target.item_key.startswith(f"dunning:{target.household_id}:"
                                              f"{STAGES[stage].value}:")
            if pressed[target.household_id] == "1":
                assert target.outcome == "transferred", (target.phone, attempt.detail)
                assert identified[attempt.id] == str(target.household_id)
            else:
                assert target.outcome == "heard", (target.phone, attempt.detail)
                assert attempt.id not in identified


def finished(factory, campaign_id) -> bool:
    with factory() as session:
        return session.get(Campaign, campaign_id).state == "finished"


def hang_up_queued(lab, manager, events, identified) -> None:
    """A transferred owner in the queue: noted (queue_log, the household variable), hung up."""
    for event in events.matching(lambda e: e.get("Event") == "QueueCallerJoin"
                                 and e.get("Uniqueid", "").startswith("campaign-")):
        attempt_id = int(event["Uniqueid"].split("-")[1])
        if attempt_id in identified:
            continue
        assert labtools.wait_queue_log(lab, event["Uniqueid"], "ENTERQUEUE")
        identified[attempt_id] = getvar(manager, event["Channel"], "HOTLINE_HOUSEHOLD_ID")
        labtools.action(manager, {"Action": "Hangup", "Channel": event["Channel"]})
