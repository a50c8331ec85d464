"""`hotline fastagi` (the IVR's FastAGI server alone), `hotline prompts build|check`
and `hotline ivr set-pin` (a household's IVR PIN)."""
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
    from telephony.ivr.fastagi import start_fastagi_server

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
    from campaigns.prompts import CAMPAIGN_TEXTS
    from telephony.ivr.prompts import PROMPT_TEXTS, build_prompts

    report = build_prompts(_sounds_dir(sounds_dir), force=force,
                           texts={**PROMPT_TEXTS, **CAMPAIGN_TEXTS})
    click.echo(f"{report.folder}: {len(report.made)} made, {len(report.kept)} unchanged")


@prompts_group.command("check")
@click.option("--sounds-dir", default=None, help="As for build.")
def check_command(sounds_dir: str | None) -> None:
    """Exit 1 and list them if any prompt file is missing."""
    from telephony.ivr.prompts import missing_prompts

    missing = missing_prompts(_sounds_dir(sounds_dir))
    for name in missing:
        click.echo(f"missing: {name}", err=True)
    if missing:
        raise SystemExit(1)
    click.echo("all prompts present")


@click.group("ivr")
def ivr_group() -> None:
    """The fee-balance IVR's household PINs."""


@ivr_group.command("set-pin")
@click.argument("household_number")
@click.option("--clear", is_flag=True, help="Remove the PIN: the IVR asks for the phone digits.")
def set_pin_command(household_number: str, clear: bool) -> None:
    """Set the PIN (4-8 digits, asked twice, never echoed) of a household, by its number."""
    from sqlalchemy import select

    from models.households import Household
    from models.session import session_factory
    from telephony.ivr.identity import PinError, check_pin_format, set_pin

    pin = None
    if not clear:
        pin = click.prompt("PIN", hide_input=True, confirmation_prompt=True)
        try:
            check_pin_format(pin)
        except PinError as error:
            raise click.ClickException(str(error)) from None
    with session_factory(get_settings().database_url)() as session:
        household = session.scalar(select(Household).where(Household.number == household_number))
        if household is None:
            raise click.ClickException(f"no household numbered {household_number!r}")
        set_pin(session, household.id, pin)
        session.commit()
    click.echo(f"household {household_number}: PIN {'removed' if clear else 'set'}")


commands = [fastagi_command, prompts_group, ivr_group]
