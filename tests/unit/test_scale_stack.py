"""bench/scale's hosts: each rendered as a real server on its own loopback address, its
phones at static contacts on that address, Kamailio its only trunk, its own RTP range,
and every call queued (no office-hours AGI, no announcement answering the caller)."""
from __future__ import annotations

from bench import scale_stack as stack
from hotline import lab_config
from tests.support.settings import make_settings


def _rendered(tmp_path, spec):
    own = stack.host_settings(make_settings(state_dir=tmp_path), spec, tmp_path, "secret")
    return own, lab_config.render_all(own, stack.host_site(spec))


def test_each_host_is_its_own_server_behind_kamailio(tmp_path):
    a, b = stack.HOSTS
    assert not set(a.extensions) & set(b.extensions) and a.rtp[1] < b.rtp[0]
    own, files = _rendered(tmp_path, b)
    assert (own.asterisk_host, own.ami_host, own.ami_secret) == ("b", "127.0.0.3", "secret")
    assert own.queue_log_path.parts[-2:] == ("asterisk-b", "queue_log")
    pjsip = files["pjsip.conf"]
    assert "bind = 127.0.0.3:5060" in pjsip and "match = 127.0.0.10\n" in pjsip
    assert "contact = sip:8026@127.0.0.3:5100" in pjsip and "[8001]" not in pjsip
    assert "bindaddr = 127.0.0.3" in files["manager.conf"]


def test_every_call_is_queued_without_being_answered_first(tmp_path):
    _, files = _rendered(tmp_path, stack.HOSTS[0])
    dialplan = stack.without_office_hours(files["extensions.conf"])
    assert "/office_hours)" in files["extensions.conf"] and "/office_hours)" not in dialplan
    assert "Gosub(office-hours,s,1)" in dialplan  # the context stays, it just says open
    queues = stack.without_announcements(files["queues.conf"])
    assert "announce-position = no" in queues and "announce-holdtime = no" in queues
