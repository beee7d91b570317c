"""Code transcripts on every core, still one transcript at a time per worker.

Workers are forked after the pipeline is built, so they share it instead of
loading spaCy again, and each sends back only its transcript's segments: a few
kilobytes, where sending spaCy Docs back (spaCy's own ``n_process``) made
coding four times slower. At most two transcripts per worker are in flight,
so memory stays flat however large the corpus.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol, TypeVar

from ipl_coder.coding.coders import Segment
from ipl_coder.errors import TranscriptError
from ipl_coder.transcripts import Transcript

Key = TypeVar("Key")


class Coder(Protocol):
    def code(self, transcript: Transcript) -> list[Segment]: ...


MIN_TRANSCRIPTS_PER_WORKER = 4  # below this, starting workers costs more than it saves

_worker_coder: Coder | None = None  # set before the fork; each worker inherits it


def _code_in_worker(transcript: Transcript) -> list[Segment]:
    assert _worker_coder is not None
    return _worker_coder.code(transcript)


def worker_count(jobs: int, transcripts: int) -> int:
    """How many worker processes to use: ``jobs``, or one per core, and never more than pays off."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1  # without fork every worker would load spaCy again
    wanted = jobs or os.cpu_count() or 1
    return max(1, min(wanted, transcripts // MIN_TRANSCRIPTS_PER_WORKER))


def code_in_parallel(
    items: Iterable[tuple[Key, Transcript | TranscriptError]], coder: Coder, jobs: int, total: int
) -> Iterator[tuple[Key, Transcript | TranscriptError, list[Segment]]]:
    """Code each transcript, in input order; a TranscriptError passes through with no segments."""
    workers = worker_count(jobs, total)
    if workers == 1:
        for key, transcript in items:
            yield key, transcript, coder.code(transcript) if isinstance(transcript, Transcript) else []
        return
    global _worker_coder
    _worker_coder = coder
    pending: deque[tuple[Key, Transcript | TranscriptError, Future[list[Segment]] | None]] = deque()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for key, transcript in items:
            future = pool.submit(_code_in_worker, transcript) if isinstance(transcript, Transcript) else None
            pending.append((key, transcript, future))
            if len(pending) >= 2 * workers:
                yield _finished(pending.popleft())
        while pending:
            yield _finished(pending.popleft())


def _finished(item: tuple[Key, Transcript | TranscriptError, Future[list[Segment]] | None]) -> tuple[Key, Transcript | TranscriptError, list[Segment]]:
    key, transcript, future = item
    return key, transcript, future.result() if future is not None else []
