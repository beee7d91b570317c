"""``ipl-coder codebook diff``: what a codebook edit would change, tried on a project's transcripts.

Both codebooks code every current transcript of the project, as stored (no
files are read), with the unit and model of the project's latest run. The
project itself is only read: nothing is written to it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ipl_coder.codebook.model import Codebook
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.coding.coders import Segment
from ipl_coder.coding.parallel import Coder, code_in_parallel
from ipl_coder.errors import ProjectError, TranscriptError
from ipl_coder.files import atomic_file, spreadsheet_safe
from ipl_coder.transcripts import Transcript, transcript_from_store

Progress = Callable[[int, int, str], None]
Found = dict[tuple[str, str, int, int], Segment]  # (transcript, code, start, end) -> segment
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
    from ipl_coder.coding.coders import LanguageCoders
    from ipl_coder.store import ProjectStore

    old, new = load_codebook(old_path), load_codebook(new_path)
    with ProjectStore.open(project_dir) as store:
        run = store.latest_run()
        if run is None:
            raise ProjectError(f"{project_dir}: nothing coded yet; run 'ipl-coder code' first")
        count = len(store.transcript_languages())
        model = run.options.get("model")
        results: list[Found] = []
        skipped: dict[str, str] = {}
        for step, codebook in enumerate((old, new)):
            coders = LanguageCoders(codebook, run.unit, model)
            found: Found = {}
            stored = map(transcript_from_store, store.stored_transcripts())
            for name, outcome in _code_all(stored, codebook, coders, jobs, count, step, progress):
                if isinstance(outcome, str):
                    skipped.setdefault(name, outcome)
                    continue
                found.update({(s.transcript, s.code_id, s.start_char, s.end_char): s for s in outcome})
            results.append(found)
    before, after = results
    for name in skipped:  # a transcript only one codebook could code is left out of both
        before = {key: value for key, value in before.items() if key[0] != name}
        after = {key: value for key, value in after.items() if key[0] != name}
    code_ids = list(dict.fromkeys([*(code.code_id for code in old.codes), *(code.code_id for code in new.codes)]))
    codes = [_code_change(code_id, before, after) for code_id in code_ids]
    result = CodebookDiff(old_path, new_path, project_dir, run.unit, count, codes,
                          [f"{name}: {reason}" for name, reason in skipped.items()], out)  # fmt: skip
    if out is not None:
        write_diff_csv(result, out)
    return result


def _code_all(transcripts: Iterator[Transcript], codebook: Codebook, coders: Coder, jobs: int, count: int, step: int,
              progress: Progress | None) -> Iterator[tuple[str, list[Segment] | str]]:  # fmt: skip
    def checked() -> Iterator[tuple[str, Transcript | TranscriptError]]:
        for transcript in transcripts:
            language = transcript.language or codebook.language
            if language not in codebook.languages:
                yield transcript.name, TranscriptError(transcript.source_path, f"{codebook.path} has no rules in '{language}'")
            else:
                yield transcript.name, transcript

    for done, (name, transcript, segments) in enumerate(code_in_parallel(checked(), coders, jobs, count), start=1):
        if progress:
            progress(step * count + done, 2 * count, name)
        yield name, transcript.reason if isinstance(transcript, TranscriptError) else segments


def _code_change(code_id: str, before: Found, after: Found) -> CodeChange:
    old_keys = {key for key in before if key[1] == code_id}
    new_keys = {key for key in after if key[1] == code_id}
    order = lambda key: (key[0], key[2], key[3])  # noqa: E731 - transcript, then place
    return CodeChange(
        code_id, len(old_keys), len(new_keys),
        added=[after[key] for key in sorted(new_keys - old_keys, key=order)],
        dropped=[before[key] for key in sorted(old_keys - new_keys, key=order)],
    )  # fmt: skip


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
