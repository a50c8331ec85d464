"""Where a stored recording path is on this host (the rule the console's player uses)."""
from __future__ import annotations

from pathlib import Path

from call_queue.errors import RecordingError
from call_queue.qa import recording_file


class _Stored:
    """The two attributes call_queue.qa.recording_file reads from a call."""

    def __init__(self, callid: str, recording_path: str):
        self.callid, self.recording_path = callid, recording_path


def on_disk(stored_path: str, recordings_dir: Path) -> Path | None:
    """The file under recordings_dir, or None when it is missing or leaves the folder."""
    try:
        return recording_file(_Stored("", stored_path), recordings_dir)
    except RecordingError:
        return None


def expected_place(stored_path: str, recordings_dir: Path) -> Path:
    """Where the recording belongs under recordings_dir (to put a copy back)."""
    path = Path(stored_path)
    return Path(recordings_dir).resolve() / (path.name if path.is_absolute() else path)
