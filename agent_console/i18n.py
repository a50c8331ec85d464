"""Translations: the .po catalogues in the repo, compiled to .mo when needed.

The catalogues' message ids are English; Simplified Chinese is the default
locale. The .mo files are build products, so they are compiled into the state
folder (outside git) on start whenever a .po is newer; `hotline console
compile-translations` does the same by hand.
"""
from __future__ import annotations

import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from hotline.atomic_files import replaced_atomically

log = logging.getLogger(__name__)

SOURCE_DIR = Path(__file__).resolve().parent / "translations"


def compiled_translations_dir(state_dir: Path) -> Path:
    """Compile every catalogue whose .mo is missing or older; return the folder."""
    target_root = Path(state_dir) / "translations"
    for po_path in sorted(SOURCE_DIR.glob("*/LC_MESSAGES/*.po")):
        relative = po_path.relative_to(SOURCE_DIR).with_suffix(".mo")
        mo_path = target_root / relative
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3])
        with replaced_atomically(mo_path) as temporary, temporary.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        log.info("compiled %s", mo_path)
    return target_root
