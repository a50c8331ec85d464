"""The keep-my-place callback in the rendered Asterisk configuration: the line's queue
offers it after the configured wait (its periodic announcement, started late) and takes
1 through [hotline-queue-keys]; HOTLINE_CALLBACK_OFFER_S=0 offers nothing. The dialplan's
callback contexts: the placeholder at its place, the resident dialled after the agent."""
from __future__ import annotations

import dataclasses

import pytest

from hotline.asterisk_site import server_site
from hotline.lab_config import render_all
from hotline.settings import get_settings, load_settings


@pytest.fixture
def settings(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("HOTLINE_AMI_SECRET", "s3cret-for-test")
    get_settings.cache_clear()
    yield load_settings()
    get_settings.cache_clear()


def _section(text: str, name: str) -> str:
    return text.split(f"\n[{name}]", 1)[1].split("\n[", 1)[0]


def _production(settings) -> dict:
    site = server_site("192.0.2.10:5060", ["192.0.2.1"], "127.0.0.1", ["127.0.0.1"],
                       ["8001"], {})
    return render_all(settings, site)


def test_the_production_queue_offers_the_callback_after_the_wait(settings):
    queue = _section(_production(dataclasses.replace(settings, callback_offer_s=90))
                     ["queues.conf"], "hotline")
    assert "context = hotline-queue-keys" in queue
    assert "periodic-announce = hotline/queue-callback-offer" in queue
    assert "periodic-announce-startdelay = 90" in queue


def test_no_offer_no_key_context(settings):
    queue = _section(_production(dataclasses.replace(settings, callback_offer_s=0))
                     ["queues.conf"], "hotline")
    assert "context =" not in queue and "startdelay" not in queue
    assert "periodic-announce = hotline/queue-periodic" in queue


def test_the_lab_offers_it_in_the_line_queue_only(settings):
    rendered = render_all(settings)["queues.conf"]
    assert "hotline-queue-keys" not in _section(rendered, "hotline")
    assert "context = hotline-queue-keys" in _section(rendered, "hotline-line")


def test_the_dialplan_books_places_and_dials(settings):
    dialplan = render_all(settings)["extensions.conf"]
    keys = _section(dialplan, "hotline-queue-keys")
    assert "callback_book,${HOTLINE_QUEUE},${HOTLINE_PLACE},${HOTLINE_JOINED}" in keys
    assert "Queue(${HOTLINE_QUEUE},rt,,,300,,,,${HOTLINE_PLACE})" in keys  # not booked: back
    placeholder = _section(dialplan, "hotline-callback-queue")
    assert "Gosub(hotline-queue,s,1(${PLACE}))" in placeholder
    assert "CALLBACK," in placeholder
    # The queue's name as a variable: FILTER(A-Za-z0-9_-) dropped the hyphen of hotline-line.
    assert "Set(HOTLINE_QUEUE=${HOTLINE_CALLBACK_QUEUE})" in placeholder
    queue = _section(dialplan, "hotline-queue")
    assert "Queue(${HOTLINE_QUEUE},rt,,,300,,,,${ARG1})" in queue
    dial = _section(dialplan, "hotline-callback-dial")
    assert "hangup_handler_push)=hotline-callback-end,s,1(${ATTEMPT},dial)" in dial
    assert "CALLBACKDIAL" in _section(dialplan, "hotline-callback-end")
