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
import threading
import time
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
PARENT_CHECK_SECONDS = 0.5

_worker_coder: Coder | None = None  # set before the fork; each worker inherits it


def _code_in_worker(transcript: Transcript) -> list[Segment] | TranscriptError:
    assert _worker_coder is not None
    return code_one(_worker_coder, transcript)


def code_one(coder: Coder, transcript: Transcript) -> list[Segment] | TranscriptError:
    """The transcript's segments, or why it could not be coded: one bad file must not stop the others."""
    try:
        return coder.code(transcript)
    except Exception as error:  # noqa: BLE001 - spaCy and the components raise many kinds; the run goes on
        return TranscriptError(transcript.source_path, f"could not be coded ({type(error).__name__}: {error}); "
                                                       "the other files were coded. Report it with this file")  # fmt: skip


def _leave_with_parent(parent: int) -> None:
    """Exit when the main process is gone (killed, say): a worker must never code on for no one."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="ipl-coder-parent-watch", daemon=True).start()


def worker_count(jobs: int, transcripts: int) -> int:
    """How many worker processes to use: ``jobs``, or one per core, and never more than pays off."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1  # without fork every worker would load spaCy again
    wanted = jobs or os.cpu_count() or 1
    return max(1, min(wanted, transcripts // MIN_TRANSCRIPTS_PER_WORKER))


def code_in_parallel(
    items: Iterable[tuple[Key, Transcript | TranscriptError]], coder: Coder, jobs: int, total: int
) -> Iterator[tuple[Key, Transcript | TranscriptError, list[Segment]]]:
    """Code each transcript, in input order; a TranscriptError passes through with no segments.

    A transcript that fails to code comes back as a TranscriptError in its place.
    """
    workers = worker_count(jobs, total)
    if workers == 1:
        for key, transcript in items:
            yield _outcome(key, transcript, code_one(coder, transcript) if isinstance(transcript, Transcript) else [])
        return
    global _worker_coder
    _worker_coder = coder
    pending: deque[tuple[Key, Transcript | TranscriptError, Future[list[Segment] | TranscriptError] | None]] = deque()
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_leave_with_parent, initargs=(os.getpid(),)) as pool:
            for key, transcript in items:
                future = pool.submit(_code_in_worker, transcript) if isinstance(transcript, Transcript) else None
                pending.append((key, transcript, future))
                if len(pending) >= 2 * workers:
                    yield _finished(pending.popleft())
            while pending:
                yield _finished(pending.popleft())
    finally:
        _worker_coder = None  # the workers are gone: let the coder go, so another (codebook diff's second) need not sit beside it


Outcome = tuple[Key, Transcript | TranscriptError, list[Segment]]


def _finished(item: tuple[Key, Transcript | TranscriptError, Future[list[Segment] | TranscriptError] | None]) -> Outcome[Key]:
    key, transcript, future = item
    return _outcome(key, transcript, future.result() if future is not None else [])


def _outcome(key: Key, transcript: Transcript | TranscriptError, coded: list[Segment] | TranscriptError) -> Outcome[Key]:
    if isinstance(coded, TranscriptError):
        return key, coded, []
    return key, transcript, coded
