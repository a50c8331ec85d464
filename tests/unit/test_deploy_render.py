"""`hotline deploy`: the rendered nginx site passes Debian's `nginx -t`, the
systemd units pass `systemd-analyze verify`, the lab certificate's key is 0600,
and the console's gunicorn settings are the threaded single worker."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hotline import deploy
from hotline.errors import HotlineError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> deploy.TlsFiles:
    return deploy.make_self_signed_certificate(tmp_path_factory.mktemp("tls"))


def _site(tls: deploy.TlsFiles, prefix: Path, **changes) -> deploy.NginxSite:
    values = dict(server_name="hotline.lab", listen="127.0.0.1:18443",
                  certificate=tls.certificate, certificate_key=tls.key,
                  console_ports=(5001, 5002, 5003), http_listen="127.0.0.1:18080",
                  access_log=str(prefix / "access.log"))
    values.update(changes)
    return deploy.NginxSite(**values)


def _standalone(prefix: Path, site_text: str) -> Path:
    site_file = prefix / "hotline.conf"
    site_file.write_text(site_text)
    config = prefix / "nginx.conf"
    config.write_text(deploy.render_standalone_nginx(prefix, site_file))
    return config


def test_the_rendered_site_passes_nginx_t(tmp_path, tls):
    site = _site(tls, tmp_path)
    text = deploy.render_nginx_site(site)
    output = deploy.check_nginx_config(_standalone(tmp_path, text), tmp_path)
    assert "test is successful" in output
    for port in site.console_ports:
        assert f"server 127.0.0.1:{port} " in text
    assert "hash $remote_addr consistent;" in text
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "return 301 https://" in text


def test_without_the_redirect_server_there_is_no_plain_http_listen(tmp_path, tls):
    text = deploy.render_nginx_site(_site(tls, tmp_path, http_listen=None))
    deploy.check_nginx_config(_standalone(tmp_path, text), tmp_path)
    listens = [line.strip() for line in text.splitlines() if line.strip().startswith("listen ")]
    assert "return 301" not in text and listens == ["listen 127.0.0.1:18443 ssl;"]


def test_nginx_t_refuses_a_broken_site(tmp_path, tls):
    text = deploy.render_nginx_site(_site(tls, tmp_path)).replace("hash $remote_addr", "hsah")
    with pytest.raises(HotlineError, match="nginx -t refused"):
        deploy.check_nginx_config(_standalone(tmp_path, text), tmp_path)


def test_a_site_needs_a_console(tmp_path, tls):
    with pytest.raises(HotlineError):
        deploy.render_nginx_site(_site(tls, tmp_path, console_ports=()))


def test_the_lab_key_is_0600_and_kept_unless_forced(tmp_path):
    files = deploy.make_self_signed_certificate(tmp_path / "tls")
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700
    subject = subprocess.run(["openssl", "x509", "-in", str(files.certificate), "-noout",
                              "-ext", "subjectAltName"], capture_output=True, text=True,
                             check=True).stdout
    assert "IP Address:127.0.0.1" in subject
    first = files.certificate.read_bytes()
    assert deploy.make_self_signed_certificate(tmp_path / "tls").certificate.read_bytes() == first
    again = deploy.make_self_signed_certificate(tmp_path / "tls", force=True)
    assert again.certificate.read_bytes() != first
    assert stat.S_IMODE(again.key.stat().st_mode) == 0o600


def test_the_units_pass_systemd_analyze(tmp_path):
    services = deploy.Services(user="root", repo=REPO, venv=Path(sys.prefix), threads=50)
    bridge = tmp_path / "hotline-bridge.service"
    bridge.write_text(deploy.render_bridge_unit(services))
    template = tmp_path / "hotline-console@.service"
    console = deploy.render_console_unit(services)
    template.write_text(console)
    instance = tmp_path / "hotline-console@5001.service"
    instance.symlink_to(template.name)
    sweep = tmp_path / "hotline-sweep.service"
    sweep.write_text(deploy.render_sweep_unit(services))
    line_import = tmp_path / "hotline-line-import.service"
    line_import.write_text(deploy.render_line_import_unit(services))
    result = subprocess.run(["systemd-analyze", "verify", str(bridge), str(instance), str(sweep),
                             str(line_import)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "HOTLINE_CONSOLE_PORT=%i" in console and "HOTLINE_TRUSTED_PROXY_HOPS=1" in console
    assert f"{sys.prefix}/bin/hotline console --production --threads 50" in console
    assert "StandardError=journal" in console
    assert f"{sys.prefix}/bin/hotline workflow sweep --every 60" in sweep.read_text()
    assert f"{sys.prefix}/bin/hotline stats import-line --every 30" in line_import.read_text()


def test_render_writes_every_file(tmp_path, tls):
    site = _site(tls, tmp_path)
    services = deploy.Services(user="root", repo=REPO, venv=Path(sys.prefix))
    written = deploy.render(site, services, tmp_path / "out")
    names = sorted(path.relative_to(tmp_path / "out").as_posix() for path in written)
    assert names == ["INSTALL.txt", "hotline.env", "nginx/hotline.conf",
                     "systemd/hotline-bridge.service", "systemd/hotline-console@.service",
                     "systemd/hotline-line-import.service",
                     "systemd/hotline-purge.service", "systemd/hotline-purge.timer",
                     "systemd/hotline-sweep.service"]
    install = (tmp_path / "out" / "INSTALL.txt").read_text()
    assert "hotline-console@5001 hotline-console@5002 hotline-console@5003" in install
    assert "systemd/hotline-purge.timer /etc/systemd/system/" in install
    assert "systemctl enable --now hotline-purge.timer" in install
    assert "hotline-sweep hotline-line-import hotline-console@5001" in install


def test_the_cli_renders_into_a_folder(tmp_path):
    env = dict(os.environ, HOTLINE_STATE_DIR=str(tmp_path / "state"))
    subprocess.run([sys.executable, "-m", "hotline.cli", "deploy", "self-signed-cert"],
                   env=env, check=True, capture_output=True)
    result = subprocess.run([sys.executable, "-m", "hotline.cli", "deploy", "render", "--out",
                             str(tmp_path / "out"), "--workers", "4", "--first-port", "6001"],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    site = (tmp_path / "out" / "nginx" / "hotline.conf").read_text()
    assert [f"127.0.0.1:{port}" in site for port in range(6001, 6005)] == [True] * 4
    assert str(tmp_path / "state" / "tls" / "hotline.key") in site


def test_gunicorn_runs_one_threaded_worker_believing_no_forwarded_header():
    from agent_console.production import gunicorn_options
    from tests.support.settings import make_settings

    options = gunicorn_options(make_settings(console_port=5007), threads=64)
    assert options["worker_class"] == "gthread" and options["workers"] == 1
    assert options["threads"] == 64 and options["bind"] == ["127.0.0.1:5007"]
    assert options["forwarded_allow_ips"] == ""


def test_the_hand_run_gunicorn_config_is_the_same(tmp_path):
    result = subprocess.run(
        [str(Path(sys.prefix) / "bin" / "gunicorn"), "--print-config", "-c",
         str(REPO / "deploy" / "gunicorn.conf.py"), "agent_console.wsgi:app"],
        cwd=REPO, capture_output=True, text=True, timeout=60,
        env=dict(os.environ, HOTLINE_STATE_DIR=str(tmp_path)))
    assert result.returncode == 0, result.stderr
    config = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    config = {name.strip(): value.strip() for name, value in config.items()}
    assert config["worker_class"] == "gthread" and config["workers"] == "1"
    assert config["forwarded_allow_ips"] == "[]"


def test_the_purge_timer_and_service_pass_systemd_analyze(tmp_path):
    services = deploy.Services(user="root", repo=REPO, venv=Path(sys.prefix),
                               office_timezone="Asia/Shanghai")
    service_text, timer_text = deploy.render_purge_units(services)
    service = tmp_path / "hotline-purge.service"
    service.write_text(service_text)
    timer = tmp_path / "hotline-purge.timer"
    timer.write_text(timer_text)
    result = subprocess.run(["systemd-analyze", "verify", str(timer), str(service)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"ExecStart={sys.prefix}/bin/hotline purge\n" in service_text
    assert "Type=oneshot" in service_text and "[Install]" not in service_text  # the timer starts it
    assert "Unit=hotline-purge.service" in timer_text and "Persistent=true" in timer_text
    assert "WantedBy=timers.target" in timer_text


def test_the_purge_timer_fires_at_night_in_the_office_zone(tmp_path):
    """systemd reads the calendar as 03:30 in Shanghai (19:30 UTC), whatever the server's zone."""
    _service, timer_text = deploy.render_purge_units(deploy.Services(
        user="root", repo=REPO, venv=Path(sys.prefix), office_timezone="Asia/Shanghai"))
    [calendar] = [line.split("=", 1)[1] for line in timer_text.splitlines()
                  if line.startswith("OnCalendar=")]
    result = subprocess.run(["systemd-analyze", "calendar", calendar], capture_output=True,
                            text=True, timeout=30, env=dict(os.environ, TZ="UTC"))
    assert result.returncode == 0, result.stderr
    assert "19:30:00 UTC" in result.stdout, result.stdout

