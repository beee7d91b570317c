"""How a transcript file is read: the plain function behind ``ipl-coder transcripts show``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ipl_coder.errors import InputError
from ipl_coder.transcripts import PARTICIPANT, Transcript
from ipl_coder.transcripts.languages import language_code
from ipl_coder.transcripts.participants import (
    Person,
    load_participants,
    resolve_people,
    written_language,
)
from ipl_coder.transcripts.reader import TranscriptFile, read_transcript


@dataclass(frozen=True)
class TranscriptReport:
    transcript: Transcript
    language: str | None  # None: the codebook's language will be used
    language_source: str
    attributes: Mapping[str, str]
    people: Mapping[str, Person]  # participant speaker label -> person
    participants_file: Path | None


def describe_transcript(path: Path, interviewer_labels: Sequence[str] = (), participants: Path | None = None) -> TranscriptReport:
    """Read ``path`` as ``ipl-coder code`` would, with the attributes a participants file gives it."""
    if path.is_dir():
        raise InputError(f"{path}: this is a folder; give one transcript file ('ipl-coder code' takes folders)")
    register = load_participants(participants) if participants else None
    entries = register.for_transcript(path.stem) if register else []
    speaker_labels = [entry.speaker for entry in entries if entry.speaker]
    transcript = read_transcript(TranscriptFile(path, path.stem), interviewer_labels, speaker_labels)
    speakers = dict.fromkeys(turn.speaker for turn in transcript.turns if turn.role == PARTICIPANT)
    attributes, people = resolve_people(
        transcript.name, speakers, transcript.attributes, transcript.speaker_attributes, entries
    )
    language, source = written_language(transcript.language, transcript.name, register) or (None, "not set: the codebook's language is used")
    code = language_code(language) if language else None
    return TranscriptReport(transcript, code or language, source, attributes, people, participants)
