"""The bridge process, put together: the one place that says what runs in it.

`build_sinks(settings)` imports and builds every sink explicitly with its
settings (the live projection with its screen-pop content, on a thread of its
own); one that cannot be built stops start-up with one line saying which and
why (`BridgeStartError`), instead of a bridge that runs on without pops.
`run_bridge` wires the bridge (telephony.bridge: normalizer, state machine,
call writer), those sinks, the console command executor and the FastAGI
server, and runs until SIGTERM or SIGINT. Nothing here imports agent_console:
the web package is not part of the bridge process.
"""
from __future__ import annotations

import logging
import signal
import threading
from zoneinfo import ZoneInfo

from call_queue.agent_time import AgentSpanRecorder
from call_queue.office_calendar import OfficeCalendar
from call_queue.live import LiveStateSink
from call_queue.supervision import SpyRecorder
from campaigns.wiring import CampaignParts, build_campaigns
from hotline.errors import BridgeStartError
from line_callback.wiring import CallbackParts, build_line_callbacks
from households.terms import HouseholdTerms
from screen_pop.households import HouseholdPops
from telephony.bridge import Bridge
from telephony.commands import CommandExecutor
from telephony.ivr.fastagi import default_scripts, start_fastagi_server
from telephony.emergency_line import emergency_scripts
from telephony.night_line import night_line_scripts
from telephony.sink_thread import ThreadedSink

log = logging.getLogger(__name__)


def live_sink(settings) -> LiveStateSink:
    """The projection of live state: wallboard, agent consoles and screen-pops."""
    pops = HouseholdPops(settings.database_url, HouseholdTerms.from_settings(settings))
    return LiveStateSink(settings, pops=pops,
                         spy_recorder=SpyRecorder(settings.database_url),
                         span_recorder=AgentSpanRecorder(settings.database_url))


SINK_BUILDERS = (("live state", live_sink),)


def build_sinks(settings, builders=SINK_BUILDERS) -> list:
    """Every sink, each on a thread of its own; BridgeStartError if one cannot be built."""
    sinks = []
    for name, build in builders:
        try:
            sinks.append(ThreadedSink(build(settings), name))
        except Exception as error:
            for sink in sinks:
                sink.close()
            raise BridgeStartError(f"bridge not started: the {name} sink cannot be built: "
                                   f"{type(error).__name__}: {error}") from error
    return sinks


def build_bridge(settings, engine, builders=SINK_BUILDERS) -> Bridge:
    return Bridge(settings, engine, sinks=build_sinks(settings, builders))


def _command_executor(settings, connection):
    """The executor of console commands (Redis -> AMI), named after its Asterisk host:
    the console sends each command to the bridge of the agent's host
    (agent_console.command_routes)."""
    try:
        executor = CommandExecutor(settings.redis_url, connection, bridge=settings.asterisk_host,
                                   default_queue=settings.queue_name,
                                   command_key=settings.command_key)
        executor.start()
        return executor
    except Exception:  # noqa: BLE001 - the bridge follows calls even without commands
        log.exception("console command executor not started")
        return None


def _fastagi_server(settings, calendar: OfficeCalendar):
    """The IVR's FastAGI server runs inside the bridge process (telephony.ivr.fastagi),
    with the hotline's out-of-hours scripts (telephony.night_line)."""
    try:
        return start_fastagi_server(settings, {**default_scripts(settings),
                                               **night_line_scripts(settings, calendar),
                                               **emergency_scripts(settings)})
    except Exception:  # noqa: BLE001 - calls are followed even when the IVR cannot serve
        log.exception("FastAGI server not started; the IVR will not answer")
        return None


def office_calendar(settings) -> OfficeCalendar:
    """The office calendar; a malformed file stops start-up (OfficeCalendarError, one line)."""
    return OfficeCalendar.from_file(settings.office_calendar_path,
                                    ZoneInfo(settings.office_timezone))


def campaign_parts(settings, calendar: OfficeCalendar) -> CampaignParts:
    """The outbound campaign engine and its IVR scripts (campaigns.wiring); one that
    cannot be built stops start-up with one line."""
    try:
        return build_campaigns(settings, calendar.is_rest_day)
    except Exception as error:
        raise BridgeStartError(f"bridge not started: the campaign engine cannot be built: "
                               f"{type(error).__name__}: {error}") from error


def callback_parts(settings) -> CallbackParts:
    """The keep-my-place callbacks' engine, its sink and scripts (line_callback.wiring)."""
    try:
        return build_line_callbacks(settings)
    except Exception as error:
        raise BridgeStartError(f"bridge not started: the callback engine cannot be built: "
                               f"{type(error).__name__}: {error}") from error


def _serve_callbacks(fastagi, callbacks: CallbackParts) -> bool:
    """Callbacks are booked and ended by FastAGI: no server, no callbacks placed."""
    if fastagi is None:
        log.error("callback engine not started: the FastAGI server is not running")
        return False
    fastagi.scripts.update(callbacks.scripts)
    callbacks.engine.start()
    return True


def _serve_campaigns(fastagi, campaigns: CampaignParts) -> bool:
    """Campaign calls need the IVR: no FastAGI server, no campaign calls."""
    if fastagi is None:
        log.error("campaign engine not started: the FastAGI server is not running")
        return False
    fastagi.scripts.update(campaigns.scripts)
    campaigns.engine.start()
    return True


def run_bridge(settings, engine) -> None:
    """Run until SIGTERM or SIGINT; stop cleanly (pending records are committed)."""
    calendar = office_calendar(settings)
    campaigns = campaign_parts(settings, calendar)
    callbacks = callback_parts(settings)
    bridge = build_bridge(settings, engine,
                          (*SINK_BUILDERS, ("callback places", lambda _: callbacks.waiting)))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    bridge.start()
    executor = _command_executor(settings, bridge.connection)
    fastagi = _fastagi_server(settings, calendar)
    campaigns_running = _serve_campaigns(fastagi, campaigns)
    callbacks_running = _serve_callbacks(fastagi, callbacks)
    log.info("bridge running: AMI %s:%s, database %s, sinks %s", settings.ami_host,
             settings.ami_port, engine.url.render_as_string(hide_password=True),
             [sink.name for sink in bridge.sinks])
    while not stop.wait(1.0):
        pass
    log.info("stopping the bridge")
    if campaigns_running:
        campaigns.engine.stop()
    if callbacks_running:
        callbacks.engine.stop()
    if executor is not None:
        executor.stop()
    if fastagi is not None:
        fastagi.stop()
    bridge.stop()
