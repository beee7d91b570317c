"""The report's long parts, written as they are read and kept on disk until the page takes them in.

The page lists every segment under its code, in codebook order, but the
store gives them transcript by transcript. So each segment is written as HTML
the moment its transcript is read, under its code, into one temporary file;
each transcript's text and its disagreements likewise. The page then reads
each code's part back in turn. Memory holds a small buffer per code, not the
project.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterator
from types import TracebackType
from typing import IO, Any

from ipl_coder.report.content import CodeInfo, ReportContent, TranscriptContent

Key = tuple[str, str]  # what the text is part of: ("code", code id), ("transcript", name) or ("disagreements", "")
FLUSH_BYTES = 1 << 16  # a key's text goes to the file in pieces of about this much


class Spool:
    """Text written under keys into one temporary file, read back key by key in the order it was written."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile()
        self._written: dict[Key, list[tuple[int, int]]] = defaultdict(list)  # (offset, length) in the file
        self._pending: dict[Key, list[bytes]] = defaultdict(list)
        self._pending_bytes: dict[Key, int] = defaultdict(int)
        self.size = 0  # bytes of UTF-8 in all

    def write(self, key: Key, text: str) -> None:
        data = text.encode("utf-8")
        self.size += len(data)
        self._pending[key].append(data)
        self._pending_bytes[key] += len(data)
        if self._pending_bytes[key] >= FLUSH_BYTES:
            self._flush(key)

    def _flush(self, key: Key) -> None:
        data = b"".join(self._pending.pop(key, []))
        self._pending_bytes.pop(key, None)
        if data:
            self._file.seek(0, 2)
            self._written[key].append((self._file.tell(), len(data)))
            self._file.write(data)

    def read(self, key: Key) -> Iterator[str]:
        """The key's text, a piece at a time."""
        self._flush(key)
        for offset, length in self._written.get(key, []):
            self._file.seek(offset)
            yield self._file.read(length).decode("utf-8")  # each piece is whole pieces of text: whole characters

    def close(self) -> None:
        self._file.close()


class ReportPieces:
    """Each code's segments, each transcript's text and the disagreements, as HTML, from the macros of parts.j2.

    The templates take the pieces read back with ``|safe``: they are HTML those macros escaped already.
    """

    def __init__(self, environment: Any) -> None:
        self._parts = environment.get_template("parts.j2").module
        self._spool = Spool()
        self._codes: dict[str, CodeInfo] = {}
        self._colors: dict[str, str] = {}

    def __enter__(self) -> ReportPieces:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None) -> None:
        self._spool.close()

    @property
    def size(self) -> int:
        """Bytes written: the page holds all of them, and more."""
        return self._spool.size

    def add(self, content: ReportContent, transcript: TranscriptContent) -> None:
        """Write one transcript's part as it is read: for :func:`ipl_coder.report.content.read_content`."""
        if len(self._codes) != len(content.codes):  # a code no longer in the codebook may have joined them
            self._codes = {code.code_id: code for code in content.codes}
            self._colors = {code.code_id: code.color for code in content.codes}
        for view in transcript.shown:
            code = self._codes.get(view.segment.code_id)
            if code is not None:  # the page lists the codebook's codes only
                self._spool.write(("code", code.code_id), self._parts.code_segment(view, code))
        for view in transcript.disagreements:
            self._spool.write(("disagreements", ""), self._parts.disagreement(view, self._colors))
        self._spool.write(("transcript", transcript.view.name), self._parts.transcript_body(transcript.view, self._colors))

    def code(self, code_id: str) -> Iterator[str]:
        return self._spool.read(("code", code_id))

    def body(self, name: str) -> Iterator[str]:
        return self._spool.read(("transcript", name))

    def disagreements(self) -> Iterator[str]:
        return self._spool.read(("disagreements", ""))
