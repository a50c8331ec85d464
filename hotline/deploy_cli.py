"""`hotline deploy render` (nginx site, systemd units), `hotline deploy kamailio` (the SIP
proxy in front of several Asterisk hosts) and `hotline deploy self-signed-cert`."""
from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from hotline import deploy, kamailio
from hotline.errors import HotlineError
from hotline.settings import REPO_ROOT, get_settings


@click.group("deploy")
def deploy_group() -> None:
    """Production files: nginx in front of N console workers, systemd units, TLS."""


def _ports(workers: int, first_port: int) -> tuple[int, ...]:
    ports = tuple(range(first_port, first_port + workers))
    if ports[-1] > 65535:
        raise HotlineError(f"deploy: ports {ports[0]}-{ports[-1]} run past 65535")
    return ports


@deploy_group.command("render")
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path),
              help="Folder to write the files into.")
@click.option("--server-name", default="hotline.lab", show_default=True,
              help="The console's host name (nginx server_name).")
@click.option("--listen", default="443", show_default=True, help="nginx's TLS listen address.")
@click.option("--http-listen", default="80", show_default=True,
              help="A plain-HTTP listen that redirects to https ('none': no such server).")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Console workers (one hotline-console@PORT each).")
@click.option("--first-port", default=5001, show_default=True, type=click.IntRange(1024, 65535))
@click.option("--threads", default=100, show_default=True, type=click.IntRange(4, 2000),
              help="Threads of each worker (each open WebSocket holds one).")
@click.option("--cert", type=click.Path(path_type=Path), default=None,
              help="TLS certificate (default: the lab's, from 'hotline deploy self-signed-cert').")
@click.option("--key", type=click.Path(path_type=Path), default=None, help="Its private key.")
@click.option("--user", default=None, help="The services' user (default: you).")
def render_command(out_dir, server_name, listen, http_listen, workers, first_port, threads,
                   cert, key, user) -> None:
    """Write the nginx site, the systemd units and an environment file into --out."""
    settings = get_settings()
    tls_dir = settings.state_dir / "tls"
    site = deploy.NginxSite(
        server_name=server_name, listen=listen,
        certificate=(cert or tls_dir / deploy.CERT_NAME).resolve(),
        certificate_key=(key or tls_dir / deploy.KEY_NAME).resolve(),
        console_ports=_ports(workers, first_port),
        http_listen=None if http_listen == "none" else http_listen)
    services = deploy.Services(user=user or getpass.getuser(), repo=REPO_ROOT,
                               venv=Path(sys.prefix), threads=threads,
                               office_timezone=settings.office_timezone)
    for path in deploy.render(site, services, out_dir):
        click.echo(f"wrote {path}")
    click.echo(f"next: {out_dir / 'INSTALL.txt'}")


@deploy_group.command("self-signed-cert")
@click.option("--name", default="hotline.lab", show_default=True, help="The certificate's name.")
@click.option("--address", "addresses", multiple=True, default=("127.0.0.1",), show_default=True,
              help="An IP address the certificate names (repeatable).")
@click.option("--force", is_flag=True, help="Make a new one even if one is there.")
def self_signed_cert_command(name, addresses, force) -> None:
    """A self-signed certificate for the lab, in the state folder (key mode 0600)."""
    files = deploy.make_self_signed_certificate(get_settings().state_dir / "tls", name,
                                                tuple(addresses), force=force)
    click.echo(f"certificate {files.certificate}")
    click.echo(f"key         {files.key} (0600)")


@deploy_group.command("kamailio")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for kamailio.cfg and dispatcher.list (e.g. /etc/kamailio).")
@click.option("--listen", required=True, help="address:port residents' calls arrive on.")
@click.option("--host", "hosts", multiple=True, required=True,
              help="address:port of an Asterisk host (repeatable, at least one).")
@click.option("--ping-interval", default=2, show_default=True, type=click.IntRange(1, 60),
              help="Seconds between OPTIONS pings of each host.")
def kamailio_command(out_dir: Path, listen: str, hosts: tuple[str, ...], ping_interval: int) -> None:
    """Kamailio's dispatcher in front of the Asterisk hosts, checked by `kamailio -c`."""
    plan = kamailio.make_plan(listen, list(hosts), out_dir, ping_interval)
    config = kamailio.write(plan, out_dir)
    kamailio.check_config(config)
    click.echo(f"wrote {config} and {plan.dispatcher_list} ({len(plan.hosts)} hosts); "
               f"state: kamcmd -s unix:{plan.ctl_socket} dispatcher.list")


commands = [deploy_group]
