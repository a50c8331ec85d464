"""Render asterisk_conf/*.tmpl with the hotline's settings, for the lab or for a
real server (hotline.asterisk_site)."""
from __future__ import annotations

import math
from pathlib import Path

import jinja2

from hotline import softphone
from hotline.asterisk_site import AgentPhone, AsteriskSite
from hotline.line_values import line_template_values
from hotline.settings import Settings

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "asterisk_conf"
AGENT_EXTENSIONS = range(8001, 8051)
AGENT_PHONE_BASE_PORT = 5100  # the lab's SIPp phone for 80NN listens on 5100+NN
# Kamailio in front of several lab hosts (tests/integration/test_two_hosts_lab.py)
# listens here; the lab's trunk takes its calls and answers its pings too.
LAB_PROXY_ADDRESS = "127.0.0.10"


def lab_agent_phones(shared_port: int = 0) -> list[AgentPhone]:
    phones = []
    for extension in AGENT_EXTENSIONS:
        port = shared_port or AGENT_PHONE_BASE_PORT + extension % 100
        phones.append(AgentPhone(str(extension), f"sip:{extension}@127.0.0.1:{port}"))
    return phones


def ring_timeout_s(settings: Settings) -> int:
    """How long the queue rings one agent: 3 rings of the ring-back cadence, the
    hotline's answer standard."""
    return math.ceil(3 * settings.ring_cadence_s)


def lab_site(settings: Settings) -> AsteriskSite:
    """Everything on 127.0.0.1: SIPp's trunk, the bridge, the simulated phones."""
    return AsteriskSite(sip_bind="127.0.0.1:5060", trunk_match=("127.0.0.1", LAB_PROXY_ADDRESS),
                        ami_bind="127.0.0.1", bridge_addresses=("127.0.0.1",),
                        phones=tuple(lab_agent_phones(settings.lab_shared_phone_port)), lab=True)


def template_values(settings: Settings, site: AsteriskSite) -> dict:
    return {
        "lab": site.lab,
        "ami_bind": site.ami_bind,
        "bridge_addresses": site.bridge_addresses,
        "ami_port": settings.ami_port,
        "ami_user": settings.ami_user,
        "ami_secret": settings.ami_secret,
        "test_ami_user": settings.test_ami_user,
        "test_ami_secret": settings.test_ami_secret,
        "sip_bind": site.sip_bind,
        "trunk_match": ",".join(site.trunk_match),
        "agents": site.phones,
        "queue_name": settings.queue_name,
        "hotline_number": settings.hotline_number,
        "ivr_number": settings.ivr_number,
        "fastagi_host": settings.fastagi_host,
        "fastagi_port": settings.fastagi_port,
        "ring_timeout_s": ring_timeout_s(settings),
        "wrapup_s": settings.wrapup_s,
        "service_level_s": settings.service_level_s,
        "queue_timeout_s": 300,
        "outbound_dial": settings.outbound_dial,
        # Stereo (option D, agent and caller on separate channels) needs raw
        # signed linear; mono WAV plays in any browser.
        "recording_extension": "raw" if settings.stereo_recording else "wav",
        "recording_options": "D" if settings.stereo_recording else "",
        **line_template_values(settings, site.lab),
        **softphone.template_values(settings, site),
    }


def render_all(settings: Settings, site: AsteriskSite | None = None) -> dict[str, str]:
    """Map each Asterisk file name (e.g. 'queues.conf') to its rendered text; the
    lab's unless a site is given."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    values = template_values(settings, site or lab_site(settings))
    rendered = {}
    for template_path in sorted(TEMPLATES_DIR.glob("*.conf.tmpl")):
        target_name = template_path.name[: -len(".tmpl")]
        rendered[target_name] = environment.get_template(template_path.name).render(values)
    return rendered


def listed_modules(modules_conf: str) -> list[str]:
    """The modules a rendered modules.conf loads, in its order ('load = X.so')."""
    names = []
    for line in modules_conf.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "load" and value.strip():
            names.append(value.strip())
    return names
