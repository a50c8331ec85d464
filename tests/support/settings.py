"""The one way tests get settings: a real `Settings` from load_settings(), with overrides.

No hand-made stand-ins: a field the code needs is always there, with its real
default, and a bad override fails as it would in production (dataclasses.replace
refuses unknown fields).
"""
from __future__ import annotations

import dataclasses

from hotline.settings import Settings, load_settings


def make_settings(**overrides) -> Settings:
    """load_settings() (the environment of the test run) with `overrides` replaced."""
    return dataclasses.replace(load_settings(), **overrides)


# The queue figures the live-board tests count with, whatever the environment says.
LIVE_BOARD_FIGURES = {"service_level_s": 20, "short_abandon_s": 5, "wrapup_s": 30,
                      "office_timezone": "UTC", "database_url": "sqlite://",
                      "redis_url": "redis://127.0.0.1:1/0"}


def live_board_settings(**overrides) -> Settings:
    """make_settings with LIVE_BOARD_FIGURES (nothing listens on Redis port 1: tests hand
    the sink their own client)."""
    return make_settings(**{**LIVE_BOARD_FIGURES, **overrides})
