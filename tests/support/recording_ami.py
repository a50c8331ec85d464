"""An AMI that records the actions sent to it and answers each with one response,
for a real CommandExecutor in unit tests (the lab tests send the same to Asterisk)."""
from __future__ import annotations

from telephony.ami.adapter import AmiResponse
from telephony.ami.protocol import AmiMessage


class RecordingAmi:
    def __init__(self, message: str = "Success"):
        self.sent: list[dict] = []
        self.message = message

    def send_action(self, fields, timeout=5):
        self.sent.append(dict(fields))
        response = "Success" if self.message == "Success" else "Error"
        return AmiResponse(AmiMessage(Response=response, ActionID="a1", Message=self.message))
