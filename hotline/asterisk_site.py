"""Which Asterisk the configuration in asterisk_conf/ is rendered for.

The lab and a real server differ in a handful of facts, held here as one
record: where SIP and AMI listen, which address the residents' calls come
from (the carrier, or Kamailio in front of several hosts), where the bridge
logs in from, and the agents' phones. Lab phones are SIPp answering at a fixed
contact; a real server's phones register with a password of their own, kept in
a 0600 accounts file beside the rendered configuration (never in the repo) and
reused when the configuration is rendered again, so re-rendering does not lock
every handset out.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import ipaddress
import re
import secrets
from pathlib import Path

from hotline.errors import AsteriskConfigError

PHONE_ACCOUNTS_FILE = "phone-accounts.csv"
EXTENSION_RE = re.compile(r"^[0-9]{2,8}$")
EXTENSION_RANGE_RE = re.compile(r"^([0-9]{2,8})-([0-9]{2,8})$")
MAX_PHONES = 2000


@dataclasses.dataclass(frozen=True)
class AgentPhone:
    extension: str
    contact: str = ""   # the lab's static contact; empty: the phone registers
    password: str = ""  # a registering phone's digest password


@dataclasses.dataclass(frozen=True)
class AsteriskSite:
    sip_bind: str                   # host:port of the UDP transport
    trunk_match: tuple[str, ...]    # addresses (or networks) residents' calls come from
    ami_bind: str                   # the address AMI listens on
    bridge_addresses: tuple[str, ...]  # the only addresses allowed to log in to AMI
    phones: tuple[AgentPhone, ...]
    lab: bool                       # the lab's simulated phones, callers and test AMI user


def _address(text: str, what: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise AsteriskConfigError(f"{what}: {text!r} is not an IP address") from None


def _network(text: str, what: str) -> str:
    try:
        return str(ipaddress.ip_network(text.strip(), strict=False))
    except ValueError:
        raise AsteriskConfigError(f"{what}: {text!r} is not an address or network") from None


def parse_extensions(spec: str) -> list[str]:
    """'8001-8050,8100' -> the extensions, in order, each once."""
    found: list[str] = []
    for part in filter(None, (piece.strip() for piece in spec.split(","))):
        if match := EXTENSION_RANGE_RE.match(part):
            first, last = match.groups()
            if len(first) != len(last) or int(first) > int(last):
                raise AsteriskConfigError(f"--extensions: {part!r} is not a range like 8001-8050")
            found.extend(str(number).zfill(len(first)) for number in range(int(first), int(last) + 1))
        elif EXTENSION_RE.match(part):
            found.append(part)
        else:
            raise AsteriskConfigError(f"--extensions: {part!r} is not an extension (2-8 digits)")
        if len(found) > MAX_PHONES:
            raise AsteriskConfigError(f"--extensions: more than {MAX_PHONES} phones")
    if not found:
        raise AsteriskConfigError("--extensions: no extension given")
    return list(dict.fromkeys(found))


def read_phone_accounts(path: Path) -> dict[str, str]:
    """extension -> password from an accounts file written earlier (none: empty)."""
    if not path.exists():
        return {}
    accounts = {}
    for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
        extension, password = (row.get("extension") or "").strip(), (row.get("password") or "").strip()
        if EXTENSION_RE.match(extension) and len(password) >= 16:
            accounts[extension] = password
    return accounts


def phone_accounts_text(phones: tuple[AgentPhone, ...]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["extension", "password"])
    writer.writerows((phone.extension, phone.password) for phone in phones)
    return out.getvalue()


def server_site(sip_bind: str, trunk: list[str], ami_bind: str, bridge: list[str],
                extensions: list[str], known_passwords: dict[str, str]) -> AsteriskSite:
    """A real server's site; phones without a known password get a new one."""
    host, _, port = sip_bind.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise AsteriskConfigError(f"--sip-bind: {sip_bind!r} is not address:port")
    phones = tuple(AgentPhone(extension, password=known_passwords.get(extension)
                              or secrets.token_urlsafe(18)) for extension in extensions)
    return AsteriskSite(
        sip_bind=f"{_address(host, '--sip-bind')}:{int(port)}",
        trunk_match=tuple(_network(item, "--trunk") for item in trunk),
        ami_bind=_address(ami_bind, "--ami-bind"),
        bridge_addresses=tuple(_address(item, "--bridge-address") for item in bridge),
        phones=phones, lab=False)
