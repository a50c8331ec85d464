"""Campaign bench: `python -m bench.campaign [--orders 200] [--cap 10] [--ring 6] [--offline]`.

Lab mode (default; run it under `flock /tmp/hotline/lab.lock`): a satisfaction
campaign over N done orders with the real bridge (`hotline bridge`, its engine,
command executor and FastAGI) and SIPp residents on 127.0.0.6, as the lab test
has them (a fifth each: satisfied, low score, not solved, never answering,
busy; 2 attempts). Printed: calls placed per minute against the concurrency
cap, the most calls seen up at once, the bridge's CPU (user+system seconds, and
per call), and the outcome counts.

--offline: the engine alone on SQLite with a dialler that ends every call at
once, to show the engine's own CPU per placed call with no telephone in the way.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

import models
from campaigns import store
from campaigns.engine import CampaignEngine
from campaigns.prompts import CAMPAIGN_TEXTS
from campaigns.satisfaction import SatisfactionKind
from hotline.settings import load_settings
from models.base import utcnow
from models.campaigns import Campaign, CampaignAttempt, CampaignTarget
from models.session import make_engine, session_factory

PREFIXES = {"13900001": ((13000, 5), (4000, 1)), "13900002": ((13000, 2), (4000, 1)),
            "13900003": ((13000, 4), (4000, 2)), "13900004": None, "13900005": "busy"}


def _database(folder: Path, orders: int):
    from tests.support.campaigns import agent, done_orders

    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    models.Base.metadata.create_all(make_engine(url))
    factory = session_factory(url)
    prefixes = list(PREFIXES)
    phones = [f"{prefixes[n % 5]}{n:03d}" for n in range(orders)]
    with factory() as session:
        done_orders(session, agent(session), phones, utcnow())
    return url, factory


def _campaign(factory, cap: int, ring: int) -> int:
    with factory() as session:
        campaign = store.create_campaign(session, store.CampaignSpec(
            kind="satisfaction", name="bench", hours="00:00-24:00", concurrency_cap=cap,
            hourly_cap=100000, max_attempts=2, retry_spacing_s=3, ring_timeout_s=ring), utcnow())
        session.commit()
        return campaign.id


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summary(factory, campaign_id: int, wall_s: float, cap: int, peak: int, cpu_s: float):
    with factory() as session:
        placed = session.scalars(select(CampaignAttempt.placed_at).join(CampaignTarget).where(
            CampaignTarget.campaign_id == campaign_id)).all()
        outcomes = collections.Counter(session.scalars(select(CampaignTarget.outcome).where(
            CampaignTarget.campaign_id == campaign_id)))
    span = (max(placed) - min(placed)).total_seconds() if len(placed) > 1 else wall_s
    print(f"calls placed: {len(placed)} in {span:.0f} s = {len(placed) / span * 60:.1f} per minute "
          f"(concurrency cap {cap}; most up at once {peak})")
    print(f"CPU: {cpu_s:.2f} s over {wall_s:.0f} s wall = {cpu_s / wall_s * 100:.1f} % of a core, "
          f"{cpu_s / max(len(placed), 1) * 1000:.1f} ms per call")
    print("targets:", dict(outcomes))


def lab_bench(orders: int, cap: int, ring: int) -> None:
    from telephony.ivr.prompts import build_prompts
    from tests import labtools
    from tests.conftest import Lab
    from tests.support.campaigns import CampaignBridge, free_udp_port, resident_scenario
    from tests.support.ivr_lab_calls import lab_runs_this_ivr

    settings = load_settings()
    lab = Lab(settings)
    lab_runs_this_ivr(lab)
    build_prompts(settings.sounds_dir, texts=CAMPAIGN_TEXTS)
    folder = Path(tempfile.mkdtemp(prefix="hotline-bench-campaign-"))
    url, factory = _database(folder, orders)
    residents = []
    with labtools.pyst2_manager(lab) as (manager, _):
        for prefix, keys in PREFIXES.items():
            scenario = resident_scenario(folder, f"r{prefix}", keys or (), keys == "busy",
                                         keys is not None)
            port = free_udp_port()
            residents.append(labtools.Sipp(str(scenario), [
                "-i", "127.0.0.6", "-p", str(port), "-mi", "127.0.0.6",
                "-mp", str(free_udp_port()), "-m", "100000"], folder / "sipp"))
            labtools.action(manager, {"Action": "DBPut", "Family": "campaignlab", "Key": prefix,
                                      "Val": str(port)})
    campaign_id = _campaign(factory, cap, ring)
    from tests.support.redis_server import RedisServer

    redis_server = RedisServer(folder / "redis")  # the command channel, private to the bench
    env = dict(os.environ, HOTLINE_DATABASE_URL=url, HOTLINE_STATE_DIR=str(folder),
               HOTLINE_REDIS_URL=redis_server.url, HOTLINE_IVR_MAX_SESSION_S="60",
               HOTLINE_AMI_SECRET_FILE=str(settings.ami_secret_file))
    bridge = CampaignBridge(env, folder / "bridge.log")
    started, peak = time.monotonic(), 0
    try:
        labtools.wait_until(bridge.running, 30, "the bridge")
        while True:
            with factory() as session:
                campaign = session.get(Campaign, campaign_id)
                up = store.active_count(session, campaign_id, utcnow())
                if campaign.state == "finished":
                    break
            peak = max(peak, up)
            time.sleep(0.5)
        cpu_s = _cpu_s(bridge.process.pid)
    finally:
        bridge.stop()
        for resident in residents:
            resident.stop()
        redis_server.stop()
    _summary(factory, campaign_id, time.monotonic() - started, cap, peak, cpu_s)
    print(f"(bridge CPU includes its AMI event handling and the FastAGI IVR; files in {folder})")


class _EndingDialler:
    """Ends every call at once as NOANSWER (the engine's own work only)."""

    def __init__(self, factory):
        self.factory = factory

    def place(self, claim):
        from campaigns.dialler import DialReply

        with self.factory() as session:
            store.end_attempt(session, claim.attempt_id, "NOANSWER", utcnow())
            session.commit()
        return DialReply(True, "ended")


def offline_bench(orders: int, cap: int) -> None:
    from zoneinfo import ZoneInfo

    from campaigns.hours import CallingHours

    folder = Path(tempfile.mkdtemp(prefix="hotline-bench-campaign-"))
    url, factory = _database(folder, orders)
    campaign_id = _campaign(factory, cap, 6)
    with factory() as session:
        session.get(Campaign, campaign_id).retry_spacing_s = 0
        session.commit()
    kind = SatisfactionKind(ZoneInfo("Asia/Shanghai"))
    engine = CampaignEngine(factory, _EndingDialler(factory),
                            CallingHours(ZoneInfo("Asia/Shanghai"), lambda day: False),
                            {kind.name: kind})
    started, cpu0 = time.monotonic(), time.process_time()
    while engine.tick() or _open(factory, campaign_id):
        pass
    _summary(factory, campaign_id, time.monotonic() - started, cap, cap,
             time.process_time() - cpu0)


def _open(factory, campaign_id: int) -> bool:
    with factory() as session:
        return bool(session.scalar(select(func.count()).select_from(CampaignTarget).where(
            CampaignTarget.campaign_id == campaign_id,
            CampaignTarget.state.in_(("pending", "dialling")))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--cap", type=int, default=10)
    parser.add_argument("--ring", type=int, default=6)
    parser.add_argument("--offline", action="store_true")
    args = parser.parse_args()
    if args.offline:
        offline_bench(args.orders, args.cap)
    else:
        lab_bench(args.orders, args.cap, args.ring)


if __name__ == "__main__":
    main()
