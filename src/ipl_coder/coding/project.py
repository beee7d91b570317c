"""Code a set of transcripts into a project: the plain function behind ``ipl-coder code``.

Transcripts are read, coded and stored one at a time, so memory stays flat
however large the corpus. Each transcript is saved all or nothing, and the
store commits about once a second and when the run stops, however it stops, so
an interrupted run keeps what it finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from ipl_coder import __version__
from ipl_coder.codebook.model import UNITS, Codebook
from ipl_coder.codebook.saved import save as save_codebook
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.coding.coders import CodedSegments, LanguageCoders, Segment
from ipl_coder.coding.doc_cache import CODEBOOKS_FOLDER, DOCS_FOLDER, cache_folder, prune, run_started
from ipl_coder.coding.exports import write_project_exports
from ipl_coder.coding.frequencies import CodeFrequency
from ipl_coder.coding.parallel import code_in_parallel
from ipl_coder.errors import InputError, TranscriptError
from ipl_coder.store import COUNTED_STATUSES, STORE_FILENAME, ModelSegmentInput, ProjectStore, UnplacedPassage
from ipl_coder.transcripts import Transcript
from ipl_coder.transcripts.detect import detector_process
from ipl_coder.transcripts.language_choice import choose_language
from ipl_coder.transcripts.languages import language_code
from ipl_coder.transcripts.participants import (
    ParticipantTable,
    load_participants,
    register_from_store,
    register_mismatches,
)  # fmt: skip
from ipl_coder.transcripts.reader import (
    FORMATS,
    TranscriptFile,
    find_transcripts,
    read_transcript,
)

COMMIT_SECONDS = 1.0  # a commit waits for the disk: one a second, not one per transcript (store/batching.py)
Progress = Callable[[int, int, str], None]  # done, total, name of the transcript being worked on


class MoreSuggestions(Protocol):
    """Suggestions beside the rules' (``code --learned``: the learned model's, see ipl_coder.learning)."""

    model_id: int

    def suggest(self, transcript: Transcript, segments: Sequence[Segment]) -> Sequence[ModelSegmentInput]: ...

    def kept_readings(self) -> int:
        """Of how many transcripts it kept what it read: as many as the run codes, and it wants no Docs."""
        ...


class _WithMore:
    """Codes with the rules, then adds the other suggestions, in the same worker process as the rules."""

    def __init__(self, coders: LanguageCoders, more: MoreSuggestions) -> None:
        self.coders, self.more = coders, more

    def code(self, transcript: Transcript) -> CodedSegments:
        segments = self.coders.code(transcript)
        segments.learned = tuple(self.more.suggest(transcript, segments))
        return segments


@dataclass(frozen=True)
class CodeOptions:
    unit: str | None = None  # the unit for codes that set none; None: the codebook's defaults, else sentence
    model: str | None = None  # an installed spaCy pipeline instead of the blank default
    interviewer_labels: tuple[str, ...] = ()  # added to the built-in interviewer labels
    jobs: int = 0  # worker processes; 0 means one per core
    participants: Path | None = None  # a CSV or XLSX register of who is in each transcript
    statuses: tuple[str, ...] = COUNTED_STATUSES  # which segments the exports count
    follow_links: bool = False  # read links in a folder that point outside it
    cache: bool = True  # reuse and keep the processed transcripts in PROJECT/cache (see doc_cache.py)
    learned: MoreSuggestions | None = None  # the learned model's suggestions too (--learned)


@dataclass(frozen=True)
class SkippedFile:
    path: Path
    reason: str


@dataclass(frozen=True)
class CodedTranscript:
    name: str
    format: str
    encoding: str
    language: str
    turns: int
    words: int
    segments: int
    kept_decided: int
    warnings: tuple[str, ...] = ()  # what may have been read wrongly
    notes: tuple[str, ...] = ()  # how an ambiguity was settled
    learned: int = 0  # of the segments, the learned model's suggestions


@dataclass(frozen=True)
class CacheReport:
    folder: Path
    reused: int  # coded transcripts whose processed Docs came from the cache
    size_bytes: int  # of the whole cache folder, after old entries were removed


@dataclass(frozen=True)
class CodeRunResult:
    project_dir: Path
    run_id: int
    codebook: str
    pipeline: str
    unit: str
    coded: list[CodedTranscript]
    skipped: list[SkippedFile]
    frequencies: list[CodeFrequency]
    exports: list[Path]
    seconds: float
    counted_statuses: tuple[str, ...] = COUNTED_STATUSES
    notes: tuple[str, ...] = ()  # about the run as a whole, such as participants-file mismatches
    cache: CacheReport | None = None  # None: --no-cache
    learned_model: int | None = None  # the learned model that suggested too (--learned)

    @property
    def words(self) -> int:
        return sum(transcript.words for transcript in self.coded)

    @property
    def segments(self) -> int:
        return sum(transcript.segments for transcript in self.coded)

    def to_json(self) -> dict[str, Any]:
        return {
            "project": str(self.project_dir),
            "store": str(self.project_dir / STORE_FILENAME),
            "run_id": self.run_id,
            "codebook": self.codebook,
            "pipeline": self.pipeline,
            "unit": self.unit,
            "transcripts_coded": len(self.coded),
            "segments": self.segments,
            "words": self.words,
            "seconds": round(self.seconds, 3),
            "coded": [asdict(transcript) for transcript in self.coded],
            "skipped": [{"path": str(skip.path), "reason": skip.reason} for skip in self.skipped],
            "codes": [
                {"code": row.code_id, "label": row.label, "segments": row.segments, "transcripts": row.transcripts}
                for row in self.frequencies
            ],
            "counted_statuses": list(self.counted_statuses),
            "exports": [str(path) for path in self.exports],
            "notes": list(self.notes),
            "learned_model": self.learned_model,
            "learned_segments": sum(transcript.learned for transcript in self.coded),
            "cache": None if self.cache is None else
            {"folder": str(self.cache.folder), "reused": self.cache.reused, "bytes": self.cache.size_bytes},
        }  # fmt: skip


def code_transcripts(
    paths: Sequence[Path],
    codebook_path: Path,
    project_dir: Path,
    options: CodeOptions = CodeOptions(),
    progress: Progress | None = None,
) -> CodeRunResult:
    """Pre-code every transcript under ``paths`` with the codebook, into the project at ``project_dir``."""
    with detector_process():  # first: its model loads while spaCy and the codebook do
        return _code_transcripts(paths, codebook_path, project_dir, options, progress)


def _code_transcripts(paths: Sequence[Path], codebook_path: Path, project_dir: Path, options: CodeOptions,
                      progress: Progress | None) -> CodeRunResult:  # fmt: skip
    started = time.perf_counter()
    if options.unit is not None and options.unit not in UNITS:
        raise InputError(f"unit '{options.unit}' is not one of: {', '.join(UNITS)}")
    saved_codebooks = cache_folder(project_dir) / CODEBOOKS_FOLDER if options.cache else None
    codebook = load_codebook(codebook_path, saved_codebooks)
    unit = codebook.run_unit(options.unit)
    if not codebook.has_rules:
        raise InputError(
            f"{codebook_path}: no code has any rule (terms, patterns, boolean or near), so nothing would be suggested; "
            "add terms with 'ipl-coder codebook add-term'"
        )
    files = find_transcripts(paths, options.follow_links)
    if not files:
        raise InputError(f"no transcripts ({', '.join(FORMATS)}) found in {', '.join(str(path) for path in paths)}")
    new_register = load_participants(options.participants) if options.participants else None
    cache_dir = cache_folder(project_dir) / DOCS_FOLDER if options.cache else None
    # Before the store: a bad --model leaves nothing. The default pipeline is built only if some transcript needs
    # matching (or the learned model wants Docs), and then before workers fork, so they share it.
    coders = LanguageCoders(codebook, unit, options.model, cache_dir, build=False)
    docs_wanted = options.learned is not None and options.learned.kept_readings() < len(files)
    coders.build_unless_cached(len(files), docs_wanted)  # the codebook's own language now; the participants' below
    pipeline = coders.pipelines[coders.model_language or codebook.language]
    with ProjectStore.open(project_dir, create=True, lock="exclusive") as store:
        if new_register:
            store.replace_participants(new_register)
        register = new_register or register_from_store(store.participants())
        for language in _register_languages(register, codebook):
            coders.coder(language)  # built now if the codebook's was
        run_id = store.start_run(
            store.record_codebook(codebook), pipeline.name, pipeline.spacy_version, __version__, unit,
            {"interviewer_labels": list(options.interviewer_labels), "model": options.model,
             "participants": str(options.participants) if options.participants else None,
             "statuses": list(options.statuses), **({"learned_model": options.learned.model_id} if options.learned else {})},
        )  # fmt: skip
        coded: list[CodedTranscript] = []
        skipped: list[SkippedFile] = []
        cache_started, reused = run_started(project_dir) if options.cache else None, 0
        coder = _WithMore(coders, options.learned) if options.learned else coders
        read = partial(_read, interviewer_labels=options.interviewer_labels, codebook=codebook, register=register)
        coded_files = code_in_parallel(((item, item) for item in files), read, coder, options.jobs, len(files))
        with store.commits_every(COMMIT_SECONDS):
            for done, (transcript_file, transcript, segments) in enumerate(coded_files):
                if progress:
                    progress(done, len(files), transcript_file.name)
                try:
                    if isinstance(transcript, TranscriptError):
                        raise transcript  # unreadable: reported like one the store refuses
                    more = segments.learned if isinstance(segments, CodedSegments) else ()
                    saved = store.save_coded_transcript(transcript, segments, run_id, more)
                except TranscriptError as error:
                    skipped.append(SkippedFile(transcript_file.path, error.reason))
                    continue
                reused += isinstance(segments, CodedSegments) and segments.from_cache
                coded.append(CodedTranscript(
                    transcript.name, transcript.format, transcript.encoding, transcript.language or codebook.language,
                    len(transcript.turns), sum(transcript.turn_word_counts), saved.suggested, saved.kept_decided,
                    (*transcript.warnings, *_unplaced_warnings(saved.unplaced)),
                    (*transcript.notes, *_carried_notes(saved.carried)), saved.learned,
                ))  # fmt: skip
        if progress:
            progress(len(files), len(files), "")
        store.finish_run(run_id, coded=len(coded), skipped=len(skipped),
                         segments=sum(item.segments for item in coded), words=sum(item.words for item in coded))  # fmt: skip
        notes = register_mismatches(new_register, [row.name for row in store.transcript_infos()]) if new_register else []
        exports = write_project_exports(store, project_dir, options.statuses)
        cache = _pruned_cache(store, project_dir, coded, reused, cache_started) if options.cache else None
    if saved_codebooks is not None:
        save_codebook(saved_codebooks, codebook)  # after a run that worked: a failed one leaves no new folder behind
    return CodeRunResult(
        project_dir=project_dir, run_id=run_id, codebook=f"{codebook.name} {codebook.version}".strip(),
        pipeline=", ".join(coders.pipeline_name(language) for language in sorted({item.language for item in coded}))
        or pipeline.name, unit=unit, coded=coded, skipped=skipped, frequencies=exports.frequencies,
        exports=exports.paths, seconds=time.perf_counter() - started, counted_statuses=options.statuses,
        notes=(*notes, *exports.notes), cache=cache, learned_model=options.learned.model_id if options.learned else None,
    )  # fmt: skip


def _pruned_cache(store: ProjectStore, project_dir: Path, coded: Sequence[CodedTranscript], reused: int,
                  started: float | None) -> CacheReport:  # fmt: skip
    """Once the workers have all finished (every entry this run used is touched or new): the cache, stale entries gone."""
    every_transcript = {row.name for row in store.transcript_infos()} <= {item.name for item in coded}
    return CacheReport(cache_folder(project_dir), reused, prune(project_dir, started, every_transcript))


def _read(transcript_file: TranscriptFile, interviewer_labels: tuple[str, ...], codebook: Codebook,
          register: ParticipantTable | None) -> Transcript | TranscriptError:  # fmt: skip
    try:
        speakers = [entry.speaker for entry in register.for_transcript(transcript_file.name) if entry.speaker] if register else []
        transcript = read_transcript(transcript_file, interviewer_labels, speakers)
        return with_language(transcript, codebook, register)
    except TranscriptError as error:
        return error


def _carried_notes(carried: int) -> list[str]:
    if not carried:
        return []
    passages = "passage" if carried == 1 else "passages"
    return [f"its text changed since it was last coded; {carried} decided {passages} moved to the new text with their decisions"]


def _unplaced_warnings(unplaced: Sequence[UnplacedPassage]) -> list[str]:
    """Decided passages the edited text no longer has: out of sight, so the researcher must hear of each."""
    if not unplaced:
        return []
    shown = "; ".join(f"'{passage.code_id}' decided by {passage.decided_by or 'someone'}: \"{_excerpt(passage.text)}\""
                      for passage in unplaced[:3])  # fmt: skip
    more = f"; and {len(unplaced) - 3} more" if len(unplaced) > 3 else ""
    return [f"its text changed, and {len(unplaced)} decided passage{'s are' if len(unplaced) != 1 else ' is'} no longer in it, "
            f"so not shown ({shown}{more}); the decisions stay in the project's history: restore the words, or decide "
            "the passages again"]


def _excerpt(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rsplit(" ", 1)[0] + " …"


def _register_languages(register: ParticipantTable | None, codebook: Codebook) -> set[str]:
    written = {entry.language for entry in (register.entries if register else ()) if entry.language}
    return {code for value in written if (code := language_code(value)) in codebook.languages}


def with_language(transcript: Transcript, codebook: Codebook, register: ParticipantTable | None) -> Transcript:
    """The transcript with the language it is coded in, and a note or warning on how it was chosen.

    From the front matter, else the participants file, else the words, else the
    codebook; the codebook must have rules in it.
    """
    choice = choose_language(transcript, register)
    if choice.code is None and choice.written is None:
        language = codebook.language
    elif choice.code is None:
        raise TranscriptError(
            transcript.source_path, f"language '{choice.written}' (from {choice.source}) is not a language such as en or nb"
        )
    else:
        language = choice.code
    if language not in codebook.languages:
        where = f"from {choice.source}" if choice.written is not None else choice.source
        fix = ("set 'language:' in its front matter or the participants file if that is wrong" if choice.written is None
               else "correct the language")  # fmt: skip
        raise TranscriptError(
            transcript.source_path,
            f"it is in '{language}' ({where}), but the codebook has rules only in {', '.join(codebook.languages)}; "
            f"add '{language}:' terms to the codebook or {fix}",
        )
    notes = list(transcript.notes)
    warnings = [choice.warning] if choice.warning else []
    if choice.code is None and choice.written is None and len(codebook.languages) > 1:
        # A bilingual codebook and a text too short or too mixed to tell: the wrong language's rules find almost nothing.
        warnings.append(f"no language is set, and the text is too short or too mixed to tell which it is in; it is coded "
                        f"with the codebook's '{codebook.language}' rules: set 'language:' in its front matter or the "
                        "participants file if it is in another")  # fmt: skip
    if choice.detected and language != codebook.language:
        notes.append(f"no language is set, and the text reads as '{language}' ({choice.source}): it is coded with the "
                     f"codebook's '{language}' rules, not its default '{codebook.language}'")  # fmt: skip
    return replace(transcript, language=language, notes=tuple(notes), warnings=(*transcript.warnings, *warnings))
