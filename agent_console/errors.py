"""Errors of the agent console."""


class ConsoleError(Exception):
    """Base of the console's own errors; views turn them into a message for the user."""


class CommandUnavailable(ConsoleError):
    """The command channel to Asterisk (through the bridge) could not be used."""


class AssetBuildError(ConsoleError):
    """A build product of the console (the ring sound) could not be made: sox missing or failed."""


class InvalidCallFilter(ConsoleError):
    """A filter of the supervisor's call list has a value it cannot use."""

    def __init__(self, field: str, value: str):
        super().__init__(f"{field}: {value!r} cannot be used")
        self.field = field
        self.value = value
