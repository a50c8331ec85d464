"""Kamailio (Debian's package) in front of several Asterisk hosts: the
configuration `hotline deploy kamailio` writes, and its syntax check.

One dispatcher set holds every host; calls go round robin to the hosts that
answer OPTIONS pings, and a call a host does not answer in 2 s is sent to the
next (../shared/scale-lab.md, measured: a stopped host is marked down within
about ping interval + 2 s). Each host's trunk must accept calls from the
proxy's address (`hotline asterisk-config render --trunk PROXY_ADDRESS`).
"""
from __future__ import annotations

import dataclasses
import ipaddress
import subprocess
from pathlib import Path

import jinja2

from hotline.errors import HotlineError
from hotline.settings import REPO_ROOT

KAMAILIO = "/usr/sbin/kamailio"
MODULE_DIR = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
CONFIG_NAME = "kamailio.cfg"
DISPATCHER_NAME = "dispatcher.list"


class KamailioError(HotlineError):
    """The proxy's configuration cannot be rendered or does not pass Kamailio's check."""


@dataclasses.dataclass(frozen=True)
class ProxyPlan:
    listen_address: str
    listen_port: int
    hosts: tuple[str, ...]          # host:port of each Asterisk
    ctl_socket: Path                # kamcmd -s unix:PATH
    dispatcher_list: Path
    ping_interval_s: int = 2
    children: int = 2


def _host_port(text: str, what: str) -> tuple[str, int]:
    host, _, port = text.strip().rpartition(":")
    try:
        address = str(ipaddress.ip_address(host))
    except ValueError:
        raise KamailioError(f"{what}: {text!r} is not address:port") from None
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise KamailioError(f"{what}: {text!r} is not address:port")
    return address, int(port)


def make_plan(listen: str, hosts: list[str], folder: Path, ping_interval_s: int = 2) -> ProxyPlan:
    address, port = _host_port(listen, "--listen")
    if not hosts:
        raise KamailioError("--host: at least one Asterisk host")
    checked = tuple("%s:%d" % _host_port(host, "--host") for host in hosts)
    if len(set(checked)) != len(checked):
        raise KamailioError("--host: a host is given twice")
    return ProxyPlan(address, port, checked, folder / "kamailio_ctl", folder / DISPATCHER_NAME,
                     ping_interval_s)


def render_config(plan: ProxyPlan) -> str:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(REPO_ROOT / "deploy"),
                                     undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.get_template("kamailio.cfg.tmpl").render(
        module_dir=MODULE_DIR, **dataclasses.asdict(plan))


def render_dispatcher_list(plan: ProxyPlan) -> str:
    return "".join(f"1 sip:{host} 0 0\n" for host in plan.hosts)


def write(plan: ProxyPlan, out_dir: Path) -> Path:
    """Write the configuration and the dispatcher list; return the configuration's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plan.dispatcher_list.write_text(render_dispatcher_list(plan))
    config = out_dir / CONFIG_NAME
    config.write_text(render_config(plan))
    return config


def check_config(config: Path, kamailio: str = KAMAILIO) -> None:
    """Kamailio's own parse of the configuration (kamailio -c)."""
    result = subprocess.run([kamailio, "-c", "-f", str(config)], capture_output=True, text=True,
                            timeout=30)
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout).splitlines() if "ERROR" in line]
        raise KamailioError(f"kamailio -c refused {config}: {' '.join(lines[-2:])}")
