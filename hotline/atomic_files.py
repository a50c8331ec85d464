"""Files written whole: several processes (the console's gunicorns, the bridge)
start at once on one state folder and build the same files, and a secret must
never sit in a file that is still readable by others."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def replaced_atomically(target: Path, mode: int = 0o644) -> Iterator[Path]:
    """A temporary path of this process's own beside `target` (same suffix, for
    tools that read the format from it), with `mode` before its first byte, moved
    over `target` when the block ends without error. A shared temporary name
    would let one process move another's half-written file into place, and the
    other's move then fail."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.",
                                        suffix=target.suffix)
    temporary = Path(name)
    try:
        os.fchmod(descriptor, mode)  # mkstemp makes 0600; the umask does not apply to fchmod
        os.close(descriptor)
        yield temporary
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str, mode: int) -> None:
    """Replace `path` by `text` (UTF-8), the file having `mode` from its first byte."""
    with replaced_atomically(path, mode) as temporary:
        temporary.write_text(text, encoding="utf-8")
