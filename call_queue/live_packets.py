"""Socket.IO's packet and message-queue emit without the walk for binary parts.

python-socketio looks for bytes in every payload it sends by walking it,
item by item, in Python: the bridge once per message it publishes, the console
once more per message it relays. For a screen-pop (a household record of about
1.6 KB) that walk costs two to three times the JSON encoding of the same payload,
and fifty pops at once pay it a hundred times on the server's core.

Both payloads are JSON-encoded right after the walk anyway, and JSON cannot hold
bytes: so here the encoding comes first and is the check. Only a payload that
JSON refuses (bytes inside, or something else it cannot hold) goes the library's
way, which then sends it as a binary event or raises as it always did.

`LivePacket` is the console's packet class (Socket.IO's `serializer`);
`queue_message` builds the bridge's published message (call_queue.live's
BatchedEmitter), the same dictionary python-socketio's PubSubManager.emit
publishes.
"""
from __future__ import annotations

from typing import Optional

from socketio import packet as sio_packet

_TEXT_TYPES = (sio_packet.EVENT, sio_packet.ACK)


class LivePacket(sio_packet.Packet):
    """A Socket.IO packet whose JSON is encoded once, at creation, instead of
    walking its data for bytes first; equal on the wire to the library's."""

    def __init__(self, packet_type=sio_packet.EVENT, data=None, namespace=None, id=None,
                 binary=None, encoded_packet=None):
        self._text: Optional[str] = None
        if binary is None and encoded_packet is None and data is not None \
                and packet_type in _TEXT_TYPES:
            try:
                self._text = self.json.dumps(data, separators=(",", ":"))
                binary = False
            except TypeError:  # bytes inside, or not JSON at all: the library decides
                self._text = None
        super().__init__(packet_type, data, namespace, id, binary, encoded_packet)

    def encode(self):
        if self._text is None or self.packet_type not in _TEXT_TYPES:
            return super().encode()
        encoded = str(self.packet_type)
        if self.namespace is not None and self.namespace != "/":
            encoded += self.namespace + ","
        if self.id is not None:
            encoded += str(self.id)
        return encoded + self._text


def queue_message(json_module, host_id: str, event: str, data, namespace: Optional[str],
                  room) -> Optional[str]:
    """PubSubManager.emit's message for a payload without callback, as JSON text;
    None if JSON cannot hold it (the caller then takes the library's way)."""
    message = {"method": "emit", "event": event,
               "data": list(data) if isinstance(data, tuple) else [data],
               "binary": False, "namespace": namespace or "/", "room": room,
               "skip_sid": None, "callback": None, "host_id": host_id}
    try:
        return json_module.dumps(message)
    except TypeError:
        return None
