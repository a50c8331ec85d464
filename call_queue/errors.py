"""Errors of the call_queue package (live state, statistics, queue_log checks)."""
from hotline.errors import HotlineError


class CallQueueError(HotlineError):
    """Base of this package's errors; the CLI prints them as one line."""


class StatsError(CallQueueError):
    """A statistics request cannot be answered (bad period, bucket or filter)."""


class QueueLogError(CallQueueError):
    """A queue_log file cannot be read or does not match the project's figures."""


class SpyRequestError(CallQueueError):
    """A listen/whisper/barge request cannot be sent (bad mode, no call, bridge said no)."""


class QaError(CallQueueError):
    """A QA score that cannot be stored (unknown call, a criterion out of range)."""


class RecordingError(CallQueueError):
    """A recording that cannot be served (none stored, outside the folder, missing file)."""


class OfficeCalendarError(CallQueueError):
    """The office calendar file cannot be read: one line naming the file and the key."""

    def __init__(self, path, key: str, problem: str):
        super().__init__(f"{path}: {key}: {problem}")
        self.path = path
        self.key = key
