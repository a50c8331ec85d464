"""The keep-my-place callbacks' parts, built from the settings by the composition root
(hotline.bridge_root), as campaigns.wiring builds the campaign engine's."""
from __future__ import annotations

import dataclasses

from line_callback.dialler import CallbackDialler
from line_callback.engine import CallbackEngine, WaitingCallers
from line_callback.lost_calls import LostCallBooker, LostCallOptions
from line_callback.policy import MAX_ATTEMPTS, RetryPolicy
from line_callback.scripts import callback_scripts
from models.session import session_factory
from telephony.commands import CommandClient


@dataclasses.dataclass(frozen=True)
class CallbackParts:
    engine: CallbackEngine
    waiting: WaitingCallers  # a sink of the bridge: the callers waiting now
    scripts: dict


def build_line_callbacks(settings) -> CallbackParts:
    factory = session_factory(settings.database_url)
    policy = RetryPolicy(MAX_ATTEMPTS, settings.callback_retry_spacing_s)
    waiting = WaitingCallers(settings)
    client = CommandClient(settings.redis_url, command_key=settings.command_key)
    booker = None
    if settings.lost_call_auto_callback:
        booker = LostCallBooker(waiting, settings.asterisk_host, LostCallOptions(
            settings.lost_call_callback_window_s, settings.short_abandon_s))
    engine = CallbackEngine(factory, CallbackDialler(client, settings.callback_ring_s), waiting,
                            settings.asterisk_host, policy, booker=booker)
    scripts = callback_scripts(factory, policy, settings.asterisk_host, settings.local_area_code)
    return CallbackParts(engine, waiting, scripts)
