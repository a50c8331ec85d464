"""Production files rendered from deploy/*.tmpl: the nginx site, systemd units,
an environment file; and the lab's self-signed TLS certificate.

`render(plan, out_dir)` writes what `hotline deploy render --out DIR` installs
by hand (the INSTALL.txt it writes says where each file goes). The nginx site
stands alone in production (Debian's nginx.conf includes sites-enabled/);
`render_standalone_nginx` wraps it in a whole nginx.conf whose every path is
under one prefix, for the lab and the tests (no root, no /var/log/nginx).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import jinja2

from hotline.errors import HotlineError
from hotline.settings import REPO_ROOT

log = logging.getLogger(__name__)

TEMPLATES_DIR = REPO_ROOT / "deploy"
ENV_FILE = Path("/etc/hotline/hotline.env")
CERT_NAME = "hotline.crt"
KEY_NAME = "hotline.key"


@dataclasses.dataclass(frozen=True)
class NginxSite:
    server_name: str
    listen: str                      # "443", "127.0.0.1:8443"
    certificate: Path
    certificate_key: Path
    console_ports: tuple[int, ...]
    console_host: str = "127.0.0.1"
    http_listen: str | None = "80"   # a plain-HTTP server that redirects; None: none
    access_log: str = "/var/log/nginx/hotline-access.log"


@dataclasses.dataclass(frozen=True)
class Services:
    user: str
    repo: Path
    venv: Path
    threads: int = 100
    console_host: str = "127.0.0.1"
    env_file: Path = ENV_FILE
    # The purge timer's hour, in the office's zone (settings.office_timezone).
    office_timezone: str = "Asia/Shanghai"
    purge_at: str = "03:30:00"


@dataclasses.dataclass(frozen=True)
class TlsFiles:
    certificate: Path
    key: Path


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              autoescape=False)


def _render(template: str, **values) -> str:
    return _environment().get_template(template).render(**values)


def render_nginx_site(site: NginxSite) -> str:
    if not site.console_ports:
        raise HotlineError("deploy: the nginx site needs at least one console port")
    return _render("nginx-site.conf.tmpl", **dataclasses.asdict(site))


def render_standalone_nginx(prefix: Path, site_file: Path) -> str:
    """A whole nginx.conf under `prefix` that includes `site_file`; the temp folders
    are made. As root, the workers stay root (they write under a private prefix)."""
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None
    return _render("nginx-standalone.conf.tmpl", prefix=prefix, site=site_file, user=user)


def render_bridge_unit(services: Services) -> str:
    return _render("hotline-bridge.service.tmpl", **dataclasses.asdict(services))


def render_sweep_unit(services: Services) -> str:
    return _render("hotline-sweep.service.tmpl", **dataclasses.asdict(services))


def render_line_import_unit(services: Services) -> str:
    return _render("hotline-line-import.service.tmpl", **dataclasses.asdict(services))


def render_purge_units(services: Services) -> tuple[str, str]:
    """The retention purge's oneshot service and the nightly timer that starts it."""
    values = dataclasses.asdict(services)
    return (_render("hotline-purge.service.tmpl", **values),
            _render("hotline-purge.timer.tmpl", **values))


def render_console_unit(services: Services) -> str:
    return _render("hotline-console@.service.tmpl", **dataclasses.asdict(services))


def check_nginx_config(config_file: Path, prefix: Path, nginx: str = "/usr/sbin/nginx") -> str:
    """`nginx -t` on a whole config; its output, or HotlineError with it."""
    result = subprocess.run([nginx, "-t", "-p", str(prefix), "-c", str(config_file),
                             "-e", str(prefix / "error.log")],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise HotlineError(f"nginx -t refused {config_file}: {result.stderr.strip()}")
    return result.stderr


def make_self_signed_certificate(folder: Path, name: str = "hotline.lab",
                                 addresses: tuple[str, ...] = ("127.0.0.1",),
                                 days: int = 825, force: bool = False) -> TlsFiles:
    """A self-signed certificate for the lab (openssl): key 0600, never in git."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise HotlineError("deploy: openssl is not installed (apt-get install openssl)")
    files = TlsFiles(folder / CERT_NAME, folder / KEY_NAME)
    if files.key.exists() and not force:
        return files
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    files.key.unlink(missing_ok=True)
    # The key file exists, empty and 0600, before openssl writes into it.
    os.close(os.open(files.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    alt_names = ",".join([f"DNS:{name}", "DNS:localhost", *(f"IP:{a}" for a in addresses)])
    result = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", str(days), "-subj", f"/CN={name}",
         "-addext", f"subjectAltName={alt_names}",
         "-keyout", str(files.key), "-out", str(files.certificate)],
        capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        files.key.unlink(missing_ok=True)
        raise HotlineError(f"deploy: openssl failed: {result.stderr.strip()[-300:]}")
    os.chmod(files.key, 0o600)
    log.info("self-signed certificate for %s in %s", name, folder)
    return files


def render(site: NginxSite, services: Services, out_dir: Path) -> list[Path]:
    """Write the nginx site, the units (the purge's timer too), an environment file and
    INSTALL.txt."""
    files = {
        out_dir / "nginx" / "hotline.conf": render_nginx_site(site),
        out_dir / "systemd" / "hotline-bridge.service": render_bridge_unit(services),
        out_dir / "systemd" / "hotline-console@.service": render_console_unit(services),
        out_dir / "systemd" / "hotline-sweep.service": render_sweep_unit(services),
        out_dir / "systemd" / "hotline-line-import.service": render_line_import_unit(services),
        out_dir / "systemd" / "hotline-purge.service": render_purge_units(services)[0],
        out_dir / "systemd" / "hotline-purge.timer": render_purge_units(services)[1],
        out_dir / "hotline.env": _render("hotline.env.tmpl", **dataclasses.asdict(services)),
        out_dir / "INSTALL.txt": _render("INSTALL.txt.tmpl", site=site, services=services),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
