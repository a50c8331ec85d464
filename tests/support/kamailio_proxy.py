"""Debian's Kamailio, started in the foreground on the configuration
`hotline.kamailio` renders, for the multi-host tests; its dispatcher's view of
each host read with kamcmd."""
from __future__ import annotations

import dataclasses
import re
import signal
import subprocess
from pathlib import Path

from hotline import kamailio

KAMCMD = "/usr/sbin/kamcmd"
DESTINATION_RE = re.compile(r"URI:\s*(sip:\S+)\s+FLAGS:\s*(\S+)")


@dataclasses.dataclass
class Proxy:
    plan: kamailio.ProxyPlan
    process: subprocess.Popen
    log_path: Path

    def host_flags(self) -> dict[str, str]:
        """sip:host:port -> dispatcher flags ('AP' active and probed, 'IP' inactive...)."""
        result = subprocess.run([KAMCMD, "-s", f"unix:{self.plan.ctl_socket}", "dispatcher.list"],
                                capture_output=True, text=True, timeout=10)
        text = " ".join(result.stdout.split())
        return dict(DESTINATION_RE.findall(text))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_proxy(listen: str, hosts: list[str], folder: Path) -> Proxy:
    folder.mkdir(parents=True, exist_ok=True)
    plan = kamailio.make_plan(listen, hosts, folder)
    config = kamailio.write(plan, folder)
    kamailio.check_config(config)
    log_path = folder / "kamailio.log"
    with log_path.open("ab") as log_file:
        process = subprocess.Popen(
            [kamailio.KAMAILIO, "-f", str(config), "-P", str(folder / "kamailio.pid"),
             "-Y", str(folder), "-DD", "-E"],
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True)
    return Proxy(plan, process, log_path)
