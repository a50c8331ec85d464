"""Which Asterisk host each agent's phone belongs to, as the site is laid out.

With several hosts behind Kamailio, every phone registers on one host and its agent
sits in that host's queue (each host's configuration is rendered with its own
`--extensions` range). HOTLINE_AGENT_HOSTS says the same to the console:
`b=8026-8050,c=8051-8075`; an extension in no range is on the default host (the one
whose bridge is named `main`, models.calls.DEFAULT_HOST). Empty: one host.

The plan is what is configured; the live boards say where a phone is now
(agent_console.command_routes reads both, the boards first).
"""
from __future__ import annotations

import dataclasses
import re

_HOST = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_RANGE = re.compile(r"^\s*([^=\s]+)\s*=\s*([0-9]{1,8})\s*-\s*([0-9]{1,8})\s*$")
_TRAILING_DIGITS = re.compile(r"([0-9]{1,8})$")


class HostPlanError(ValueError):
    """HOTLINE_AGENT_HOSTS cannot be read; the message names the part."""


@dataclasses.dataclass(frozen=True)
class ExtensionRange:
    host: str
    first: int
    last: int

    def __contains__(self, extension: int) -> bool:
        return self.first <= extension <= self.last


@dataclasses.dataclass(frozen=True)
class HostPlan:
    default_host: str
    ranges: tuple[ExtensionRange, ...] = ()

    @classmethod
    def parse(cls, text: str, default_host: str) -> "HostPlan":
        ranges: list[ExtensionRange] = []
        for part in filter(None, (piece.strip() for piece in (text or "").split(","))):
            match = _RANGE.match(part)
            if not match or not _HOST.match(match.group(1)):
                raise HostPlanError(f"{part!r} is not HOST=FIRST-LAST (e.g. b=8026-8050)")
            found = ExtensionRange(match.group(1), int(match.group(2)), int(match.group(3)))
            if found.first > found.last:
                raise HostPlanError(f"{part!r}: the range ends before it starts")
            for other in ranges:
                if found.first <= other.last and other.first <= found.last:
                    raise HostPlanError(f"{part!r} overlaps {other.host}={other.first}-"
                                        f"{other.last}: a phone is on one host")
            ranges.append(found)
        return cls(default_host, tuple(ranges))

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host the plan names, the default one first."""
        named = [self.default_host]
        named += [entry.host for entry in self.ranges if entry.host not in named]
        return tuple(named)

    def host_of(self, interface: str) -> str:
        """The configured host of a phone (PJSIP/8026, PJSIP/webrtc-8046, Local/8086@x)."""
        extension = extension_of(interface)
        if extension is not None:
            for entry in self.ranges:
                if extension in entry:
                    return entry.host
        return self.default_host


def extension_of(interface: str) -> int | None:
    endpoint = interface.partition("/")[2].partition("@")[0]
    match = _TRAILING_DIGITS.search(endpoint)
    return int(match.group(1)) if match else None
