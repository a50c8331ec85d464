"""`hotline fastagi` (the IVR's FastAGI server alone) and `hotline prompts build|check`."""
from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from hotline.settings import get_settings


@click.command("fastagi")
@click.option("--port", type=int, default=None,
              help="Listen on this port instead of HOTLINE_FASTAGI_BIND's.")
def fastagi_command(port: int | None) -> None:
    """Serve the IVR over FastAGI until interrupted (the bridge also starts it)."""
    from telephony.fastagi import start_fastagi_server

    server = start_fastagi_server(get_settings(), port=port)
    host, bound_port = server.server_address[:2]
    click.echo(f"FastAGI on {host}:{bound_port}; scripts: {', '.join(sorted(server.scripts))}")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    server.stop()


@click.group("prompts")
def prompts_group() -> None:
    """The IVR's Mandarin prompts (espeak-ng + sox → 8 kHz WAV)."""


def _sounds_dir(value: str | None) -> Path:
    return Path(value) if value else get_settings().sounds_dir


@prompts_group.command("build")
@click.option("--sounds-dir", default=None,
              help="Asterisk's sounds folder (prompts go to its zh/); "
                   "default HOTLINE_SOUNDS_DIR, i.e. <lab_root>/usr/share/asterisk/sounds.")
@click.option("--force", is_flag=True, help="Remake every file, changed or not.")
def build_command(sounds_dir: str | None, force: bool) -> None:
    """Make the missing or changed prompts."""
    from telephony.prompts import build_prompts

    report = build_prompts(_sounds_dir(sounds_dir), force=force)
    click.echo(f"{report.folder}: {len(report.made)} made, {len(report.kept)} unchanged")


@prompts_group.command("check")
@click.option("--sounds-dir", default=None, help="As for build.")
def check_command(sounds_dir: str | None) -> None:
    """Exit 1 and list them if any prompt file is missing."""
    from telephony.prompts import missing_prompts

    missing = missing_prompts(_sounds_dir(sounds_dir))
    for name in missing:
        click.echo(f"missing: {name}", err=True)
    if missing:
        raise SystemExit(1)
    click.echo("all prompts present")


commands = [fastagi_command, prompts_group]
