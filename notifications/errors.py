"""Errors of the notifications package: each says what was wrong with the request."""
from __future__ import annotations

from hotline.errors import HotlineError


class NotificationError(HotlineError):
    """A notification could not be raised or acknowledged."""


class UnknownKind(NotificationError):
    def __init__(self, kind: str):
        super().__init__(f"unknown notification kind {kind!r} (register it in notifications/kinds.py)")
        self.kind = kind


class BadParams(NotificationError):
    """The params do not fill the kind's message, or are not JSON."""


class NotYours(NotificationError):
    """The notification does not exist for this user (another user's, or none)."""

    def __init__(self, notification_id: int):
        super().__init__(f"notification {notification_id} is not addressed to you")
        self.notification_id = notification_id
