"""Files written whole: several processes (the console's gunicorns, the bridge)
start at once on one state folder and build the same files."""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def replaced_atomically(target: Path) -> Iterator[Path]:
    """A temporary path of this process's own beside `target` (same suffix, for
    tools that read the format from it), moved over `target` when the block ends
    without error. A shared temporary name would let one process move another's
    half-written file into place, and the other's move then fail."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.",
                                        suffix=target.suffix)
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would differ from a file written plainly
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
