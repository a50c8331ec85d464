"""call_queue.live_packets: the same packets and queue messages as python-socketio's,
without its walk of every payload for bytes."""
from __future__ import annotations

import json

import pytest
from socketio import packet as sio_packet
from socketio.pubsub_manager import PubSubManager

from call_queue import live_packets
from call_queue.live import BatchedEmitter

POP = {"callid": "c1", "interface": "PJSIP/8101", "event_at": 1.5, "received_at": 2.25,
       "pop": {"unknown": False, "candidates": [{"household_id": 6, "rooms": ["1-1-203"],
                                                "person_name": "蔡杰秀"}],
               "household": {"balance": {"total_due": "0.00", "months_in_arrears": 0},
                             "open_work_orders": [], "ivr_session": None}}}

PACKETS = [
    dict(packet_type=sio_packet.EVENT, data=["screen_pop", POP], namespace="/agent"),
    dict(packet_type=sio_packet.EVENT, data=["snapshot", POP]),
    dict(packet_type=sio_packet.EVENT, data=["ping"], namespace="/agent", id=7),
    dict(packet_type=sio_packet.ACK, data=[{"ok": True}], namespace="/agent", id=3),
    dict(packet_type=sio_packet.CONNECT, data={"sid": "abc"}, namespace="/agent"),
    dict(packet_type=sio_packet.CONNECT_ERROR, data={"message": "login required"},
         namespace="/agent"),
    dict(packet_type=sio_packet.DISCONNECT, namespace="/agent"),
    # Binary parts: the library's own way, a binary event with its attachments.
    dict(packet_type=sio_packet.EVENT, data=["file", {"body": b"\x00\x01", "n": [1, b"x"]}],
         namespace="/agent"),
    dict(packet_type=sio_packet.ACK, data=[b"raw"], id=4),
]


@pytest.mark.parametrize("arguments", PACKETS)
def test_live_packet_is_the_librarys_packet_on_the_wire(arguments):
    ours, theirs = live_packets.LivePacket(**arguments), sio_packet.Packet(**arguments)
    assert ours.packet_type == theirs.packet_type
    assert ours.encode() == theirs.encode()


def test_live_packet_decodes_as_the_library_does():
    encoded = sio_packet.Packet(sio_packet.EVENT, ["screen_pop", POP], "/agent").encode()
    decoded = live_packets.LivePacket(encoded_packet=encoded)
    assert (decoded.packet_type, decoded.namespace, decoded.data) == (
        sio_packet.EVENT, "/agent", ["screen_pop", POP])


def test_a_payload_json_cannot_hold_is_refused_as_before():
    with pytest.raises(TypeError):
        live_packets.LivePacket(sio_packet.EVENT, ["screen_pop", {"at": object()}]).encode()
    with pytest.raises(TypeError):
        sio_packet.Packet(sio_packet.EVENT, ["screen_pop", {"at": object()}]).encode()


def test_the_live_packet_does_not_walk_a_text_payload(monkeypatch):
    walked = []
    monkeypatch.setattr(live_packets.LivePacket, "data_is_binary",
                        classmethod(lambda cls, data: walked.append(data) or False))
    live_packets.LivePacket(sio_packet.EVENT, ["screen_pop", POP], "/agent").encode()
    assert walked == []


class _Library(PubSubManager):
    """python-socketio's own emit, publishing into a list."""

    def __init__(self, host_id: str):
        super().__init__(channel="hotline", write_only=True)
        self.host_id = host_id
        self.published: list[str] = []

    def _publish(self, data) -> None:
        self.published.append(self.json.dumps(data))


@pytest.mark.parametrize("data", [POP, ("two", {"parts": [1, 2]}), None, [1, "x"]])
@pytest.mark.parametrize("target", [dict(room="agent:PJSIP/8101"), dict(to="agent:PJSIP/8101"),
                                    dict()])
def test_the_bridge_publishes_the_librarys_message(data, target):
    ours = BatchedEmitter("redis://127.0.0.1:1/0", channel="hotline")
    theirs = _Library(ours.host_id)
    ours.emit("screen_pop", data, namespace="/agent", **target)
    theirs.emit("screen_pop", data, namespace="/agent", **target)
    assert [json.loads(text) for text in ours.take_published()] == \
        [json.loads(text) for text in theirs.published]


def test_the_bridge_sends_binary_payloads_the_librarys_way():
    ours = BatchedEmitter("redis://127.0.0.1:1/0", channel="hotline")
    theirs = _Library(ours.host_id)
    payload = {"recording": b"\x00\x01\x02", "callid": "c1"}
    ours.emit("clip", payload, namespace="/agent", room="r")
    theirs.emit("clip", payload, namespace="/agent", room="r")
    published = [json.loads(text) for text in ours.take_published()]
    assert published == [json.loads(text) for text in theirs.published]
    assert published[0]["binary"] is True


def test_the_bridge_emitter_does_not_walk_a_text_payload(monkeypatch):
    walked = []
    monkeypatch.setattr(sio_packet.Packet, "data_is_binary",
                        classmethod(lambda cls, data: walked.append(data) or False))
    emitter = BatchedEmitter("redis://127.0.0.1:1/0", channel="hotline")
    emitter.emit("screen_pop", POP, namespace="/agent", room="r")
    assert walked == [] and len(emitter.take_published()) == 1


def test_the_console_sends_live_packets(app):
    from agent_console import socketio

    assert socketio.server.packet_class is live_packets.LivePacket
