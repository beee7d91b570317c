"""How transcript files are read: the plain functions behind ``ipl-coder transcripts show`` and ``check``.

Both read files exactly as ``ipl-coder code`` does (the same reader, the same
speaker labels from a participants file), so what they show is what gets coded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ipl_coder.errors import InputError, TranscriptError
from ipl_coder.transcripts import INTERVIEWER, PARTICIPANT, Transcript
from ipl_coder.transcripts.language_choice import LanguageChoice, choose_language
from ipl_coder.transcripts.participants import (
    ParticipantTable,
    Person,
    load_participants,
    register_mismatches,
    resolve_people,
)
from ipl_coder.transcripts.reader import FORMATS, TranscriptFile, find_transcripts, read_transcript

Progress = Callable[[int, int, str], None]  # done, total, name of the file being read


@dataclass(frozen=True)
class TranscriptReport:
    transcript: Transcript
    language: str | None  # None: the codebook's language will be used
    language_source: str
    attributes: Mapping[str, str]
    people: Mapping[str, Person]  # participant speaker label -> person
    participants_file: Path | None
    notes: tuple[str, ...] = ()  # how an ambiguity was settled
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SpeakerSummary:
    label: str
    role: str
    turns: int
    words: int


@dataclass(frozen=True)
class FileCheck:
    path: Path
    name: str
    format: str = ""
    encoding: str = ""
    language: str | None = None
    language_source: str = ""
    language_short_source: str = ""  # for a table
    speakers: tuple[SpeakerSummary, ...] = ()
    words: int = 0
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    unreadable: str | None = None  # why the file cannot be read; it would be skipped by 'code'

    @property
    def interviewer_share(self) -> float | None:
        said = sum(speaker.words for speaker in self.speakers if speaker.role == INTERVIEWER)
        return said / self.words if self.words else None

    @property
    def warned(self) -> bool:
        return bool(self.warnings or self.unreadable)


@dataclass(frozen=True)
class FolderCheck:
    files: list[FileCheck]
    participants_file: Path | None
    notes: tuple[str, ...] = ()  # about the participants file as a whole

    @property
    def warned(self) -> bool:
        return any(file.warned for file in self.files)


def describe_transcript(path: Path, interviewer_labels: Sequence[str] = (), participants: Path | None = None) -> TranscriptReport:
    """Read ``path`` as ``ipl-coder code`` would, with the attributes a participants file gives it."""
    if path.is_dir():
        raise InputError(f"{path}: this is a folder; give one transcript file ('ipl-coder code' takes folders)")
    register = load_participants(participants) if participants else None
    transcript = _read(TranscriptFile(path, path.stem), interviewer_labels, register)
    entries = register.for_transcript(transcript.name) if register else []
    speakers = dict.fromkeys(turn.speaker for turn in transcript.turns if turn.role == PARTICIPANT)
    attributes, people = resolve_people(
        transcript.name, speakers, transcript.attributes, transcript.speaker_attributes, entries
    )
    choice = choose_language(transcript, register)
    return TranscriptReport(
        transcript, choice.code or choice.written, _language_source(choice), attributes, people, participants,
        notes=transcript.notes, warnings=(*transcript.warnings, *_language_warnings(choice)),
    )  # fmt: skip


def check_transcripts(paths: Sequence[Path], interviewer_labels: Sequence[str] = (), participants: Path | None = None,
                      progress: Progress | None = None, follow_links: bool = False) -> FolderCheck:  # fmt: skip
    """Read every transcript under ``paths`` as ``code`` would, one at a time, and sum up how each was read."""
    files = find_transcripts(paths, follow_links)
    if not files:
        raise InputError(f"no transcripts ({', '.join(FORMATS)}) found in {', '.join(str(path) for path in paths)}")
    register = load_participants(participants) if participants else None
    checks = []
    for done, transcript_file in enumerate(files):
        if progress:
            progress(done, len(files), transcript_file.name)
        checks.append(_check(transcript_file, interviewer_labels, register))
    if progress:
        progress(len(files), len(files), "")
    notes = register_mismatches(register, [file.name for file in files]) if register else []
    return FolderCheck(checks, participants, tuple(notes))


def _check(transcript_file: TranscriptFile, interviewer_labels: Sequence[str], register: ParticipantTable | None) -> FileCheck:
    try:
        transcript = _read(transcript_file, interviewer_labels, register)
    except TranscriptError as error:
        return FileCheck(transcript_file.path, transcript_file.name, unreadable=error.reason)
    speakers: dict[tuple[str, str], list[int]] = {}
    for turn, words in zip(transcript.turns, transcript.turn_word_counts, strict=True):
        counts = speakers.setdefault((turn.speaker, turn.role), [0, 0])
        counts[0] += 1
        counts[1] += words
    choice = choose_language(transcript, register)
    return FileCheck(
        transcript_file.path, transcript.name, transcript.format, transcript.encoding, choice.code or choice.written,
        _language_source(choice), choice.short_source,
        tuple(SpeakerSummary(label, role, turns, words) for (label, role), (turns, words) in speakers.items()),
        sum(transcript.turn_word_counts), transcript.notes, (*transcript.warnings, *_language_warnings(choice)),
    )  # fmt: skip


def _read(transcript_file: TranscriptFile, interviewer_labels: Sequence[str], register: ParticipantTable | None) -> Transcript:
    entries = register.for_transcript(transcript_file.name) if register else []
    return read_transcript(transcript_file, interviewer_labels, [entry.speaker for entry in entries if entry.speaker])


def _language_source(choice: LanguageChoice) -> str:
    if choice.written is not None:
        return f"from {choice.source}"
    return choice.source if choice.code else f"{choice.source}: the codebook's language is used"


def _language_warnings(choice: LanguageChoice) -> list[str]:
    if choice.written is not None and choice.code is None:
        return [f"language '{choice.written}' (from {choice.source}) is not a language such as en or nb; 'code' will skip it"]
    return [choice.warning] if choice.warning else []
