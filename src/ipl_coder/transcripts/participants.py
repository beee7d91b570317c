"""Who speaks in each transcript, and what is known about them.

A participants file (CSV or XLSX) has a row per transcript, matched by its name
or file stem in a ``transcript`` (or ``file`` or ``id``) column, and any other
columns as attributes: role, country, site, gender, language. A ``speaker``
column gives a row per speaker label instead, for focus groups, with an
optional ``participant`` column naming the person. YAML front matter in a
transcript does the same from inside the file; the participants file wins where
both give a value.

Each participant-role speaker becomes a :class:`Person`: the unit that
``freq`` counts ("participants with the code").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ipl_coder.errors import InputError
from ipl_coder.transcripts import PARTICIPANT

if TYPE_CHECKING:
    from ipl_coder.store import SpeakerRow, StoredParticipants, TranscriptInfo, TranscriptRow

KEY_COLUMNS = ("transcript", "file", "id")
SPEAKER_COLUMN = "speaker"
PARTICIPANT_COLUMN = "participant"


@dataclass(frozen=True)
class ParticipantEntry:
    transcript: str  # a transcript's name or file stem, as written in the file
    speaker: str  # "" for the whole transcript
    participant: str | None  # the person's id, if the file names one
    attributes: Mapping[str, str]
    line: int  # the row in the file, for messages

    @property
    def language(self) -> str | None:
        """The 'language' attribute, however the column's name is capitalised."""
        return next((value for key, value in self.attributes.items() if key.casefold() == "language"), None)


@dataclass(frozen=True)
class ParticipantTable:
    source: str  # the file it was read from
    entries: tuple[ParticipantEntry, ...]
    attribute_names: tuple[str, ...]

    def for_transcript(self, name: str) -> list[ParticipantEntry]:
        return [entry for entry in self.entries if matches(entry.transcript, name)]

    def language_of(self, name: str) -> tuple[str, str] | None:
        """The language the register gives a transcript, and where: ("nb", "participants.csv, line 9")."""
        for entry in self.for_transcript(name):
            if entry.language and not entry.speaker:
                return entry.language, f"{self.source}, line {entry.line}"
        return None


def register_from_store(stored: StoredParticipants | None) -> ParticipantTable | None:
    """The register a project keeps, as the table it was read into."""
    if stored is None:
        return None
    entries = tuple(ParticipantEntry(row.transcript, row.speaker, row.participant, row.attributes, row.line)
                    for row in stored.entries)  # fmt: skip
    return ParticipantTable(stored.source, entries, stored.attribute_names)


@dataclass(frozen=True)
class Person:
    participant_id: str
    attributes: Mapping[str, str] = field(default_factory=dict)


def written_language(front_matter_language: str | None, transcript_name: str,
                     register: ParticipantTable | None) -> tuple[str, str] | None:  # fmt: skip
    """A transcript's language as written, and where: its front matter first, then the register."""
    if front_matter_language:
        return front_matter_language, "its front matter"
    return register.language_of(transcript_name) if register else None


def matches(key: str, transcript_name: str) -> bool:
    """``CA-PSW-01``, ``CA-PSW-01.docx`` and ``canada/CA-PSW-01`` all name ``canada/CA-PSW-01``."""
    wanted = key.strip().replace("\\", "/").casefold()
    name = transcript_name.casefold()
    stem = wanted.rsplit(".", 1)[0] if "." in wanted.rsplit("/", 1)[-1] else wanted
    return wanted in (name, name.rsplit("/", 1)[-1]) or stem in (name, name.rsplit("/", 1)[-1])


def load_participants(path: Path) -> ParticipantTable:
    """Read a participants CSV or XLSX file; raises :class:`InputError` naming the file and row."""
    from ipl_coder.transcripts.spreadsheets import read_rows

    return _table(path, read_rows(path, "participants file"))


def _table(path: Path, rows: list[list[str]]) -> ParticipantTable:
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise InputError(f"{path}: the participants file is empty")
    header = [cell.strip() for cell in rows[0]]
    lowered = [cell.casefold() for cell in header]
    key_column = next((lowered.index(name) for name in KEY_COLUMNS if name in lowered), None)
    if key_column is None:
        raise InputError(f"{path}: line 1 needs a 'transcript' or 'id' column naming each transcript")
    speaker_column = lowered.index(SPEAKER_COLUMN) if SPEAKER_COLUMN in lowered else None
    participant_column = lowered.index(PARTICIPANT_COLUMN) if PARTICIPANT_COLUMN in lowered else None
    if participant_column is None and lowered[key_column] != "id" and "id" in lowered:
        participant_column = lowered.index("id")  # with a 'transcript' column, 'id' names the person
    special = {key_column, speaker_column, participant_column}
    attribute_columns = [index for index, name in enumerate(header) if index not in special and name]
    entries: list[ParticipantEntry] = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in row] + [""] * (len(header) - len(row))
        transcript = cells[key_column]
        if not transcript:
            raise InputError(f"{path}: line {line} has no {header[key_column]}; fill it in or delete the row")
        speaker = cells[speaker_column] if speaker_column is not None else ""
        key = (transcript.casefold(), speaker.casefold())
        if key in seen:
            raise InputError(f"{path}: line {line} repeats '{transcript}'{f' {speaker}' if speaker else ''} from line {seen[key]}")
        seen[key] = line
        attributes = {header[index]: cells[index] for index in attribute_columns if cells[index]}
        participant = cells[participant_column] if participant_column is not None else ""
        entries.append(ParticipantEntry(transcript, speaker, participant or None, attributes, line))
    return ParticipantTable(str(path), tuple(entries), tuple(header[index] for index in attribute_columns))


def resolve_people(
    transcript_name: str,
    participant_speakers: Iterable[str],
    front_matter: Mapping[str, str],
    front_matter_speakers: Mapping[str, Mapping[str, str]],
    entries: Sequence[ParticipantEntry],
) -> tuple[dict[str, str], dict[str, Person]]:
    """The transcript's own attributes, and the person behind each participant speaker label.

    Without speaker rows, every participant speaker of a transcript is one
    person (the interviewee), named by the transcript.
    """
    whole = next((entry for entry in entries if not entry.speaker), None)
    base = {**front_matter, **(whole.attributes if whole else {})}
    default_id = (whole.participant if whole else None) or front_matter.get(PARTICIPANT_COLUMN) or transcript_name
    by_speaker = {entry.speaker.casefold(): entry for entry in entries if entry.speaker}
    matter_by_speaker = {label.casefold(): values for label, values in front_matter_speakers.items()}
    people: dict[str, Person] = {}
    for speaker in participant_speakers:
        entry = by_speaker.get(speaker.casefold())
        matter = matter_by_speaker.get(speaker.casefold())
        if entry is None and matter is None:
            people[speaker] = Person(default_id, base)
            continue
        attributes = {**base, **(matter or {}), **(entry.attributes if entry else {})}
        participant = (entry.participant if entry else None) or attributes.pop(PARTICIPANT_COLUMN, None)
        people[speaker] = Person(participant or f"{transcript_name}/{speaker}", attributes)
    return {key: value for key, value in base.items() if key != PARTICIPANT_COLUMN}, people


@dataclass(frozen=True)
class PeopleIndex:
    """Every current transcript's attributes and participants, for exports and counts."""

    attribute_names: tuple[str, ...]
    transcript_attributes: Mapping[str, Mapping[str, str]]
    people: Mapping[tuple[str, str], Person]  # (transcript, speaker label) of participant speakers

    def person_for(self, transcript: str, speakers: str) -> Person | None:
        """The participant behind a segment's speaker field ("Interviewer, P1" for an exchange)."""
        for speaker in speakers.split(", "):
            person = self.people.get((transcript, speaker))
            if person is not None:
                return person
        return self.people.get((transcript, speakers))



def build_people_index(transcripts: Sequence[TranscriptInfo | TranscriptRow], speakers: Sequence[SpeakerRow],
                       table: ParticipantTable | None) -> PeopleIndex:  # fmt: skip
    participant_speakers: dict[str, list[str]] = {}
    for row in speakers:
        if row.role == PARTICIPANT:
            participant_speakers.setdefault(row.transcript, []).append(row.speaker)
    names: dict[str, None] = dict.fromkeys(table.attribute_names if table else ())
    transcript_attributes: dict[str, Mapping[str, str]] = {}
    people: dict[tuple[str, str], Person] = {}
    for transcript in transcripts:
        entries = table.for_transcript(transcript.name) if table else []
        attributes, by_speaker = resolve_people(
            transcript.name, participant_speakers.get(transcript.name, []), transcript.attributes,
            transcript.speaker_attributes, entries,
        )  # fmt: skip
        transcript_attributes[transcript.name] = attributes
        names.update(dict.fromkeys(attributes))
        for speaker, person in by_speaker.items():
            people[(transcript.name, speaker)] = person
            names.update(dict.fromkeys(person.attributes))
    return PeopleIndex(tuple(name for name in names if name != PARTICIPANT_COLUMN), transcript_attributes, people)


ATTRIBUTE_PREFIX = "participant_"  # before an attribute whose name a table already has as a column of its own


def attribute_columns(attribute_names: Sequence[str], standard_columns: Sequence[str]) -> dict[str, str]:
    """Each attribute's column in a table that has ``standard_columns`` first: its name, or prefixed if that is taken.

    Names are compared ignoring case, as a reader would: an attribute 'Status' next to a 'status' column is renamed too.
    """
    taken = {name.casefold() for name in (*standard_columns, *attribute_names)}
    columns: dict[str, str] = {}
    for name in attribute_names:
        column = name
        if name.casefold() in {standard.casefold() for standard in standard_columns}:
            column = ATTRIBUTE_PREFIX + name
            while column.casefold() in taken:  # 'participant_code' may be an attribute too
                column = ATTRIBUTE_PREFIX + column
            taken.add(column.casefold())
        columns[name] = column
    return columns


def register_mismatches(table: ParticipantTable, transcript_names: Sequence[str]) -> list[str]:
    """Rows that name no transcript, and transcripts no row names: both are usually typos."""
    notes = [
        f"{table.source}: line {entry.line} names '{entry.transcript}', which is not a transcript in the project"
        for entry in table.entries
        if not any(matches(entry.transcript, name) for name in transcript_names)
    ]
    missing = [name for name in transcript_names if not table.for_transcript(name)]
    if missing:
        listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        notes.append(f"{table.source} has no row for {listed}: their attributes are empty")
    return notes
