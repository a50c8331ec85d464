"""Errors of the keep-my-place callbacks."""
from __future__ import annotations


class LineCallbackError(Exception):
    """A booking or a report that cannot be taken as it is (said in one line)."""
