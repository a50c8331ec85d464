"""`hotline deploy kamailio`: the proxy's configuration passes Kamailio's own
check; bad addresses are refused in one line (the integration test
test_two_hosts_lab runs it in front of two Asterisk hosts)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from hotline.cli import main


def _render(out, *options):
    return CliRunner().invoke(main, ["deploy", "kamailio", "--out", str(out), *options])


def test_the_rendered_proxy_passes_kamailios_check(tmp_path):
    result = _render(tmp_path, "--listen", "127.0.0.10:5060", "--host", "127.0.0.1:5060",
                     "--host", "127.0.0.2:5060")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dispatcher.list").read_text() == \
        "1 sip:127.0.0.1:5060 0 0\n1 sip:127.0.0.2:5060 0 0\n"
    config = (tmp_path / "kamailio.cfg").read_text()
    assert "listen=udp:127.0.0.10:5060" in config and 'ds_select_dst("1", "4")' in config


@pytest.mark.parametrize("options, message", [
    (["--listen", "proxy:5060", "--host", "127.0.0.1:5060"], "--listen: 'proxy:5060' is not address:port"),
    (["--listen", "127.0.0.10:5060", "--host", "127.0.0.1"], "--host: '127.0.0.1' is not address:port"),
    (["--listen", "127.0.0.10:5060", "--host", "127.0.0.1:5060", "--host", "127.0.0.1:5060"],
     "--host: a host is given twice"),
])
def test_bad_addresses_are_refused(tmp_path, options, message):
    result = _render(tmp_path / "out", *options)
    assert result.exit_code == 2 and result.output.strip().endswith(message)
    assert not (tmp_path / "out").exists()
