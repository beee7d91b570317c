"""Writing export files safely: atomically, and harmless to open in a spreadsheet."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ipl_coder.errors import ProjectError

# A cell starting with one of these is run as a formula by Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _permissions_for(path: Path) -> int:
    """The file's own permissions when replacing it, else what a newly created file gets."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; it takes ``path``'s place only once complete."""
    try:
        handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix, delete=False)
    except OSError as error:
        raise ProjectError(f"{path.parent}: cannot write there: {error.strerror}") from None
    handle.close()
    temporary = Path(handle.name)
    try:
        yield temporary
        os.chmod(temporary, _permissions_for(path))  # the temporary file is private; the result should not be
        os.replace(temporary, path)
    except PermissionError:
        raise ProjectError(f"{path}: cannot write it; close it if a spreadsheet has it open, then run again") from None
    except OSError as error:
        raise ProjectError(f"{path}: cannot write it: {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def atomic_file(path: Path, *, encoding: str = "utf-8") -> Iterator[IO[str]]:
    """A file that appears under ``path`` only once it is complete, so a crash never leaves half a file."""
    with atomic_path(path) as temporary, temporary.open("w", encoding=encoding, newline="") as handle:
        yield handle
