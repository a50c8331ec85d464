"""The AMI wire protocol as a pure, incremental parser: bytes in, messages out.

No sockets and no threads here (panoramisk's split): `AmiParser.feed()` takes
chunks of any size, cut anywhere (mid-line, mid-UTF-8 sequence), and returns the
complete messages they finish. The AMI stream is a greeting line
(`Asterisk Call Manager/11.0.0`) then frames of `Name: value` lines, each frame
ended by a blank line.

Bad input never raises and never stalls the stream: a line without a colon is
skipped; bytes that are not UTF-8 become U+FFFD; a header value over
`max_value_bytes` or a frame over `max_frame_bytes` drops that whole frame and
the parser resyncs at the next blank line. Each of these is logged and counted
in `AmiParser.stats`.

Asterisk C-escapes caller names and variable values (`O\\'Brien`), while raw
UTF-8 (张三) passes unchanged; the parser decodes the whole frame first, then
unescapes those headers (`unescape_ami_value`), so the rest of the system sees
the names as the caller said them.
"""
from __future__ import annotations

import logging
import re
from typing import Iterable, Mapping

from telephony.errors import AmiProtocolError

log = logging.getLogger(__name__)

DEFAULT_MAX_VALUE_BYTES = 64 * 1024
DEFAULT_MAX_FRAME_BYTES = 1024 * 1024
LOG_FIRST, LOG_EVERY = 20, 1000
# A greeting longer than this is not a greeting: parse the bytes as frames.
_MAX_GREETING_BYTES = 256

_FRAME_END = re.compile(rb"\r?\n\r?\n")
# The longest tail of a chunk that can be the start of a frame end (\r\n\r).
_FRAME_END_OVERLAP = 3

# ast_escape_c() in main/utils.c escapes exactly these.
_C_ESCAPES = {
    "a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
    "\\": "\\", "'": "'", '"': '"', "?": "?",
}
_ESCAPE_SEQUENCE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPED_SUFFIXES = ("CallerIDName", "ConnectedLineName", "ChanVariable")
_ESCAPED_NAMES = frozenset({"Value", "Variable"})


def unescape_ami_value(value: str) -> str:
    """Undo Asterisk's C escaping: `O\\'Brien` -> `O'Brien`; UTF-8 text unchanged.

    An unknown escape (`\\x`) is kept as written rather than guessed at.
    """
    if "\\" not in value:
        return value
    return _ESCAPE_SEQUENCE.sub(
        lambda match: _C_ESCAPES.get(match.group(1), match.group(0)), value)


def is_escaped_header(name: str) -> bool:
    """Whether Asterisk C-escapes this header's value (names, variable values)."""
    return name in _ESCAPED_NAMES or name.endswith(_ESCAPED_SUFFIXES)


class AmiMessage(dict):
    """One AMI frame: header name (as sent) -> its first value.

    Headers that repeat in a frame (`Output` of Command, `ChanVariable`) keep every
    value, in order, in `multi(name)`.
    """

    _repeats: dict[str, list[str]] | None = None

    def multi(self, name: str) -> list[str]:
        """Every value of `name` in arrival order ([] when absent)."""
        if self._repeats is not None and name in self._repeats:
            return list(self._repeats[name])
        return [self[name]] if name in self else []

    def add(self, name: str, value: str) -> None:
        """Add a header, keeping earlier values of a repeated name."""
        if name not in self:
            self[name] = value
            return
        if self._repeats is None:
            self._repeats = {}
        self._repeats.setdefault(name, [self[name]]).append(value)

    @property
    def event(self) -> str | None:
        return self.get("Event")

    @property
    def response(self) -> str | None:
        return self.get("Response")

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    def __repr__(self) -> str:
        return f"AmiMessage({dict.__repr__(self)})"


class AmiParser:
    """Incremental AMI parser; one per connection (`reset()` on reconnect)."""

    def __init__(self, max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
                 max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
                 expect_greeting: bool = True, events: Iterable[str] | None = None):
        """`events`: when given, only these events are parsed and returned; others
        (VarSet, Newexten, ... the noise manager.conf's eventfilter would cut) are
        counted in stats["skipped_events"]. Responses and events carrying an
        ActionID (list-action replies) are always returned.
        """
        self.wanted_events = frozenset(events) if events is not None else None
        self.max_value_bytes = max_value_bytes
        self.max_frame_bytes = max_frame_bytes
        self._expect_greeting_at_start = expect_greeting
        self.stats = {"frames": 0, "dropped_frames": 0, "malformed_lines": 0,
                      "decode_errors": 0, "unescaped_values": 0, "skipped_events": 0}
        self.reset()

    def reset(self) -> None:
        """Forget any partial frame: a new connection starts with a new greeting."""
        self._buffer = bytearray()
        self._scan_from = 0
        self._discarding = False
        self._awaiting_greeting = self._expect_greeting_at_start
        self.greeting: str | None = None

    def feed(self, data: bytes) -> list[AmiMessage]:
        """Add bytes from the socket; return the messages they complete, in order."""
        if not data:
            return []
        self._buffer += data
        if self._awaiting_greeting and not self._take_greeting():
            return []
        if self._discarding and not self._skip_oversized_frame():
            return []
        return self._take_frames()

    def _problem(self, kind: str, message: str, *args) -> None:
        """Count a bad-input case; log the first few, then one in LOG_EVERY (a storm
        of garbage must not become a storm of log lines)."""
        count = self.stats[kind] = self.stats[kind] + 1
        if count <= LOG_FIRST or count % LOG_EVERY == 0:
            log.warning(message + " [%s #%d]", *args, kind, count)

    def _take_greeting(self) -> bool:
        """Consume the greeting line; False while it is still incomplete."""
        newline = self._buffer.find(b"\n", 0, _MAX_GREETING_BYTES)
        if newline < 0:
            if len(self._buffer) < _MAX_GREETING_BYTES:
                return False
            self._awaiting_greeting = False
            return True
        line = bytes(self._buffer[:newline]).rstrip(b"\r")
        self._awaiting_greeting = False
        if b":" in line:
            return True  # no greeting on this stream: the line opens a frame
        self.greeting = line.decode("utf-8", "replace").strip()
        del self._buffer[:newline + 1]
        return True

    def _skip_oversized_frame(self) -> bool:
        """Drop bytes up to the next blank line; False while none has arrived."""
        match = _FRAME_END.search(self._buffer, self._scan_from)
        if match is None:
            keep = self._buffer[-_FRAME_END_OVERLAP:]
            self._buffer = bytearray(keep)
            self._scan_from = 0
            return False
        del self._buffer[:match.end()]
        self._scan_from = 0
        self._discarding = False
        log.warning("AMI: resynced after an oversized frame")
        return True

    def _take_frames(self) -> list[AmiMessage]:
        buffer = self._buffer
        end = self._last_frame_end(buffer)
        block = b""
        if end:
            block = bytes(buffer[:end])
            del buffer[:end]
        self._scan_from = max(0, len(buffer) - _FRAME_END_OVERLAP)
        if len(buffer) > self.max_frame_bytes:
            self._drop_partial_frame()
        return self._parse_block(block) if block else []

    def _last_frame_end(self, buffer: bytearray) -> int:
        """Offset just past the last blank line in the buffer (0: none yet)."""
        lf_lf = buffer.rfind(b"\n\n", self._scan_from)
        lf_crlf = buffer.rfind(b"\n\r\n", self._scan_from)
        return max(lf_lf + 2 if lf_lf >= 0 else 0, lf_crlf + 3 if lf_crlf >= 0 else 0)

    def _drop_partial_frame(self) -> None:
        self._problem("dropped_frames",
                      "AMI: dropping a frame over %d bytes; resyncing at the next blank line",
                      self.max_frame_bytes)
        self._discarding = True
        self._buffer = bytearray(self._buffer[-_FRAME_END_OVERLAP:])
        self._scan_from = 0

    def _parse_block(self, block: bytes) -> list[AmiMessage]:
        """Parse complete frames; one decode and one split for the whole block (speed)."""
        if b"\r" in block:
            block = block.replace(b"\r\n", b"\n")
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError as error:
            # Line breaks are ASCII, so decoding the block decodes each line on its own.
            self._problem("decode_errors",
                          "AMI: bytes that are not UTF-8 replaced with U+FFFD (%s at byte %d)",
                          error.reason, error.start)
            text = block.decode("utf-8", "replace")
        messages = []
        check_from = min(self.max_value_bytes, self.max_frame_bytes) // 4
        wanted = self.wanted_events
        for frame in text.split("\n\n"):
            if not frame or (len(frame) > check_from and self._oversized(frame)):
                continue
            if wanted is not None and self._unwanted(frame, wanted):
                continue
            message = self._parse_frame(frame)
            if message:
                messages.append(message)
        self.stats["frames"] += len(messages)
        return messages

    def _unwanted(self, frame: str, wanted: frozenset) -> bool:
        if not frame.startswith("Event: ") or "\nActionID:" in frame:
            return False
        name_end = frame.find("\n")
        name = frame[7:name_end if name_end >= 0 else len(frame)]
        if name in wanted:
            return False
        self.stats["skipped_events"] += 1
        return True

    def _oversized(self, frame: str) -> bool:
        size = len(frame.encode("utf-8"))
        if size > self.max_frame_bytes:
            self._problem("dropped_frames", "AMI: dropped a frame of %d bytes (limit %d)",
                          size, self.max_frame_bytes)
            return True
        for line in frame.split("\n"):
            if len(line) * 4 > self.max_value_bytes and \
                    len(line.encode("utf-8")) > self.max_value_bytes:
                self._problem("dropped_frames",
                              "AMI: dropped a frame with a header over %d bytes (%r...)",
                              self.max_value_bytes, line[:40])
                return True
        return False

    def _parse_frame(self, frame: str) -> AmiMessage | None:
        lines = frame.split("\n")
        try:
            # Fast path, all in C: every line is "Name: value" and no name repeats.
            message = AmiMessage([line.split(": ", 1) for line in lines])
            if len(message) != len(lines) or "" in message:
                raise ValueError("repeated, empty or malformed header")
        except ValueError:
            message = AmiMessage()
            for line in lines:
                self._add_line(message, line)
            return message or None
        if "\\" in frame:
            self._unescape_headers(message)
        return message

    def _unescape_headers(self, message: AmiMessage) -> None:
        for name, value in message.items():
            if "\\" in value and is_escaped_header(name):
                message[name] = unescape_ami_value(value)
                self.stats["unescaped_values"] += 1

    def _add_line(self, message: AmiMessage, line: str) -> None:
        name, colon, value = line.partition(":")
        if not colon or not name:
            if line.strip():
                self._problem("malformed_lines",
                              "AMI: skipped a line without a header name: %r", line[:80])
            return
        if value[:1] == " ":
            value = value[1:]
        if "\\" in value and is_escaped_header(name):
            value = unescape_ami_value(value)
            self.stats["unescaped_values"] += 1
        if name in message:
            message.add(name, value)
        else:
            message[name] = value


def parse_stream(data: bytes, chunk_size: int | None = None) -> list[AmiMessage]:
    """Parse a whole recorded transcript (tests, benchmark)."""
    parser = AmiParser()
    if chunk_size is None:
        return parser.feed(data)
    messages: list[AmiMessage] = []
    for offset in range(0, len(data), chunk_size):
        messages.extend(parser.feed(data[offset:offset + chunk_size]))
    return messages


def encode_action(fields: Mapping[str, object]) -> bytes:
    """One AMI action as bytes; a list value repeats its header (Variable: a=1 ...).

    A name or value holding a line break would inject headers or end the frame
    early, so it raises AmiProtocolError instead of being sent.
    """
    lines = []
    for name, value in fields.items():
        values: Iterable[object] = value if isinstance(value, (list, tuple)) else (value,)
        for item in values:
            text = _action_value(item)
            _check_header(name, text)
            lines.append(f"{name}: {text}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("utf-8")


def _action_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _check_header(name: str, value: str) -> None:
    if not name or ":" in name or any(ch in name for ch in "\r\n "):
        raise AmiProtocolError(f"bad AMI header name {name!r}")
    if "\r" in value or "\n" in value:
        raise AmiProtocolError(f"AMI header {name} holds a line break: {value[:40]!r}")
