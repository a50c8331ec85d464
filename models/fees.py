"""Tables of the fees area."""
from __future__ import annotations

from models.base import Base  # noqa: F401
