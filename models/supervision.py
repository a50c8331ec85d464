"""Tables of the supervision area."""
from __future__ import annotations

from models.base import Base  # noqa: F401
