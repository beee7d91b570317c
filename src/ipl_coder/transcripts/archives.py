"""Zip files people give ipl-coder (.docx, .xlsx, .qdpx): their sizes are checked before any member is read.

A zip file says how big each member is once unpacked. A damaged or hostile one
(a "zip bomb") packs a gigabyte into a megabyte and would take all the memory
of the machine reading it, so a member is refused if it would unpack to more
than :data:`MAX_MEMBER_BYTES`, all members together to more than
:data:`MAX_TOTAL_BYTES`, or a large member to more than :data:`MAX_RATIO`
times its packed size (real documents pack 3 to 30 times; repetitive XML
rarely more than 100). :func:`read_member` also stops reading at the limit,
in case the sizes written in the file are false.

:data:`DAMAGED` are the exceptions the standard library and the parsers on
top of it raise for a zip file or XML member that is damaged.
"""

from __future__ import annotations

import zipfile
import zlib

MAX_MEMBER_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
MAX_RATIO = 200
RATIO_FROM_BYTES = 10 * 1024 * 1024  # smaller members may pack as tightly as they like
CHUNK = 1024 * 1024
# zlib.error and EOFError: a damaged compressed stream; OSError: a damaged offset to seek to;
# NotImplementedError: a compression method the standard library lacks; RuntimeError: an encrypted
# member; SyntaxError: a damaged XML member (lxml's XMLSyntaxError is one, and so is ElementTree's).
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, SyntaxError)


class ArchiveError(ValueError):
    """A zip file too big to unpack safely, or one that cannot be unpacked; the message says which member."""


def check_archive(archive: zipfile.ZipFile) -> None:
    """Raise :class:`ArchiveError` if any member, or all together, would unpack to too much."""
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if info.file_size > MAX_MEMBER_BYTES:
            raise ArchiveError(f"'{info.filename}' inside would unpack to {_megabytes(info.file_size)}, more than the "
                               f"{_megabytes(MAX_MEMBER_BYTES)} ipl-coder reads; this is not an ordinary document")  # fmt: skip
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise ArchiveError(f"'{info.filename}' inside would unpack to {ratio} times its packed size "
                               f"({_megabytes(info.file_size)}); real documents do not, so it is not read")  # fmt: skip
    if total > MAX_TOTAL_BYTES:
        raise ArchiveError(f"its members would unpack to {_megabytes(total)}, more than the {_megabytes(MAX_TOTAL_BYTES)} "
                           "ipl-coder reads; this is not an ordinary document")  # fmt: skip


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """One member's bytes, read in chunks and never more than the limit, whatever the zip file claims."""
    check_archive(archive)
    chunks: list[bytes] = []
    size = 0
    with archive.open(name) as member:
        while chunk := member.read(CHUNK):
            size += len(chunk)
            if size > MAX_MEMBER_BYTES:
                raise ArchiveError(f"'{name}' inside unpacks to more than the {_megabytes(MAX_MEMBER_BYTES)} ipl-coder reads")
            chunks.append(chunk)
    return b"".join(chunks)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"
