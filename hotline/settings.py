"""Every setting of the hotline, read from the environment in one place.

`load_settings()` checks every variable at start: a bad value raises
`SettingsError` naming the variable, and the CLI prints that one line and exits.
Secrets (the AMI secret, Flask's secret key, Redis's password, the command
key) are never defaults in the repo: when their variable is unset they are
generated once into 0600 files under the state folder, outside git.
"""
from __future__ import annotations

import dataclasses
import os
import re
import secrets
import tempfile
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from hotline.errors import SettingsError

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass(frozen=True)
class Settings:
    state_dir: Path
    database_url: str
    # With the credential in it (see _with_credential): every client that builds
    # its connection from this URL authenticates. Kept out of repr and logs.
    redis_url: str = dataclasses.field(repr=False)
    ami_host: str
    ami_port: int
    ami_user: str
    ami_secret_file: Path
    fastagi_host: str
    fastagi_port: int
    lab_root: Path
    lab_shared_phone_port: int
    recordings_dir: Path
    queue_log_path: Path
    stereo_recording: bool
    ring_cadence_s: float
    service_level_s: int
    short_abandon_s: int
    wrapup_s: int
    fcr_window_days: int
    console_host: str
    console_port: int
    secret_key_file: Path
    redis_password_file: Path
    command_key_file: Path
    # A second AMI user with the rights tests need (DBPut, Command); the lab
    # renders it, the bridge never uses it.
    test_ami_user: str
    test_ami_secret_file: Path
    hotline_number: str
    ivr_number: str
    queue_name: str
    outbound_dial: str
    local_area_code: str = "010"
    # The Asterisk host this bridge follows (its systemname): stored with every call,
    # since Uniqueids are only unique per host (models.calls.DEFAULT_HOST).
    asterisk_host: str = "main"
    # With several hosts, which one each agent's phone is on (telephony.host_plan),
    # e.g. "b=8026-8050": the console sends that agent's commands to that host's bridge.
    agent_hosts: str = ""
    late_fee_daily_rate: float = 0.0003
    office_timezone: str = "Asia/Shanghai"
    # Importer caps (households/sheet_files.py): a file past them is refused
    # before it costs memory; rows include the header row.
    import_max_rows: int = 100_000
    import_max_columns: int = 50
    import_max_uncompressed_mb: int = 200
    # FastAGI/IVR: Asterisk waits for a FastAGI reply without a time limit, so
    # the server bounds every read, every database call and the whole session.
    fastagi_read_timeout_s: float = 60.0
    ivr_max_session_s: float = 300.0
    ivr_db_timeout_s: float = 3.0
    ivr_input_timeout_s: float = 8.0
    sounds_dir: Path = Path("/var/cache/hotline/sid-root/usr/share/asterisk/sounds")
    # Reverse proxies in front of the console whose X-Forwarded-* headers are believed.
    trusted_proxy_hops: int = 0
    # FastAGI limits: a peer that is not Asterisk, a line or an environment
    # past these, or a connection beyond the worker pool is closed at once.
    fastagi_max_line_bytes: int = 8192
    fastagi_max_env_lines: int = 200
    fastagi_allowed_peers: tuple[str, ...] = ("127.0.0.1",)
    fastagi_workers: int = 32
    # IVR identity: the balance is spoken only after the caller proves the
    # household (owner's phone suffix or PIN); the caller ID alone if trusted.
    ivr_trust_caller_id: bool = False
    ivr_verify_max_failures: int = 3
    ivr_lockout_s: int = 900
    # The console refuses "ready" after an answered call until its wrap-up is saved.
    wrapup_required: bool = True
    # The WebRTC softphone (hotline/softphone.py): the endpoints' passwords file, the
    # address of Asterisk's TLS HTTP server (wss), the URL browsers open, and a real
    # server's certificate and key (empty: the lab's, generated at `lab up`).
    softphone_accounts_file: Path = Path("var/softphone-accounts.csv")
    softphone_wss_bind: str = "127.0.0.1:8089"
    softphone_wss_url: str = "wss://127.0.0.1:8089/ws"
    asterisk_tls_cert: str = ""
    asterisk_tls_key: str = ""
    # The wallboard's norms (domain.md, from 004): a caller waiting this long is an
    # alert; service level at least this % within service_level_s; abandonment at most
    # this %; at least this many agents ready. call_queue/norms.py applies them.
    norm_longest_wait_s: int = 20
    norm_service_level_pct: int = 80
    norm_abandon_pct: float = 5.0
    norm_agents_ready: int = 1
    # The office calendar (opening hours, holidays, 调休), call_queue/office_calendar.py.
    office_calendar_path: Path = REPO_ROOT / "deploy" / "office-calendar.toml"
    # Out of hours (telephony/night_line.py): how long the duty worker's phone rings
    # before the caller is offered voicemail, and the longest message.
    night_duty_ring_s: int = 30
    voicemail_max_s: int = 120
    # The queue's announcements and cap (hotline/line_values.py): position and wait
    # every this many s, the reassurance in between, at most this many waiting
    # (0 = no cap; the seeds' blocked-call norm is 1-3 %).
    queue_announce_frequency_s: int = 60
    queue_periodic_announce_s: int = 45
    queue_maxlen: int = 20
    # Keep-my-place callbacks (line_callback/): offered after this wait (0: not offered),
    # the retries' spacing, how long the resident's phone rings.
    callback_offer_s: int = 60
    callback_retry_spacing_s: int = 120
    callback_ring_s: int = 30
    # Lost calls called back by the same engine when a queue has nobody waiting
    # (line_callback.lost_calls), off unless asked for; lost calls older than the
    # window are left to the agents' list.
    lost_call_auto_callback: bool = False
    lost_call_callback_window_s: int = 4 * 3600

    @property
    def ami_secret(self) -> str:
        """The AMI secret: HOTLINE_AMI_SECRET, or the generated 0600 file."""
        from_env = os.environ.get("HOTLINE_AMI_SECRET")
        if from_env:
            return from_env
        return _read_or_create_secret(self.ami_secret_file)

    @property
    def secret_key(self) -> str:
        """Flask's session-signing key: HOTLINE_SECRET_KEY, or the generated file."""
        from_env = os.environ.get("HOTLINE_SECRET_KEY")
        if from_env:
            return from_env
        return _read_or_create_secret(self.secret_key_file)

    @property
    def command_key(self) -> bytes:
        """The HMAC key of console -> bridge commands: HOTLINE_COMMAND_KEY, or the file."""
        from_env = os.environ.get("HOTLINE_COMMAND_KEY")
        if from_env:
            return from_env.encode()
        return _read_or_create_secret(self.command_key_file).encode()

    @property
    def test_ami_secret(self) -> str:
        """The test-only AMI user's secret (generated 0600 file)."""
        return _read_or_create_secret(self.test_ami_secret_file)

    @property
    def redis_password(self) -> str | None:
        """The password in redis_url (the one the lab's Redis requires)."""
        password = urlsplit(self.redis_url).password
        return None if password is None else unquote(password)

    @property
    def redis_url_redacted(self) -> str:
        """redis_url as it may be printed: the password replaced by ***."""
        parts = urlsplit(self.redis_url)
        if parts.password is None:
            return self.redis_url
        user, _, host = parts.netloc.rpartition("@")
        return urlunsplit(parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}"))


def _read_or_create_secret(path: Path) -> str:
    """The secret in `path`, made on first use. Several processes may start at once
    (the console's gunicorns, the bridge): the file appears whole or not at all,
    by a link from a finished temporary file, so no reader sees it half written
    and all agree on the first one linked."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as draft_file:
            draft_file.write(secrets.token_urlsafe(24) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(draft)
    return path.read_text().strip()


def _with_credential(url: str, password: str) -> str:
    """`url` logging in as Redis's default user with `password`, unless it has a
    credential of its own. A Redis without a password (the private servers tests
    and benchmarks start) accepts any password for its default user, so the
    credential is added to every URL, not only the lab's."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        return url
    credential = f"default:{quote(password, safe='')}@"
    return urlunsplit(parts._replace(netloc=credential + parts.netloc))


def _redis_password(state_dir: Path) -> tuple[Path, str]:
    """(the password file, the password): HOTLINE_REDIS_PASSWORD or the generated file."""
    path = Path(_text("HOTLINE_REDIS_PASSWORD_FILE", str(state_dir / "redis-secret")))
    from_env = os.environ.get("HOTLINE_REDIS_PASSWORD")
    if from_env:
        return path, from_env
    try:
        return path, _read_or_create_secret(path)
    except OSError as error:
        raise SettingsError("HOTLINE_REDIS_PASSWORD_FILE",
                            f"cannot read or create {path}: {error.strerror}") from None


def _text(name: str, default: str) -> str:
    value = os.environ.get(name, default).strip()
    if not value:
        raise SettingsError(name, "must not be empty")
    return value


def _int(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = os.environ.get(name, str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"{raw!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise SettingsError(name, f"{value} is outside {minimum}..{maximum}")
    return value


def _float(name: str, default: float, minimum: float, maximum: float) -> float:
    raw = os.environ.get(name, str(default)).strip()
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"{raw!r} is not a number") from None
    if not minimum <= value <= maximum:
        raise SettingsError(name, f"{value} is outside {minimum}..{maximum}")
    return value


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "yes" if default else "no").strip().lower()
    if raw in ("1", "yes", "true", "on"):
        return True
    if raw in ("0", "no", "false", "off"):
        return False
    raise SettingsError(name, f"{raw!r} is not yes/no")


def _url(name: str, default: str, schemes: tuple[str, ...]) -> str:
    value = _text(name, default)
    scheme = urlsplit(value).scheme.split("+")[0]
    if scheme not in schemes:
        raise SettingsError(name, f"scheme {scheme!r} is not one of {', '.join(schemes)}")
    return value


def _host_port(name: str, default: str) -> tuple[str, int]:
    value = _text(name, default)
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(name, f"{value!r} is not HOST:PORT")
    return host, int(port)


def _digits(name: str, default: str) -> str:
    value = _text(name, default)
    if not value.isdigit():
        raise SettingsError(name, f"{value!r} is not a dialable number")
    return value


def _config_name(name: str, default: str) -> str:
    """A name written into Asterisk's configuration as a section ([name]): a
    bracket or a line break would start a section of the value's choosing."""
    value = _text(name, default)
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise SettingsError(name, f"{value!r} is not a name of letters, digits, - and _")
    return value


def _agent_hosts(name: str) -> str:
    """HOST=FIRST-LAST ranges of extensions, comma-separated; empty: one host."""
    from telephony.host_plan import HostPlan, HostPlanError

    value = os.environ.get(name, "").strip()
    try:
        HostPlan.parse(value, "main")
    except HostPlanError as error:
        raise SettingsError(name, str(error)) from None
    return value


def _area_code(name: str, default: str) -> str:
    value = _digits(name, default)
    if not (value.startswith("0") and 3 <= len(value) <= 4):
        raise SettingsError(name, f"{value!r} is not a Chinese area code like 010 or 0755")
    return value


def _timezone(name: str, default: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = _text(name, default)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(name, f"{value!r} is not a time zone like Asia/Shanghai") from None
    return value


def _peers(name: str, default: str) -> tuple[str, ...]:
    """A comma-separated list of IP addresses, networks (CIDR) or host names."""
    import ipaddress
    import re

    peers = tuple(part.strip() for part in _text(name, default).split(",") if part.strip())
    for peer in peers:
        try:
            ipaddress.ip_network(peer, strict=False)
        except ValueError:
            if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})", peer):
                raise SettingsError(name, f"{peer!r} is not an address, network or host name") \
                    from None
    if not peers:
        raise SettingsError(name, "must name at least one peer")
    return peers


def load_settings() -> Settings:
    """Read and check every variable; raise SettingsError on the first bad one."""
    state_dir = Path(_text("HOTLINE_STATE_DIR", str(REPO_ROOT / "var"))).resolve()
    lab_root = Path(_text("HOTLINE_LAB_ROOT", "/var/cache/hotline/sid-root"))
    fastagi_host, fastagi_port = _host_port("HOTLINE_FASTAGI_BIND", "127.0.0.1:4573")
    redis_password_file, redis_password = _redis_password(state_dir)
    return Settings(
        state_dir=state_dir,
        database_url=_url(
            "HOTLINE_DATABASE_URL", f"sqlite:///{state_dir / 'hotline.sqlite3'}",
            ("sqlite", "postgresql"),
        ),
        redis_url=_with_credential(
            _url("HOTLINE_REDIS_URL", "redis://127.0.0.1:6390/0", ("redis", "unix")),
            redis_password),
        ami_host=_text("HOTLINE_AMI_HOST", "127.0.0.1"),
        ami_port=_int("HOTLINE_AMI_PORT", 5038, 1, 65535),
        ami_user=_text("HOTLINE_AMI_USER", "hotline"),
        ami_secret_file=Path(_text("HOTLINE_AMI_SECRET_FILE", str(state_dir / "ami-secret"))),
        fastagi_host=fastagi_host,
        fastagi_port=fastagi_port,
        lab_root=lab_root,
        # 0: each lab phone 80NN has its own contact port, 5100+NN (one SIPp each);
        # a port: all 50 share it, so that one SIPp UAS answers them all (bench/load).
        lab_shared_phone_port=_int("HOTLINE_LAB_SHARED_PHONE_PORT", 0, 0, 65535),
        recordings_dir=Path(_text(
            "HOTLINE_RECORDINGS_DIR", str(lab_root / "var/spool/asterisk/monitor"))),
        queue_log_path=Path(_text(
            "HOTLINE_QUEUE_LOG", str(lab_root / "var/log/asterisk/queue_log"))),
        asterisk_host=_config_name("HOTLINE_ASTERISK_HOST", "main"),
        agent_hosts=_agent_hosts("HOTLINE_AGENT_HOSTS"),
        stereo_recording=_bool("HOTLINE_STEREO_RECORDING", False),
        ring_cadence_s=_float("HOTLINE_RING_CADENCE_S", 5.0, 0.5, 60.0),
        service_level_s=_int("HOTLINE_SERVICE_LEVEL_S", 20, 1, 3600),
        short_abandon_s=_int("HOTLINE_SHORT_ABANDON_S", 20, 0, 3600),
        wrapup_s=_int("HOTLINE_WRAPUP_S", 30, 0, 3600),
        fcr_window_days=_int("HOTLINE_FCR_WINDOW_DAYS", 7, 1, 365),
        console_host=_text("HOTLINE_CONSOLE_HOST", "127.0.0.1"),
        console_port=_int("HOTLINE_CONSOLE_PORT", 5000, 1, 65535),
        trusted_proxy_hops=_int("HOTLINE_TRUSTED_PROXY_HOPS", 0, 0, 5),
        secret_key_file=Path(_text("HOTLINE_SECRET_KEY_FILE", str(state_dir / "secret-key"))),
        redis_password_file=redis_password_file,
        command_key_file=Path(_text("HOTLINE_COMMAND_KEY_FILE", str(state_dir / "command-key"))),
        test_ami_user=_text("HOTLINE_TEST_AMI_USER", "hotline-test"),
        test_ami_secret_file=Path(_text(
            "HOTLINE_TEST_AMI_SECRET_FILE", str(state_dir / "ami-test-secret"))),
        hotline_number=_digits("HOTLINE_NUMBER", "4000"),
        ivr_number=_digits("HOTLINE_IVR_NUMBER", "4001"),
        queue_name=_config_name("HOTLINE_QUEUE", "hotline"),
        # An Asterisk Dial() string; ${EXTEN} is the resident's number.
        outbound_dial=_text("HOTLINE_OUTBOUND_DIAL", "Local/${EXTEN}@lab-residents"),
        # Caller numbers without an area code are local landlines in this area.
        local_area_code=_area_code("HOTLINE_LOCAL_AREA_CODE", "010"),
        # The seeds name the late fee (滞纳金) but give no rate: 0.03 % a day
        # (万分之三) is the figure common in Chinese property-service contracts.
        late_fee_daily_rate=_float("HOTLINE_LATE_FEE_DAILY_RATE", 0.0003, 0.0, 0.01),
        # The office's calendar day decides fee windows and late-fee days.
        office_timezone=_timezone("HOTLINE_OFFICE_TIMEZONE", "Asia/Shanghai"),
        import_max_rows=_int("HOTLINE_IMPORT_MAX_ROWS", 100_000, 2, 1_048_576),
        import_max_columns=_int("HOTLINE_IMPORT_MAX_COLUMNS", 50, 1, 16384),
        import_max_uncompressed_mb=_int("HOTLINE_IMPORT_MAX_UNCOMPRESSED_MB", 200, 1, 4096),
        fastagi_read_timeout_s=_float("HOTLINE_FASTAGI_READ_TIMEOUT_S", 60.0, 1.0, 3600.0),
        ivr_max_session_s=_float("HOTLINE_IVR_MAX_SESSION_S", 300.0, 5.0, 7200.0),
        ivr_db_timeout_s=_float("HOTLINE_IVR_DB_TIMEOUT_S", 3.0, 0.1, 60.0),
        ivr_input_timeout_s=_float("HOTLINE_IVR_INPUT_TIMEOUT_S", 8.0, 1.0, 60.0),
        # Asterisk's sounds folder; the Mandarin prompts go to its zh/ folder.
        sounds_dir=Path(_text(
            "HOTLINE_SOUNDS_DIR", str(lab_root / "usr/share/asterisk/sounds"))),
        fastagi_max_line_bytes=_int("HOTLINE_FASTAGI_MAX_LINE_BYTES", 8192, 256, 1048576),
        fastagi_max_env_lines=_int("HOTLINE_FASTAGI_MAX_ENV_LINES", 200, 20, 10000),
        # By default only the Asterisk the bridge talks AMI to may open FastAGI.
        fastagi_allowed_peers=_peers("HOTLINE_FASTAGI_ALLOWED_PEERS",
                                     os.environ.get("HOTLINE_AMI_HOST", "").strip()
                                     or "127.0.0.1"),
        fastagi_workers=_int("HOTLINE_FASTAGI_WORKERS", 32, 1, 1024),
        ivr_trust_caller_id=_bool("HOTLINE_IVR_TRUST_CALLER_ID", False),
        ivr_verify_max_failures=_int("HOTLINE_IVR_VERIFY_MAX_FAILURES", 3, 1, 20),
        ivr_lockout_s=_int("HOTLINE_IVR_LOCKOUT_S", 900, 10, 86400),
        wrapup_required=_bool("HOTLINE_WRAPUP_REQUIRED", True),
        softphone_accounts_file=Path(_text("HOTLINE_SOFTPHONE_ACCOUNTS_FILE",
                                           str(state_dir / "softphone-accounts.csv"))),
        softphone_wss_bind="%s:%d" % _host_port("HOTLINE_SOFTPHONE_WSS_BIND", "127.0.0.1:8089"),
        softphone_wss_url=_url("HOTLINE_SOFTPHONE_WSS_URL", "wss://127.0.0.1:8089/ws", ("wss",)),
        asterisk_tls_cert=os.environ.get("HOTLINE_ASTERISK_TLS_CERT", "").strip(),
        asterisk_tls_key=os.environ.get("HOTLINE_ASTERISK_TLS_KEY", "").strip(),
        norm_longest_wait_s=_int("HOTLINE_NORM_LONGEST_WAIT_S", 20, 1, 3600),
        norm_service_level_pct=_int("HOTLINE_NORM_SERVICE_LEVEL_PCT", 80, 1, 100),
        norm_abandon_pct=_float("HOTLINE_NORM_ABANDON_PCT", 5.0, 0.0, 100.0),
        norm_agents_ready=_int("HOTLINE_NORM_AGENTS_READY", 1, 0, 1000),
        office_calendar_path=Path(_text(
            "HOTLINE_OFFICE_CALENDAR", str(REPO_ROOT / "deploy" / "office-calendar.toml"))),
        night_duty_ring_s=_int("HOTLINE_NIGHT_DUTY_RING_S", 30, 5, 300),
        voicemail_max_s=_int("HOTLINE_VOICEMAIL_MAX_S", 120, 10, 600),
        queue_announce_frequency_s=_int("HOTLINE_QUEUE_ANNOUNCE_FREQUENCY_S", 60, 15, 600),
        queue_periodic_announce_s=_int("HOTLINE_QUEUE_PERIODIC_ANNOUNCE_S", 45, 15, 600),
        queue_maxlen=_int("HOTLINE_QUEUE_MAXLEN", 20, 0, 10000),
        callback_offer_s=_int("HOTLINE_CALLBACK_OFFER_S", 60, 0, 3600),
        callback_retry_spacing_s=_int("HOTLINE_CALLBACK_RETRY_SPACING_S", 120, 5, 86400),
        callback_ring_s=_int("HOTLINE_CALLBACK_RING_S", 30, 5, 120),
        lost_call_auto_callback=_bool("HOTLINE_LOST_CALL_AUTO_CALLBACK", False),
        lost_call_callback_window_s=_int("HOTLINE_LOST_CALL_CALLBACK_WINDOW_S", 4 * 3600,
                                         600, 7 * 86400),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once. Tests call `get_settings.cache_clear()`."""
    return load_settings()
