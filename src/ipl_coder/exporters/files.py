"""Writing export files safely: atomically, and harmless to open in a spreadsheet."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
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


def write_atomically(path: Path, write: Callable[[IO[str]], None], *, encoding: str = "utf-8") -> None:
    """Write through a temporary file and rename it, so a crash never leaves half a file."""
    try:
        with tempfile.NamedTemporaryFile(
            "w", encoding=encoding, newline="", dir=path.parent, prefix=f".{path.name}.", delete=False
        ) as handle:
            temporary = Path(handle.name)
            try:
                write(handle)
            except BaseException:
                handle.close()
                temporary.unlink(missing_ok=True)
                raise
        os.replace(temporary, path)
    except PermissionError:
        raise ProjectError(f"{path}: cannot write it; close it if a spreadsheet has it open, then run again") from None
    except OSError as error:
        raise ProjectError(f"{path}: cannot write it: {error.strerror}") from None
