"""The softphone's browser tests and bench (issue 17): chromium with fake media
that keeps every WebRTC packet on loopback (../shared/webrtc-lab.md), SIPp
residents who stay on the line, and the lab's view of a softphone's contact."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

from tests.labtools import SIPP_DIR
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

MEDIA_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              "--ignore-certificate-errors", "--allow-loopback-in-peer-connection",
              "--autoplay-policy=no-user-gesture-required",
              "--disable-features=WebRtcHideLocalIpsWithMdns"]
# The build ignores --force-webrtc-ip-handling-policy: the profile's preference works.
PREFERENCES = {"webrtc": {"ip_handling_policy": "default_public_and_private_interfaces"}}
# Refuses the microphone: the permission prompt answered "block".
NO_MICROPHONE_ARGS = ["--deny-permission-prompts"]


@contextlib.contextmanager
def softphone_chromium(profile: Path, *, microphone: bool = True, locale: str = "zh-CN"):
    """A persistent chromium context (one profile per test) with a fake microphone
    (a beep), or with the microphone refused; closed on exit."""
    from playwright.sync_api import sync_playwright

    assert shutil.which(CHROMIUM), "Debian's chromium is not installed"
    (profile / "Default").mkdir(parents=True, exist_ok=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(PREFERENCES))
    media = [arg for arg in MEDIA_ARGS
             if microphone or arg != "--use-fake-ui-for-media-stream"]
    args = CHROMIUM_ARGS + media + ([] if microphone else NO_MICROPHONE_ARGS)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=args, headless=True,
            viewport={"width": 1366, "height": 768}, locale=locale,
            timezone_id="Asia/Shanghai", ignore_https_errors=True)
        try:
            yield context
        finally:
            context.close()


@dataclasses.dataclass
class StayingCaller:
    process: subprocess.Popen
    log_path: Path

    def wait(self, timeout_s: float) -> int:
        return self.process.wait(timeout=timeout_s)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def staying_caller(hotline_number: str, number: str, name: str, log_dir: Path,
                   local_port: int) -> StayingCaller:
    """A SIPp resident (caller `number`) calling the hotline who sends silence and
    stays until the agent hangs up."""
    binary = shutil.which("sipp")
    assert binary, "sipp is not installed (Debian package sip-tester)"
    folder = log_dir / f"caller-{local_port}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "callers.csv").write_text(f"SEQUENTIAL\n{number};{name}\n")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-e", "u-law", "-b", "8",
                    str(folder / "silence.wav"), "trim", "0", "5"], check=True, timeout=30)
    log_path = folder / "sipp.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [binary, "-sf", str(SIPP_DIR / "softphone_caller_uac.xml"), "-nostdin",
             "127.0.0.1:5060", "-i", "127.0.0.1", "-p", str(local_port), "-s", hotline_number,
             "-inf", "callers.csv", "-m", "1", "-mp", str(18000 + 2 * (local_port % 500)),
             "-trace_err", "-error_file", str(folder / "sipp.err")],
            cwd=folder, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return StayingCaller(process, log_path)


def contact_of(lab, endpoint: str) -> str:
    """The endpoint's registered contact line in `pjsip show contacts`, or ''."""
    output = lab.cli("pjsip show contacts")
    return next((line.strip() for line in output.splitlines()
                 if f"Contact:  {endpoint}/" in line), "")


def device_state(lab, endpoint: str) -> str:
    """PJSIP's device state word for the endpoint (Unavailable, Not in use, In use...)."""
    for line in lab.cli(f"pjsip show endpoint {endpoint}").splitlines():
        if line.strip().startswith("Endpoint:") and endpoint in line:
            words = line.split()
            return " ".join(words[2:-3]) if len(words) > 5 else ""
    return ""


def login(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(base_url + "/console")


@contextlib.contextmanager
def logged_in_softphone(profile: Path, base_url: str, username: str, password: str):
    """A softphone agent's page in its own chromium profile, logged in to the console."""
    with softphone_chromium(profile) as context:
        page = context.pages[0] if context.pages else context.new_page()
        login(page, base_url, username, password)
        yield page


def softphone_live_stack(lab, database_url: str, redis_server, state_dir: Path,
                         artifacts: Path, monkeypatch):
    """run_live_stack with the console handing out the passwords the lab's Asterisk
    was rendered with (a generator, like run_live_stack)."""
    from tests.support.live_stack import run_live_stack

    monkeypatch.setenv("HOTLINE_SOFTPHONE_ACCOUNTS_FILE", str(lab.settings.softphone_accounts_file))
    yield from run_live_stack(lab, database_url, redis_server, state_dir, artifacts)
