"""The WebRTC softphones in the rendered Asterisk configuration (hotline/softphone.py)."""
from __future__ import annotations

import stat

import pytest

from hotline import softphone
from hotline.lab_config import render_all
from hotline.settings import get_settings


@pytest.fixture
def settings(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path / "state"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_every_agent_extension_gets_a_webrtc_endpoint_with_its_own_password(settings):
    pjsip = render_all(settings)["pjsip.conf"]
    accounts = softphone.read_accounts(settings.softphone_accounts_file)
    assert len(accounts) == 50 and len(set(accounts.values())) == 50
    assert f"username = webrtc-8001\npassword = {accounts['8001']}\n" in pjsip
    assert "[webrtc-8050](agent-softphone)\naors = webrtc-8050\n" in pjsip
    template = pjsip.split("[agent-softphone](!)", 1)[1].split("\n\n", 1)[0]
    for line in ("webrtc = yes", "allow = opus,ulaw,alaw", "transport = transport-wss",
                 "media_address = 127.0.0.1"):
        assert line in template
    assert "endpoint_identifier_order = username,ip,anonymous" in pjsip
    assert stat.S_IMODE(settings.softphone_accounts_file.stat().st_mode) == 0o600


def test_rendering_again_keeps_the_passwords(settings):
    render_all(settings)
    first = softphone.read_accounts(settings.softphone_accounts_file)
    render_all(settings)
    assert softphone.read_accounts(settings.softphone_accounts_file) == first


def test_the_lab_listens_for_wss_on_loopback_and_keeps_ice_there(settings):
    rendered = render_all(settings)
    assert "tlsenable = yes" in rendered["http.conf"]
    assert "tlsbindaddr = 127.0.0.1:8089" in rendered["http.conf"]
    assert "tlsprivatekey = /etc/asterisk/keys/webrtc-key.pem" in rendered["http.conf"]
    assert "ice_permit = 127.0.0.0/8" in rendered["rtp.conf"]
    for address in softphone.host_addresses():
        assert f"{address} => 127.0.0.1" in rendered["rtp.conf"]
    assert "load = res_pjsip_transport_websocket.so" in rendered["modules.conf"]


def test_a_server_names_its_own_certificate_and_listens_where_its_sip_does(settings, monkeypatch):
    from hotline.asterisk_site import server_site

    monkeypatch.setenv("HOTLINE_ASTERISK_TLS_CERT", "/etc/ssl/hotline/fullchain.pem")
    monkeypatch.setenv("HOTLINE_ASTERISK_TLS_KEY", "/etc/ssl/hotline/privkey.pem")
    get_settings.cache_clear()
    site = server_site("10.1.2.3:5060", ["10.9.0.0/24"], "10.1.2.3", ["10.1.2.4"], ["8001"], {})
    rendered = render_all(get_settings(), site)
    assert "tlscertfile = /etc/ssl/hotline/fullchain.pem" in rendered["http.conf"]
    assert "tlsbindaddr = 10.1.2.3:8089" in rendered["http.conf"]
    assert "ice_host_candidates" not in rendered["rtp.conf"]
    assert "[webrtc-8001](agent-softphone)" in rendered["pjsip.conf"]
    assert "media_address" not in rendered["pjsip.conf"]


def test_softphone_interfaces_are_told_from_desk_phones():
    assert softphone.softphone_extension("PJSIP/webrtc-8001") == "8001"
    assert softphone.softphone_extension("PJSIP/8001") is None
    assert softphone.softphone_extension(None) is None
    assert softphone.softphone_extension("PJSIP/webrtc-8001&PJSIP/8002") is None


def test_the_lab_certificate_has_a_private_key(tmp_path):
    cert, key = softphone.lab_certificate(tmp_path)
    assert "BEGIN CERTIFICATE" in cert.read_text()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert softphone.lab_certificate(tmp_path) == (cert, key)  # made once
