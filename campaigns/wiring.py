"""The campaign engine's parts, built from the settings by the composition root.

`build_campaigns(settings, is_rest_day)` returns the engine (not started) and
the FastAGI scripts the bridge's server must add; hotline.bridge_root calls it
and turns any failure into one BridgeStartError line.
"""
from __future__ import annotations

import dataclasses
from typing import Callable
from zoneinfo import ZoneInfo

from campaigns.dialler import CommandDialler
from campaigns.dunning import DunningKind
from campaigns.engine import CampaignEngine
from campaigns.hours import CallingHours
from campaigns.ivr import campaign_scripts
from campaigns.push import ProgressPublisher
from campaigns.satisfaction import SatisfactionKind
from households.terms import HouseholdTerms
from models.session import session_factory
from telephony.commands import CommandClient

# An answered call never lasts longer than the IVR's watchdog and a margin: an
# attempt older than that (and its ring) which never ended was lost with the bridge.
STALE_MARGIN_S = 30.0


@dataclasses.dataclass(frozen=True)
class CampaignParts:
    engine: CampaignEngine
    scripts: dict


def build_campaigns(settings, is_rest_day: Callable) -> CampaignParts:
    zone = ZoneInfo(settings.office_timezone)
    factory = session_factory(settings.database_url)
    satisfaction = SatisfactionKind(zone)
    dunning = DunningKind(HouseholdTerms.from_settings(settings))
    kinds = {satisfaction.name: satisfaction, dunning.name: dunning}
    client = CommandClient(settings.redis_url, command_key=settings.command_key)
    engine = CampaignEngine(factory, CommandDialler(client), CallingHours(zone, is_rest_day),
                            kinds, stale_after_s=settings.ivr_max_session_s + STALE_MARGIN_S,
                            publisher=ProgressPublisher(settings.redis_url))
    scripts = campaign_scripts(factory, kinds, satisfaction,
                               int(settings.ivr_input_timeout_s * 1000), dunning)
    return CampaignParts(engine, scripts)
