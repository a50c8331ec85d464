"""Private files and folders for backups: 0600 and 0700 from the first byte, since a
backup holds every resident's name, numbers and recorded voice."""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


def private_dir(path: Path) -> Path:
    """Make `path` (and missing parents) 0700; an existing one is tightened to 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def create_private(path: Path) -> BinaryIO:
    """A new file opened for writing, 0600 before anything is in it; never overwrites."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(fd, "wb")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def copy_private(source: Path, target: Path) -> str:
    """Copy source to a new 0600 target (folders 0700); return the sha256 of what was copied."""
    private_parents(target)
    digest = hashlib.sha256()
    with open(source, "rb") as reader, create_private(target) as writer:
        for chunk in iter(lambda: reader.read(CHUNK), b""):
            digest.update(chunk)
            writer.write(chunk)
    shutil.copystat(source, target)
    os.chmod(target, 0o600)
    return digest.hexdigest()


def private_parents(target: Path) -> None:
    missing = []
    parent = target.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)
