"""Compiled message catalogs, built from the committed .po files when an install has none or an old one.

The .mo files are build output and not in the repository; compiling them here, at app start, means every
way of running the app (gunicorn, flask, the tests) serves the Chinese interface with no extra step.
"""

import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

#: The catalogs as committed: <locale>/LC_MESSAGES/messages.po.
SOURCE_DIR = Path(__file__).resolve().parent / "translations"

logger = logging.getLogger(__name__)


def _is_fresh(mo_path: Path, po_path: Path) -> bool:
    return mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime


def compile_catalogs(target_dir: Path, source_dir: Path = SOURCE_DIR) -> list[Path]:
    """Compile every .po whose .mo under target_dir is missing or older; returns the files written.

    Each file is written to a temporary name and renamed, so workers starting together never read half a file.
    """
    written = []
    for po_path in sorted(source_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = target_dir / po_path.relative_to(source_dir).with_suffix(".mo")
        if _is_fresh(mo_path, po_path):
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=mo_path.parent, prefix=".messages-", suffix=".mo")
        try:
            with os.fdopen(handle, "wb") as mo_file:
                write_mo(mo_file, catalog)
            os.replace(temporary, mo_path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(mo_path)
    return written


def ensure_compiled(preferred_dir: Path, source_dir: Path = SOURCE_DIR) -> Path:
    """The directory to read catalogs from: preferred_dir, or a private temporary one if it cannot be written."""
    try:
        compile_catalogs(preferred_dir, source_dir)
        return preferred_dir
    except OSError as error:
        fallback = Path(tempfile.mkdtemp(prefix="case-tracker-translations-"))
        logger.warning("cannot write compiled catalogs to %s (%s); using %s", preferred_dir, error, fallback)
        compile_catalogs(fallback, source_dir)
        return fallback
