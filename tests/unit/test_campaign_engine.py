"""The campaign engine's pacing and claims on SQLite and PostgreSQL (issue 18.1-2):
caps, hours and rest days, retries with spacing, the do-not-call list, stop,
attempts lost with the bridge, and satisfaction results written as FollowUps."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from campaigns import store
from campaigns.engine import CampaignEngine
from campaigns.errors import CampaignConfigError, CampaignError
from campaigns.hours import parse_windows
from campaigns.satisfaction import SatisfactionKind
from models.campaigns import Campaign, CampaignAttempt, CampaignTarget, DoNotCall
from models.console import FollowUp, WorkOrder
from tests.support.campaigns import (
    OPEN_NOW, SHANGHAI, RecordingDialler, agent, done_orders, open_hours,
)

PHONES = [f"1390000{n:04d}" for n in range(6)]


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def world(session_factory):
    with session_factory() as session:
        done_orders(session, agent(session), PHONES, OPEN_NOW)
    return session_factory


def make_engine(factory, dialler, clock, rest_days=frozenset(), stale_after_s=600):
    kind = SatisfactionKind(SHANGHAI)
    return CampaignEngine(factory, dialler, open_hours(rest_days), {kind.name: kind},
                          clock=clock, stale_after_s=stale_after_s), kind


def new_campaign(factory, **caps):
    spec = store.CampaignSpec(kind="satisfaction", name="回访", **caps)
    with factory() as session:
        campaign = store.create_campaign(session, spec, OPEN_NOW)
        session.commit()
        return campaign.id


def end(factory, claim, status, clock):
    with factory() as session:
        target = store.end_attempt(session, claim.attempt_id, status, clock())
        session.commit()
        return target


def test_the_concurrency_cap_and_one_claim_per_target(world):
    dialler, clock = RecordingDialler(), Clock(OPEN_NOW)
    engine, _ = make_engine(world, dialler, clock)
    new_campaign(world, concurrency_cap=4)
    assert engine.tick() == 4
    assert engine.tick() == 0  # four still ringing
    end(world, dialler.placed[0], "NOANSWER", clock)
    assert engine.tick() == 1
    assert len({claim.target_id for claim in dialler.placed}) == 5


def answer_and_score(factory, kind, claim, clock, score=5):
    with factory() as session:
        assert store.mark_answered(session, claim.attempt_id, clock()) is not None
        kind.record(session, claim.attempt_id, score, True, clock())


def test_a_completed_call_keeps_its_place_under_the_cap_until_it_hangs_up(world):
    # The IVR completes the attempt, then the closing words play: the line is still up.
    dialler, clock = RecordingDialler(), Clock(OPEN_NOW)
    engine, kind = make_engine(world, dialler, clock)
    new_campaign(world, concurrency_cap=2)
    assert engine.tick() == 2
    answer_and_score(world, kind, dialler.placed[0], clock)
    assert engine.tick() == 0
    end(world, dialler.placed[0], "ANSWER", clock)
    assert engine.tick() == 1
    # One whose hangup the bridge never hears (killed meanwhile) is not waited for.
    answer_and_score(world, kind, dialler.placed[2], clock)
    clock.advance(store.CLOSING_S - 1)
    assert engine.tick() == 0
    clock.advance(2)
    assert engine.tick() == 1
    with world() as session:
        assert store.active_count(session, new_campaign_id(session), clock()) == 2


def new_campaign_id(session) -> int:
    return session.scalars(select(Campaign.id)).one()


def test_the_hourly_cap(world):
    dialler, clock = RecordingDialler(), Clock(OPEN_NOW)
    engine, _ = make_engine(world, dialler, clock)
    new_campaign(world, concurrency_cap=10, hourly_cap=3)
    assert engine.tick() == 3
    for claim in dialler.placed:
        end(world, claim, "BUSY", clock)
    clock.advance(1800)
    assert engine.tick() == 0
    clock.advance(1801)
    assert engine.tick() == 3


def test_no_calls_outside_the_hours_or_on_a_rest_day(world):
    dialler = RecordingDialler()
    lunch = Clock(OPEN_NOW + dt.timedelta(hours=3))  # 13:00 office time
    engine, _ = make_engine(world, dialler, lunch)
    new_campaign(world)
    assert engine.tick() == 0
    engine, _ = make_engine(world, dialler, Clock(OPEN_NOW), rest_days={dt.date(2026, 12, 3)})
    assert engine.tick() == 0
    assert dialler.placed == []


def test_bad_hours_say_which_span():
    with pytest.raises(CampaignConfigError, match="'14:00-13:00'"):
        parse_windows("09:00-12:00,14:00-13:00")


def test_retries_are_spaced_then_the_order_goes_to_the_agents(world):
    dialler, clock = RecordingDialler(), Clock(OPEN_NOW)
    engine, _ = make_engine(world, dialler, clock)
    new_campaign(world, concurrency_cap=1, max_attempts=2, retry_spacing_s=600)
    with world() as session:  # only the first order in this campaign
        for follow_up in session.scalars(select(FollowUp)).all()[1:]:
            follow_up.result = "refused"
        session.commit()
    engine.tick()
    end(world, dialler.placed[0], "NOANSWER", clock)
    clock.advance(599)
    assert engine.tick() == 0
    clock.advance(2)
    assert engine.tick() == 1
    assert [c.number for c in dialler.placed] == [1, 2]
    exhausted = end(world, dialler.placed[1], "BUSY", clock)
    assert exhausted.state == "handed_to_agent"
    with world() as session:
        _, kind = make_engine(world, dialler, clock)
        kind.on_exhausted(session, session.get(CampaignTarget, exhausted.id), clock())
        session.commit()
        follow_up = session.get(FollowUp, exhausted.follow_up_id)
        assert follow_up.result == "pending" and "2次未接通" in follow_up.notes
    assert engine.tick() == 0


def test_do_not_call_and_stop(world):
    with world() as session:
        session.add(DoNotCall(phone=PHONES[0], reason="业主要求"))
        session.commit()
    dialler, clock = RecordingDialler(), Clock(OPEN_NOW)
    engine, _ = make_engine(world, dialler, clock)
    campaign_id = new_campaign(world, concurrency_cap=2)
    engine.tick()
    assert PHONES[0] not in [claim.phone for claim in dialler.placed]
    with world() as session:
        store.control(session, campaign_id, "pause", clock())
        with pytest.raises(CampaignError, match="paused: cannot pause"):
            store.control(session, campaign_id, "pause", clock())
    for claim in dialler.placed:
        end(world, claim, "NOANSWER", clock)
    clock.advance(4000)
    assert engine.tick() == 0
    with world() as session:
        store.control(session, campaign_id, "stop", clock())
        states = {t.phone: t.state for t in session.scalars(select(CampaignTarget))}
    assert states[PHONES[0]] == "do_not_call"
    assert set(states.values()) == {"do_not_call", "stopped"}


def test_a_lost_attempt_counts_and_is_never_placed_again(world):
    """The bridge died with calls up: a new engine counts them after stale_after_s."""
    dialler, clock = RecordingDialler(), Clock(OPEN_NOW)
    engine, _ = make_engine(world, dialler, clock, stale_after_s=300)
    new_campaign(world, concurrency_cap=2, retry_spacing_s=60)
    engine.tick()
    restarted, _ = make_engine(world, dialler, clock, stale_after_s=300)
    clock.advance(100)
    assert restarted.tick() == 0
    clock.advance(250)
    restarted.tick()  # lost; retried after 60 s
    clock.advance(61)
    restarted.tick()
    with world() as session:
        attempts = session.scalars(select(CampaignAttempt)).all()
    pairs = [(a.target_id, a.number) for a in attempts]
    assert len(pairs) == len(set(pairs)) == 4
    assert sorted(a.outcome for a in attempts) == ["lost", "lost", "placed", "placed"]


def test_a_refused_originate_is_a_failed_attempt(world):
    dialler, clock = RecordingDialler(refuse="Asterisk not reachable"), Clock(OPEN_NOW)
    engine, _ = make_engine(world, dialler, clock)
    new_campaign(world, concurrency_cap=1)
    engine.tick()
    with world() as session:
        attempt = session.scalars(select(CampaignAttempt)).one()
        assert (attempt.outcome, attempt.detail) == ("failed", "Asterisk not reachable")
        assert session.get(CampaignTarget, attempt.target_id).state == "pending"


@pytest.mark.parametrize("score, solved, reopened, status", [
    (5, True, False, "followed_up"), (2, True, True, "in_progress"),
    (4, False, True, "in_progress")])
def test_answers_are_the_follow_up_record(world, score, solved, reopened, status):
    dialler, clock = RecordingDialler(), Clock(OPEN_NOW)
    engine, kind = make_engine(world, dialler, clock)
    new_campaign(world, concurrency_cap=1)
    engine.tick()
    claim = dialler.placed[0]
    with world() as session:
        assert store.mark_answered(session, claim.attempt_id, clock()) is not None
        assert kind.record(session, claim.attempt_id, score, solved, clock()) is reopened
        assert kind.record(session, claim.attempt_id, score, solved, clock()) is None
    assert end(world, claim, "ANSWER", clock) is None
    with world() as session:
        target = session.get(CampaignTarget, claim.target_id)
        follow_up = session.get(FollowUp, target.follow_up_id)
        assert (follow_up.result, follow_up.satisfaction, follow_up.problem_solved) == \
            ("reached", score, solved)
        assert session.get(WorkOrder, target.work_order_id).status == status
        assert target.state == "completed"
        campaign = session.get(Campaign, target.campaign_id)
        assert store.progress(session, campaign).completed == 1


def test_an_item_is_enrolled_once_across_campaigns(world):
    kind = SatisfactionKind(SHANGHAI)
    first, second = new_campaign(world), new_campaign(world)
    with world() as session:
        assert kind.enrol(session, session.get(Campaign, first), OPEN_NOW) == len(PHONES)
        assert kind.enrol(session, session.get(Campaign, second), OPEN_NOW) == 0


def test_the_originate_command_is_checked_and_names_the_attempt():
    from telephony.commands import CommandExecutor, validate
    from telephony.errors import CommandError

    with pytest.raises(CommandError, match="number"):
        validate("campaign_originate", {"attempt": "7", "number": "139*1", "ring_timeout_s": 30})
    with pytest.raises(CommandError, match="ring timeout"):
        validate("campaign_originate", {"attempt": "7", "number": "139", "ring_timeout_s": 500})
    executor = CommandExecutor.__new__(CommandExecutor)
    fields = executor.ami_action("campaign_originate", validate(
        "campaign_originate", {"attempt": "7", "number": "13900000001", "ring_timeout_s": 30}))
    assert fields["Channel"] == "Local/7*13900000001*30@campaign-outbound/n"
    assert (fields["Context"], fields["Exten"], fields["ChannelId"]) == \
        ("campaign-ivr", "7", "campaign-7")
    assert fields["Timeout"] > 30000


def test_a_campaign_engine_that_cannot_be_built_stops_the_bridge_in_one_line(make_settings):
    from hotline.bridge_root import campaign_parts
    from hotline.errors import BridgeStartError

    class Calendar:
        def is_rest_day(self, day):
            return False

    with pytest.raises(BridgeStartError, match="^bridge not started: the campaign engine "
                                               "cannot be built: .*Nowhere"):
        campaign_parts(make_settings(office_timezone="Nowhere/City"), Calendar())
    parts = campaign_parts(make_settings(), Calendar())
    assert set(parts.scripts) == {"campaign_call", "campaign_dial_end"}


def test_a_command_in_doubt_stays_placed_and_the_engine_holds_off(world):
    """Redis or the bridge silent: the call may still happen, so it is never placed again
    (the stale sweep ends it) and the calls not yet sent are given back."""
    from telephony.commands import NOT_ANSWERING

    dialler, clock = RecordingDialler(refuse=NOT_ANSWERING), Clock(OPEN_NOW)
    engine, _ = make_engine(world, dialler, clock)
    new_campaign(world, concurrency_cap=3)
    engine.tick()
    assert len(dialler.placed) == 1
    with world() as session:
        attempts = session.scalars(select(CampaignAttempt)).all()
        assert [a.outcome for a in attempts] == ["placed"]
        assert sorted(t.state for t in session.scalars(select(CampaignTarget))).count(
            "dialling") == 1
    clock.advance(10)
    assert engine.tick() == 0 and len(dialler.placed) == 1
