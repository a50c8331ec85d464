"""Debian's nginx in front of a benchmark's console workers, as production runs it:
the site `hotline deploy render` writes (TLS with a self-signed certificate,
WebSocket proxying, sticky hashing of the client address), on a free loopback
port, every file under the benchmark's folder.

Clients reach it with `session(front, source)` and `tls_socket(front, source)`
from a source address of their own, so nginx's hash may spread them over
several workers.
"""
from __future__ import annotations

import dataclasses
import socket
import ssl
import subprocess
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from bench.support import free_port
from hotline import deploy

NGINX = "/usr/sbin/nginx"


@dataclasses.dataclass(frozen=True)
class Front:
    """Where clients reach nginx (picklable: the clients' processes get it)."""
    base_url: str
    port: int
    certificate: Path


def start_front(folder: Path, console_ports: list[int]) -> tuple[Front, subprocess.Popen]:
    """nginx on 127.0.0.1 before the consoles on `console_ports`, once it answers:
    (where clients reach it, its process)."""
    prefix = folder / "nginx"
    prefix.mkdir()
    tls = deploy.make_self_signed_certificate(folder / "tls")
    port = free_port()
    site = deploy.NginxSite(server_name="127.0.0.1", listen=f"127.0.0.1:{port}",
                            certificate=tls.certificate, certificate_key=tls.key,
                            console_ports=tuple(console_ports), http_listen=None,
                            access_log=str(prefix / "access.log"))
    site_file = prefix / "hotline.conf"
    site_file.write_text(deploy.render_nginx_site(site))
    config = prefix / "nginx.conf"
    config.write_text(deploy.render_standalone_nginx(prefix, site_file))
    deploy.check_nginx_config(config, prefix, NGINX)
    process = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(config),
                                "-e", str(prefix / "error.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    front = Front(f"https://127.0.0.1:{port}", port, tls.certificate)
    for _ in range(100):
        try:
            if session(front, "127.0.0.1").get(front.base_url + "/healthz",
                                               timeout=2).status_code == 200:
                return front, process
        except (requests.ConnectionError, requests.Timeout):
            pass
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise SystemExit("nginx did not answer: " + (prefix / "error.log").read_text()[-2000:])


class SourceAdapter(HTTPAdapter):
    """requests' adapter whose connections leave from one source address."""

    def __init__(self, source: str):
        self._source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._source, 0)
        super().init_poolmanager(*args, **kwargs)


def session(front: Front, source: str) -> requests.Session:
    """requests from `source`, trusting the front's certificate and nothing from the
    environment (REQUESTS_CA_BUNDLE would replace it)."""
    http = requests.Session()
    http.mount("https://", SourceAdapter(source))
    http.verify = str(front.certificate)
    http.trust_env = False
    return http


def tls_socket(front: Front, source: str) -> ssl.SSLSocket:
    """A verified TLS connection to nginx from `source`, for the WebSocket."""
    return verified_tls_socket(front.certificate, front.port, source)


def verified_tls_socket(certificate: Path, port: int, source: str) -> ssl.SSLSocket:
    """A TLS connection to 127.0.0.1:`port` from `source`, trusting `certificate` only."""
    context = ssl.create_default_context(cafile=str(certificate))
    raw = socket.create_connection(("127.0.0.1", port), timeout=10,
                                   source_address=(source, 0))
    return context.wrap_socket(raw, server_hostname="127.0.0.1")
