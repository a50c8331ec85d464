"""Errors of the agent console."""


class ConsoleError(Exception):
    """Base of the console's own errors; views turn them into a message for the user."""


class IllegalTransition(ConsoleError):
    """A work order was asked to move to a status its current one cannot reach."""

    def __init__(self, from_status: str, to_status: str):
        super().__init__(f"cannot go from {from_status} to {to_status}")
        self.from_status = from_status
        self.to_status = to_status


class InvalidOrder(ConsoleError):
    """A work order's fields do not make a valid order (e.g. a complaint without a tier)."""


class CommandUnavailable(ConsoleError):
    """The command channel to Asterisk (through the bridge) could not be used."""


class NotPermitted(ConsoleError):
    """The user may not change that work order (agents: only orders they created)."""


class AssetBuildError(ConsoleError):
    """A build product of the console (the ring sound) could not be made: sox missing or failed."""


class InvalidCallFilter(ConsoleError):
    """A filter of the supervisor's call list has a value it cannot use."""

    def __init__(self, field: str, value: str):
        super().__init__(f"{field}: {value!r} cannot be used")
        self.field = field
        self.value = value
