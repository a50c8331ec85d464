"""An AMI that records the actions sent to it and answers each with one response,
for a real CommandExecutor in unit tests (the lab tests send the same to Asterisk)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from telephony.ami.adapter import AmiResponse
from telephony.ami.protocol import AmiMessage
from telephony.commands import CommandExecutor


class RecordingAmi:
    def __init__(self, message: str = "Success"):
        self.sent: list[dict] = []
        self.message = message

    def send_action(self, fields, timeout=5):
        self.sent.append(dict(fields))
        response = "Success" if self.message == "Success" else "Error"
        return AmiResponse(AmiMessage(Response=response, ActionID="a1", Message=self.message))


@contextmanager
def bridge_commands(settings, message: str = "Success",
                    bridge: str = "main") -> Iterator[RecordingAmi]:
    """A real CommandExecutor of `bridge` (one Asterisk host's) on the settings' Redis
    (signed with their command key), its AMI a RecordingAmi answering `message`;
    stopped when the block ends."""
    recorder = RecordingAmi(message)
    executor = CommandExecutor(settings.redis_url, recorder, bridge=bridge,
                               default_queue="hotline", command_key=settings.command_key)
    executor.start()
    try:
        yield recorder
    finally:
        executor.stop()
