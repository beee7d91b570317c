"""Find transcript files and read them into :class:`Transcript` objects."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ipl_coder.errors import InputError, TranscriptError, locate_byte
from ipl_coder.transcripts import PARTICIPANT, Transcript, Turn
from ipl_coder.transcripts.plain import split_turns

FORMATS = {".txt": "text", ".md": "markdown"}


@dataclass(frozen=True)
class TranscriptFile:
    path: Path
    name: str  # what the store and the exports call it


def normalise_text(text: str) -> str:
    """LF newlines, NFC, no BOM: the text every offset points into."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def find_transcripts(paths: Sequence[Path]) -> list[TranscriptFile]:
    """Every transcript under ``paths``, in a stable order, each with a unique name.

    A folder contributes its supported files, recursively, named by their path
    inside it without the suffix (hidden files, Word lock files and README files
    are left out); a file given directly is named by its stem.
    """
    found: list[TranscriptFile] = []
    for path in paths:
        if path.is_dir():
            files = sorted(
                (file for file in path.rglob("*") if _is_transcript(file, path)),
                key=lambda file: file.relative_to(path).as_posix(),
            )
            found += [TranscriptFile(file, file.relative_to(path).with_suffix("").as_posix()) for file in files]
        elif path.is_file():
            found.append(TranscriptFile(path, path.stem))
        else:
            raise InputError(f"{path}: no such file or folder; check the path")
    names: dict[str, Path] = {}
    for transcript_file in found:
        if transcript_file.name in names:
            raise InputError(
                f"{transcript_file.path} and {names[transcript_file.name]} would both be called "
                f"'{transcript_file.name}' in the project; rename one of them"
            )
        names[transcript_file.name] = transcript_file.path
    return found


def _is_transcript(file: Path, root: Path) -> bool:
    relative = file.relative_to(root)
    hidden = any(part.startswith(".") or part.startswith("~$") for part in relative.parts)
    # A folder's README describes the transcripts; it is not one of them.
    readme = file.stem.casefold() == "readme"
    return file.is_file() and not hidden and not readme and file.suffix.lower() in FORMATS


def read_transcript(transcript_file: TranscriptFile, interviewer_labels: Iterable[str] = ()) -> Transcript:
    path = transcript_file.path
    format_name = FORMATS.get(path.suffix.lower())
    if format_name is None:
        supported = ", ".join(FORMATS)
        raise TranscriptError(path, f"'{path.suffix or 'no suffix'}' files are not supported yet (use {supported})")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise TranscriptError(path, f"cannot read the file: {error.strerror}") from None
    encoding = "utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8"
    try:
        decoded = raw.decode(encoding)
    except UnicodeDecodeError as error:
        line, column = locate_byte(raw, error.start)
        message = f"not UTF-8 text (byte 0x{raw[error.start]:02x} on line {line}, column {column}); save it as UTF-8 and run again"
        raise TranscriptError(path, message) from None
    text = normalise_text(decoded)
    if not text.strip():
        raise TranscriptError(path, "the file is empty")
    warnings: list[str] = []
    turns = split_turns(text, interviewer_labels)
    if not turns:
        start = len(text) - len(text.lstrip())
        turns = (Turn(1, "", PARTICIPANT, start, len(text.rstrip())),)
        warnings.append("no speaker labels found: the whole file is read as one participant turn")
    return Transcript(
        name=transcript_file.name,
        source_path=path,
        format=format_name,
        encoding="utf-8" if encoding == "utf-8" else "utf-8 (with BOM)",
        text=text,
        turns=turns,
        warnings=tuple(warnings),
    )
