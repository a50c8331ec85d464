"""Errors of the hotline package (settings, lab)."""


class HotlineError(Exception):
    """Base of the errors this package raises; the CLI prints them as one line."""


class SettingsError(HotlineError):
    """An environment variable holds a value the program cannot use."""

    def __init__(self, variable: str, problem: str):
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


class LabError(HotlineError):
    """The lab (Asterisk in its chroot, Redis) cannot be brought up or down."""


class BridgeStartError(HotlineError):
    """A part of the bridge process (a sink) cannot be built: the bridge does not start."""


class AsteriskConfigError(HotlineError):
    """The configuration for a real Asterisk cannot be rendered from what was given."""
