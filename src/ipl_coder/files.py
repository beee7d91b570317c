"""Writing export files safely: atomically, and harmless to open in a spreadsheet."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from ipl_coder.errors import ProjectError

# A cell whose text starts with one of these may be run as a formula by Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@")
GUARD = "'"  # what makes such text inert: Excel and LibreOffice show it, and run nothing
_BLANKS = " \t\r\n"  # a spreadsheet may skip these before a formula
# The first characters of a cell that may need a guard: a quick test first, as most cells start with a letter.
_MAY_NEED_GUARD = frozenset((*FORMULA_STARTS, *_BLANKS, GUARD))
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?")  # -0.250, +47, -1,5, -3e-4, -12%
_SPOKEN_SIGN = re.compile(r"[+-](\s|$)")  # a dialogue dash or a list item: "- Det var …"
# What lets a formula reach past its sheet: a function call (a name right before "(") or a link to a program ("|").
_REACHES_OUT = re.compile(r"[\w.]\(|\|")


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet could run this text: "=…" and "@…" always; "+…" and "-…" unless a number or speech."""
    start = text.lstrip(_BLANKS)
    if not start.startswith(FORMULA_STARTS):
        return False
    if start[0] in "+-" and (_NUMBER.fullmatch(start) or _SPOKEN_SIGN.match(start)):
        return bool(_REACHES_OUT.search(start))  # "- cmd|…" or "- HYPERLINK(…)" is guarded all the same
    return True


def _looks_guarded(text: str) -> bool:
    """Text that starts like a guarded cell: reading it back takes one apostrophe off."""
    return text.startswith(GUARD) and text.lstrip(_BLANKS + GUARD).startswith(FORMULA_STARTS)


def spreadsheet_safe(value: object) -> object:
    """A CSV cell: text a spreadsheet would run gets a leading apostrophe; numbers and other text stay as they are.

    Text that already starts with an apostrophe before a formula start gets one more, so :func:`unguarded`
    gives every value back exactly.
    """
    if isinstance(value, str) and value[:1] in _MAY_NEED_GUARD and (runs_as_formula(value) or _looks_guarded(value)):
        return GUARD + value
    return value


def spreadsheet_row(cells: Iterable[object]) -> list[object]:
    """:func:`spreadsheet_safe` on every cell; the test inlined, as a big export calls it half a million times."""
    return [spreadsheet_safe(cell) if cell.__class__ is str and cell[:1] in _MAY_NEED_GUARD else cell
            for cell in cells]  # fmt: skip


def spreadsheet_text(text: str) -> str:
    """Text for a cell an .xlsx file stores as text, which no spreadsheet runs: unguarded, only its own apostrophe kept."""
    return GUARD + text if _looks_guarded(text) else text


def unguarded(text: str) -> str:
    """A cell read back as it was before :func:`spreadsheet_safe` or :func:`spreadsheet_text`.

    It also reads the cells of earlier versions, which guarded every text starting with "+", "-" or "@".
    """
    return text[1:] if _looks_guarded(text) else text


def _permissions_for(path: Path) -> int:
    """The file's own permissions when replacing it, else what a newly created file gets."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return new_file_permissions(path.parent)


def new_file_permissions(folder: Path) -> int:
    """What a new file in ``folder`` may be: the umask's, but readable by no one the folder keeps out.

    A project folder is created for its owner only (it holds whole interviews),
    so its files are too; a folder a team opened to its group gives its files
    to the group as well.
    """
    umask = os.umask(0)
    os.umask(umask)
    try:
        folder_mode = stat.S_IMODE(folder.stat().st_mode)
    except OSError:
        folder_mode = 0o777
    return 0o666 & ~umask & (0o600 | (folder_mode & 0o066))


def leave_private(path: Path) -> None:
    """Give a file another program just created (SQLite's) the permissions ``new_file_permissions`` would."""
    try:
        os.chmod(path, stat.S_IMODE(path.stat().st_mode) & new_file_permissions(path.parent))
    except OSError:
        pass  # a file system without permissions (a FAT stick, some network drives): nothing to narrow


LEFTOVER_AGE = 600.0  # seconds: no export takes this long, so a temporary file this old was left by a crash


def remove_leftovers(folder: Path, names: Iterable[str], older_than: float = LEFTOVER_AGE) -> list[Path]:
    """Remove the temporary files a crash left while writing ``names`` in ``folder`` (see ``atomic_path``).

    Only files older than ``older_than`` seconds: a younger one may be another
    command's, still being written.
    """
    removed = []
    for name in names:
        for leftover in folder.glob(f".{name}.*"):
            try:
                if time.time() - leftover.stat().st_mtime < older_than:
                    continue
                leftover.unlink()
                removed.append(leftover)
            except OSError:
                continue  # another process's file in use, or not ours to remove: leave it
    return removed


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


def sources_hash(folder: Path, names: Iterable[str]) -> str:
    """A hash of some of this program's own source files: a cache keyed by it misses once any of them changes."""
    digest = hashlib.sha256()
    for name in names:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def with_checksum(data: bytes, *, bound_to: str) -> bytes:
    """A cache file's content: ``data``, then a line with its SHA-256 (``without_checksum`` reads it back).

    A cache file edited, damaged on disk or half copied can still parse (a digit
    changed in an offset, a term in a saved codebook): the checksum is what tells
    such a file from one this program wrote, so that it is ignored, never trusted.
    ``bound_to`` (the file's name) goes into the checksum too, unwritten: another
    entry's file copied in this one's place then fails it, whole as it is.
    """
    return data + b"\n" + _digest(data, bound_to)


def without_checksum(stored: bytes, *, bound_to: str) -> bytes | None:
    """The data ``with_checksum`` wrote (with the same ``bound_to``), or None when any byte differs from that."""
    data, newline, digest = stored.rpartition(b"\n")
    if not newline or _digest(data, bound_to) != digest:
        return None
    return data


def _digest(data: bytes, bound_to: str) -> bytes:
    digest = hashlib.sha256(bound_to.encode("utf-8", "surrogatepass") + b"\n")
    digest.update(data)
    return digest.hexdigest().encode("ascii")
