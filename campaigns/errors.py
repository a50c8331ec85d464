"""The campaign package's errors."""
from __future__ import annotations


class CampaignError(Exception):
    """A campaign request that cannot be carried out (said to the supervisor as is)."""


class CampaignConfigError(CampaignError):
    """Calling hours or caps that cannot be read; names the value."""
