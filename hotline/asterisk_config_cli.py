"""`hotline asterisk-config render | check`: the hotline on an Asterisk 22 that is not the lab."""
from __future__ import annotations

from pathlib import Path

import click

from hotline.asterisk_check import run_check
from hotline.asterisk_site import (PHONE_ACCOUNTS_FILE, parse_extensions, phone_accounts_text,
                                   read_phone_accounts, server_site)
from hotline.atomic_files import write_text
from hotline.errors import AsteriskConfigError
from hotline.lab_config import render_all
from hotline.settings import get_settings

# Files holding a secret (the AMI user's, the phones' passwords): Asterisk's user only.
SECRET_FILES = ("manager.conf", "pjsip.conf")


@click.group("asterisk-config")
def asterisk_config_group() -> None:
    """Configuration for a real Asterisk 22 server, and a check of one."""


@asterisk_config_group.command("render")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the .conf files into (then copy them to /etc/asterisk).")
@click.option("--sip-bind", required=True, help="address:port of the SIP transport, the address the phones and the trunk reach, or 0.0.0.0:5060 for all.")
@click.option("--trunk", "trunk", multiple=True, required=True,
              help="Address or network residents' calls come from (the carrier, or Kamailio); repeatable.")
@click.option("--ami-bind", default="127.0.0.1", show_default=True,
              help="Address AMI listens on: loopback when the bridge runs on this host.")
@click.option("--bridge-address", "bridge", multiple=True, default=("127.0.0.1",), show_default=True,
              help="Address the bridge logs in to AMI from; repeatable.")
@click.option("--extensions", default="8001-8050", show_default=True,
              help="The agents' phones, e.g. 8001-8050,8100.")
def render_command(out_dir: Path, sip_bind: str, trunk: tuple[str, ...], ami_bind: str,
                   bridge: tuple[str, ...], extensions: str) -> None:
    """Write the hotline's Asterisk configuration for a real server.

    The AMI user and secret, queue, numbers and FastAGI address come from the
    same HOTLINE_* settings the bridge runs with. Phones register with a
    password of their own, kept in phone-accounts.csv (0600) in --out and
    reused when rendering again.
    """
    settings = get_settings()
    if "@lab-" in settings.outbound_dial:
        raise AsteriskConfigError(f"HOTLINE_OUTBOUND_DIAL is the lab's ({settings.outbound_dial}): "
                                  "set the server's, e.g. PJSIP/${EXTEN}@carrier")
    out_dir.mkdir(parents=True, exist_ok=True)
    accounts = out_dir / PHONE_ACCOUNTS_FILE
    site = server_site(sip_bind, list(trunk), ami_bind, list(bridge),
                       parse_extensions(extensions), read_phone_accounts(accounts))
    for name, text in render_all(settings, site).items():
        if name in SECRET_FILES:
            write_text(out_dir / name, text, 0o600)
        else:
            (out_dir / name).write_text(text, encoding="utf-8")
    write_text(accounts, phone_accounts_text(site.phones), 0o600)
    click.echo(f"wrote the Asterisk configuration to {out_dir} ({len(site.phones)} phones; "
               f"their passwords in {accounts})")
    click.echo("next: copy the .conf files to /etc/asterisk (owner asterisk), set systemname in "
               "asterisk.conf, restart Asterisk, then `hotline asterisk-config check`")


@asterisk_config_group.command("check")
@click.option("--queue-log", "queue_log", type=click.Path(dir_okay=False, path_type=Path),
              help="queue_log to read (default: HOTLINE_QUEUE_LOG).")
def check_command(queue_log: Path | None) -> None:
    """Log in to AMI as the bridge and report what this Asterisk lacks."""
    settings = get_settings()
    findings = run_check(settings, queue_log or settings.queue_log_path)
    for finding in findings:
        mark = "ok     " if finding.ok else "MISSING" if finding.required else "WARNING"
        click.echo(f"{mark} {finding.subject}: {finding.detail}")
    missing = [finding for finding in findings if not finding.ok and finding.required]
    if missing:
        raise click.exceptions.Exit(1)
    click.echo("this Asterisk has what the hotline needs")


commands = [asterisk_config_group]
