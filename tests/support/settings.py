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
