"""``ipl-coder codebook diff``: what a codebook edit would change, tried on a project's transcripts.

Both codebooks code every current transcript of the project, as stored (no
files are read), with the unit and model of the project's latest run. The
project itself is only read: nothing is written to it.
"""

from __future__ import annotations

import csv
import gc
import pickle
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ipl_coder.codebook.model import Codebook
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.coding.coders import Segment
from ipl_coder.coding.doc_cache import DOCS_FOLDER, cache_folder
from ipl_coder.coding.parallel import code_in_parallel
from ipl_coder.errors import ProjectError, TranscriptError
from ipl_coder.files import atomic_file, spreadsheet_safe
from ipl_coder.transcripts import Transcript, transcript_from_store

if TYPE_CHECKING:
    from ipl_coder.store import ProjectStore

Progress = Callable[[int, int, str], None]
DIFF_COLUMNS = ("change", "code", "transcript", "start", "end", "speaker", "rules", "matched", "text")


@dataclass(frozen=True)
class CodeChange:
    code_id: str
    before: int
    after: int
    added: list[Segment]
    dropped: list[Segment]


@dataclass(frozen=True)
class CodebookDiff:
    old_path: Path
    new_path: Path
    project_dir: Path
    unit: str
    transcripts: int
    codes: list[CodeChange]  # every code in either codebook, changed or not
    skipped: list[str]  # transcripts one of the codebooks could not code, with why
    out: Path | None = None

    @property
    def added(self) -> int:
        return sum(len(code.added) for code in self.codes)

    @property
    def dropped(self) -> int:
        return sum(len(code.dropped) for code in self.codes)


def diff_codebooks(old_path: Path, new_path: Path, project_dir: Path, out: Path | None = None, jobs: int = 0,
                   progress: Progress | None = None) -> CodebookDiff:  # fmt: skip
    """Code the project with each codebook in turn; keep per code the counts and only the segments that differ.

    The old codebook's segments wait in a temporary file, transcript by transcript, while the new codebook
    codes: one pipeline and one transcript's segments in memory at a time, however big the project.
    """
    from ipl_coder.store import ProjectStore

    old, new = load_codebook(old_path), load_codebook(new_path)
    code_ids = list(dict.fromkeys([*(code.code_id for code in old.codes), *(code.code_id for code in new.codes)]))
    changes = _Changes(code_ids)
    with ProjectStore.open(project_dir) as store, tempfile.TemporaryFile() as spool:
        run = store.latest_run()
        if run is None:
            raise ProjectError(f"{project_dir}: nothing coded yet; run 'ipl-coder code' first")
        count = len(store.transcript_languages())
        # The project's cache, read only: the codes either codebook shares with the last run come from it as they are,
        # and the others are matched on its Docs, so neither codebook tokenises what 'code' has already.
        last = _Run(run.unit, run.options.get("model"), cache_folder(project_dir) / DOCS_FOLDER)
        before = _code_all(store, old, last, jobs, count, 0, progress)
        for name, outcome in before:
            pickle.dump((name, outcome), spool, protocol=pickle.HIGHEST_PROTOCOL)
        spool.seek(0)
        for name, outcome in _code_all(store, new, last, jobs, count, 1, progress):
            old_name, old_outcome = pickle.load(spool)
            if old_name != name:
                raise ProjectError(f"{project_dir}: its transcripts changed while both codebooks coded them; run the diff again")
            changes.add(name, old_outcome, outcome)
    result = CodebookDiff(old_path, new_path, project_dir, run.unit, count, changes.codes(),
                          [f"{name}: {reason}" for name, reason in changes.skipped.items()], out)  # fmt: skip
    if out is not None:
        write_diff_csv(result, out)
    return result


@dataclass(frozen=True)
class _Run:
    """How the project's last run coded: its unit and pipeline, and where its cache is."""

    unit: str
    model: str | None
    cache: Path


def _code_all(store: ProjectStore, codebook: Codebook, run: _Run, jobs: int, count: int, step: int,
              progress: Progress | None) -> Iterator[tuple[str, list[Segment] | str]]:  # fmt: skip
    """Each current transcript's segments under ``codebook``, or why it could not be coded, in name order."""
    from ipl_coder.coding.coders import LanguageCoders

    def checked() -> Iterator[tuple[str, Transcript | TranscriptError]]:
        for transcript in map(transcript_from_store, store.stored_transcripts()):
            language = transcript.language or codebook.language
            if language not in codebook.languages:
                yield transcript.name, TranscriptError(transcript.source_path, f"{codebook.path} has no rules in '{language}'")
            else:
                yield transcript.name, transcript

    coders = LanguageCoders(codebook, run.unit, run.model, run.cache, write_cache=False)
    for done, (name, transcript, segments) in enumerate(code_in_parallel(checked(), _as_it_is, coders, jobs, count), start=1):
        if progress:
            progress(step * count + done, 2 * count, name)
        yield name, transcript.reason if isinstance(transcript, TranscriptError) else segments
    del coders
    gc.collect()  # spaCy's pipelines hold cycles: let this codebook's go before the next builds its own


def _as_it_is(transcript: Transcript | TranscriptError) -> Transcript | TranscriptError:
    return transcript  # read from the store already


class _Changes:
    """Per code, the segments before and after, and the ones added and dropped: summed transcript by transcript."""

    def __init__(self, code_ids: list[str]) -> None:
        self.code_ids = code_ids
        self.before: Counter[str] = Counter()
        self.after: Counter[str] = Counter()
        self.added: dict[str, list[Segment]] = defaultdict(list)
        self.dropped: dict[str, list[Segment]] = defaultdict(list)
        # A transcript either codebook could not code is left out of both: those the old one skipped, then the new one's.
        self.skipped_before: dict[str, str] = {}
        self.skipped_after: dict[str, str] = {}

    @property
    def skipped(self) -> dict[str, str]:
        return self.skipped_before | self.skipped_after

    def add(self, name: str, before: list[Segment] | str, after: list[Segment] | str) -> None:
        if isinstance(before, str):
            self.skipped_before[name] = before
        elif isinstance(after, str):
            self.skipped_after[name] = after
        if isinstance(before, str) or isinstance(after, str):
            return
        old = {(s.code_id, s.start_char, s.end_char): s for s in before}
        new = {(s.code_id, s.start_char, s.end_char): s for s in after}
        self.before.update(code_id for code_id, _, _ in old)
        self.after.update(code_id for code_id, _, _ in new)
        for key in sorted(new.keys() - old.keys(), key=lambda key: key[1:]):
            self.added[key[0]].append(new[key])
        for key in sorted(old.keys() - new.keys(), key=lambda key: key[1:]):
            self.dropped[key[0]].append(old[key])

    def codes(self) -> list[CodeChange]:
        """Every code in either codebook, changed or not; each one's segments by transcript, then place."""
        return [CodeChange(code_id, self.before[code_id], self.after[code_id], self.added.get(code_id, []),
                           self.dropped.get(code_id, [])) for code_id in self.code_ids]  # fmt: skip


def write_diff_csv(diff: CodebookDiff, out: Path) -> None:
    """One row per segment added or dropped, for Excel (BOM, formula-safe)."""
    with atomic_file(out, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(DIFF_COLUMNS)
        for code in diff.codes:
            for change, segments in (("added", code.added), ("dropped", code.dropped)):
                for segment in segments:
                    writer.writerow([spreadsheet_safe(value) for value in (
                        change, code.code_id, segment.transcript, segment.start_char, segment.end_char, segment.speaker,
                        "; ".join(segment.rules), "; ".join(segment.matched), segment.text,
                    )])  # fmt: skip
