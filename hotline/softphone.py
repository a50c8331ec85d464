"""The agents' WebRTC softphones on the Asterisk side (issue 17).

Each agent extension 80NN has, beside its desk phone endpoint, a WebRTC endpoint
`webrtc-80NN` the console page registers over the secure WebSocket (wss) of
Asterisk's HTTP server. An agent is a softphone agent when their queue interface
(users.phone_interface) is `PJSIP/webrtc-80NN`: the queue then rings the browser,
and a browser that is not registered makes the member unavailable (not rung).

The endpoints' digest passwords are generated once into a 0600 accounts file in
the state folder (like the other secrets) and reused on every render; the console
hands an agent their own password when the desk opens. The lab's TLS certificate
(self-signed, for 127.0.0.1) is made at `lab up` into the state folder, its key
0600, and copied into the Asterisk root; a real server names its own files.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import ipaddress
import logging
import re
import secrets
import shutil
import socket
import subprocess
from pathlib import Path

from hotline.atomic_files import write_text
from hotline.errors import LabError

log = logging.getLogger(__name__)

ENDPOINT_PREFIX = "webrtc-"
ENDPOINT_RE = re.compile(r"PJSIP/webrtc-([0-9]{2,8})")
ACCOUNT_RE = re.compile(r"^[0-9]{2,8}$")
MIN_PASSWORD_CHARS = 16
# Loaded by modules.conf at start; a running lab loads them at reload (lab.reload).
MODULES = ("res_crypto.so", "res_srtp.so", "res_http_websocket.so",
           "res_pjsip_transport_websocket.so", "codec_opus_open_source.so",
           "res_format_attr_opus.so")
# Where the lab's Asterisk reads its certificate, inside its root.
LAB_KEYS_DIR = "etc/asterisk/keys"
CERT_NAME = "webrtc-cert.pem"
KEY_NAME = "webrtc-key.pem"
CERT_DAYS = 825
OPENSSL_TIMEOUT_S = 60


@dataclasses.dataclass(frozen=True)
class SoftphoneAccount:
    extension: str
    password: str

    @property
    def endpoint(self) -> str:
        return ENDPOINT_PREFIX + self.extension

    @property
    def interface(self) -> str:
        return f"PJSIP/{self.endpoint}"


def softphone_extension(interface: str | None) -> str | None:
    """'PJSIP/webrtc-8001' -> '8001'; a desk phone (or none) -> None."""
    match = ENDPOINT_RE.fullmatch(interface or "")
    return match.group(1) if match else None


def interface_for(extension: str) -> str:
    return f"PJSIP/{ENDPOINT_PREFIX}{extension}"


def read_accounts(path: Path) -> dict[str, str]:
    """extension -> password from the accounts file (missing: empty)."""
    if not path.exists():
        return {}
    accounts = {}
    for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))):
        extension = (row.get("extension") or "").strip()
        password = (row.get("password") or "").strip()
        if ACCOUNT_RE.match(extension) and len(password) >= MIN_PASSWORD_CHARS:
            accounts[extension] = password
    return accounts


def ensure_accounts(path: Path, extensions: list[str]) -> tuple[SoftphoneAccount, ...]:
    """The accounts of `extensions`, new passwords generated and the file rewritten
    (0600) only when one was missing: a re-render never locks a browser out."""
    known = read_accounts(path)
    missing = [extension for extension in extensions if extension not in known]
    for extension in missing:
        known[extension] = secrets.token_urlsafe(18)
    if missing:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["extension", "password"])
        writer.writerows(sorted(known.items()))
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_text(path, out.getvalue(), 0o600)
    return tuple(SoftphoneAccount(extension, known[extension]) for extension in extensions)


def account_for(path: Path, interface: str | None) -> SoftphoneAccount | None:
    """The softphone account of a queue interface, or None (desk phone, or unknown)."""
    extension = softphone_extension(interface)
    if extension is None:
        return None
    password = read_accounts(path).get(extension)
    return SoftphoneAccount(extension, password) if password else None


def host_addresses() -> tuple[str, ...]:
    """This machine's non-loopback IPv4 addresses: Asterisk builds its ICE host
    candidates from them even with RTP bound to loopback, so the lab maps each to
    127.0.0.1 (rtp.conf [ice_host_candidates]) to keep every packet on loopback."""
    found: list[str] = []
    try:
        result = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True,
                                text=True, timeout=5)
        lines = result.stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 4 and parts[2] == "inet":
            address = parts[3].split("/")[0]
            if not ipaddress.ip_address(address).is_loopback:
                found.append(address)
    if not found:
        try:
            address = socket.gethostbyname(socket.gethostname())
            if not ipaddress.ip_address(address).is_loopback:
                found.append(address)
        except OSError:
            pass
    return tuple(dict.fromkeys(found))


def lab_certificate(state_dir: Path) -> tuple[Path, Path]:
    """(certificate, key) in the state folder, made once with openssl (key 0600)."""
    folder = Path(state_dir) / "tls"
    cert, key = folder / CERT_NAME, folder / KEY_NAME
    if cert.exists() and key.exists():
        return cert, key
    openssl = shutil.which("openssl")
    if openssl is None:
        raise LabError("openssl is not installed (Debian package openssl)")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key.touch(mode=0o600)
    key.chmod(0o600)  # before openssl writes the private key into it
    result = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", str(CERT_DAYS), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        capture_output=True, text=True, timeout=OPENSSL_TIMEOUT_S)
    if result.returncode != 0:
        cert.unlink(missing_ok=True)
        raise LabError(f"openssl could not make the softphone certificate: "
                       f"{result.stderr.strip()[-200:]}")
    key.chmod(0o600)
    log.info("softphone TLS certificate written to %s", cert)
    return cert, key


def install_lab_certificate(state_dir: Path, lab_root: Path) -> None:
    """Copy the lab's certificate and key into the Asterisk root (0600 key; the
    caller chowns etc/asterisk to the asterisk user)."""
    cert, key = lab_certificate(state_dir)
    keys = Path(lab_root) / LAB_KEYS_DIR
    keys.mkdir(parents=True, exist_ok=True)
    keys.chmod(0o700)
    write_text(keys / CERT_NAME, cert.read_text(), 0o644)
    write_text(keys / KEY_NAME, key.read_text(), 0o600)


def template_values(settings, site) -> dict:
    """The softphone's values for asterisk_conf/*.tmpl (lab_config.template_values)."""
    accounts = ensure_accounts(Path(settings.softphone_accounts_file),
                               [phone.extension for phone in site.phones])
    port = settings.softphone_wss_bind.rpartition(":")[2]
    # A real server listens where its SIP does; the lab where the settings say.
    host = (settings.softphone_wss_bind if site.lab else site.sip_bind).rpartition(":")[0]
    keys = "/" + LAB_KEYS_DIR
    return {
        "softphones": accounts,
        "http_bind": host,
        "http_tls_bind": f"{host}:{port}",
        "tls_cert": (settings.asterisk_tls_cert if not site.lab and settings.asterisk_tls_cert
                     else f"{keys}/{CERT_NAME}"),
        "tls_key": (settings.asterisk_tls_key if not site.lab and settings.asterisk_tls_key
                    else f"{keys}/{KEY_NAME}"),
        "ice_host_candidates": host_addresses() if site.lab else (),
    }
