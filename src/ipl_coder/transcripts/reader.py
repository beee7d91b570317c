"""Find transcript files and read them into :class:`Transcript` objects."""

from __future__ import annotations

import glob
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ipl_coder.errors import InputError, TranscriptError
from ipl_coder.transcripts import INTERVIEWER, PARTICIPANT, Transcript, Turn
from ipl_coder.transcripts.captions import CaptionError, read_captions
from ipl_coder.transcripts.checks import reading_warnings
from ipl_coder.transcripts.detect import detect_language
from ipl_coder.transcripts.docx import DocxError, read_docx_text
from ipl_coder.transcripts.encoding import (
    Decoded,
    UndecodableError,
    decode_transcript_bytes,
)
from ipl_coder.transcripts.frontmatter import (
    FrontMatter,
    FrontMatterError,
    split_front_matter,
)
from ipl_coder.transcripts.plain import TurnReading, read_turns

FORMATS = {".txt": "text", ".md": "markdown", ".docx": "docx", ".vtt": "webvtt", ".srt": "srt"}
# Found in a folder, these are reported as skipped with what to do, not silently left out.
OTHER_DOCUMENTS = {
    ".doc": "an old Word file: open it in Word and save it as .docx",
    ".rtf": "a rich-text file: save it as .docx or .txt",
    ".odt": "an OpenDocument file: save it as .docx",
    ".pdf": "a PDF: export its text as .txt or .docx",
    ".pages": "a Pages file: export it as .docx",
}
GLOB_CHARACTERS = frozenset("*?[")
CAPTIONS = ("webvtt", "srt")


@dataclass(frozen=True)
class TranscriptFile:
    path: Path
    name: str  # what the store and the exports call it
    refused: str | None = None  # why it is not read (a link out of the folder), reported like an unreadable file


def normalise_text(text: str) -> str:
    """LF newlines, NFC, no BOM: the text every offset points into."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def find_transcripts(paths: Sequence[Path], follow_links: bool = False) -> list[TranscriptFile]:
    """Every transcript under ``paths``, in a stable order, each with a unique name.

    A folder contributes its transcript files, recursively, named by their path
    inside it without the suffix (hidden files, Word lock files and README files
    are left out); a file given directly is named by its stem; a path with
    ``*``, ``?`` or ``[`` that names no file is a glob pattern. A link in a
    folder to a file or folder outside it is not read unless ``follow_links``:
    it comes back refused, so the run reports it instead of reading it unseen.
    """
    found: list[TranscriptFile] = []
    for path in paths:
        if path.is_dir():
            found += _folder_transcripts(path, follow_links)
        elif path.is_file():
            found.append(TranscriptFile(path, path.stem))
        elif GLOB_CHARACTERS & set(str(path)):
            matches = sorted(Path(match) for match in glob.glob(str(path), recursive=True))
            files = [match for match in matches if match.is_file() and not _is_hidden(match.name)]
            if not files:
                raise InputError(f"{path}: no files match this pattern; check the path")
            found += [TranscriptFile(file, file.stem) for file in files]
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


def _folder_transcripts(folder: Path, follow_links: bool) -> list[TranscriptFile]:
    root = folder.resolve()
    found: list[TranscriptFile] = []
    for directory, subfolders, files in os.walk(folder, followlinks=follow_links):
        here = Path(directory)
        subfolders[:] = sorted(name for name in subfolders if not _is_hidden(name))
        if not follow_links:
            for name in subfolders:
                target = (here / name).resolve()
                if (here / name).is_symlink() and not target.is_relative_to(root):
                    relative = (here / name).relative_to(folder).as_posix()
                    found.append(TranscriptFile(here / name, relative, f"a link to the folder {target}, outside {folder}; "
                                                "give --follow-links to read the transcripts in it"))  # fmt: skip
        for name in files:
            file = here / name
            if not _is_transcript(file, folder):
                continue
            refused = None
            if file.is_symlink() and not follow_links and not file.resolve().is_relative_to(root):
                refused = f"a link to {file.resolve()}, outside {folder}; give --follow-links to read it"
            found.append(TranscriptFile(file, file.relative_to(folder).with_suffix("").as_posix(), refused))
    return sorted(found, key=lambda transcript_file: transcript_file.path.relative_to(folder).as_posix())


def _is_hidden(name: str) -> bool:
    return name.startswith((".", "~$"))  # "~$" marks the lock file Word keeps beside an open document


def _is_transcript(file: Path, root: Path) -> bool:
    relative = file.relative_to(root)
    # A folder's README describes the transcripts; it is not one of them.
    readme = file.stem.casefold() == "readme"
    suffix = file.suffix.lower()
    wanted = suffix in FORMATS or suffix in OTHER_DOCUMENTS
    return wanted and not readme and not any(_is_hidden(part) for part in relative.parts) and file.is_file()


def read_transcript(transcript_file: TranscriptFile, interviewer_labels: Iterable[str] = (),
                    speaker_labels: Iterable[str] = ()) -> Transcript:  # fmt: skip
    """Read one transcript file, in any supported format and encoding, into speaker turns.

    ``speaker_labels`` are labels known to be speakers here (a participants
    file names them), accepted even where one speaks only once.

    Raises :class:`TranscriptError` saying why a file cannot be read and what to do.
    """
    path = transcript_file.path
    if transcript_file.refused:
        raise TranscriptError(path, transcript_file.refused)
    suffix = path.suffix.lower()
    format_name = FORMATS.get(suffix)
    if format_name is None:
        hint = OTHER_DOCUMENTS.get(suffix, f"use {', '.join(FORMATS)}")
        raise TranscriptError(path, f"'{path.suffix or 'no suffix'}' files cannot be read: {hint}")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise TranscriptError(path, f"cannot read the file: {error.strerror}") from None
    if not raw.strip():
        raise TranscriptError(path, "the file is empty")
    try:
        decoded, vouched, notes = _decode(raw, format_name)
        text = normalise_text(decoded.text)
        if not text.strip():
            raise TranscriptError(path, "the file is empty")
        front_matter, text = (FrontMatter(), text) if format_name in CAPTIONS else split_front_matter(text)
        if not text.strip():
            raise TranscriptError(path, "the file holds nothing after its front matter")
        labels = (*interviewer_labels, *front_matter.interviewer_labels)
        if format_name in CAPTIONS:
            captions = read_captions(text, labels)
            text, reading = captions.text, TurnReading(captions.turns)
        else:
            reading = read_turns(text, labels, (*vouched, *speaker_labels, *front_matter.speaker_attributes))
    except (UndecodableError, DocxError, FrontMatterError, CaptionError) as error:
        raise TranscriptError(path, str(error)) from None
    warnings = [decoded.warning] if decoded.warning else []
    turns = reading.turns
    if not turns or not any(turn.speaker for turn in turns):
        start = len(text) - len(text.lstrip())
        turns = (Turn(1, "", PARTICIPANT, start, len(text.rstrip()), turns[0].timestamp if turns else None),)
        warnings.append("no speaker labels found: the whole file is read as one participant turn")
    warnings += _interviewer_warning(turns)
    transcript = Transcript(
        name=transcript_file.name, source_path=path, format=format_name, encoding=decoded.encoding, text=text,
        turns=turns, attributes=front_matter.attributes, speaker_attributes=front_matter.speaker_attributes,
        language=front_matter.attributes.get("language") or None,
    )  # fmt: skip
    participant_text = "\n".join(transcript.turn_text(turn) for turn in turns if turn.role == PARTICIPANT)
    warnings += reading_warnings(turns, transcript.turn_word_counts, reading.unread_labels)
    return replace(transcript, warnings=tuple(warnings), notes=(*notes, *reading.notes),
                   detected_language=detect_language(participant_text or text))  # fmt: skip


def _decode(raw: bytes, format_name: str) -> tuple[Decoded, frozenset[str], tuple[str, ...]]:
    """The file's text, the speaker labels its formatting vouches for (bold in Word), and notes on how it was read."""
    if format_name == "docx":
        docx_text = read_docx_text(raw)
        return Decoded(docx_text.text, "docx"), docx_text.bold_labels, docx_text.notes
    return decode_transcript_bytes(raw), frozenset(), ()


def _interviewer_warning(turns: Sequence[Turn]) -> list[str]:
    speakers = list(dict.fromkeys(turn.speaker for turn in turns))
    if len(speakers) < 2 or any(turn.role == INTERVIEWER for turn in turns):
        return []
    named = ", ".join(speakers[:4]) + (", ..." if len(speakers) > 4 else "")
    return [
        f"no speaker is marked as the interviewer ({named}), so every turn is coded; "
        f"name the interviewer with --interviewer '{speakers[0]}' or 'interviewer:' in the front matter"
    ]
