"""Code transcripts on every core, still one transcript at a time per worker.

Workers are forked after the pipeline is built, so they share it instead of
loading spaCy again. Each reads its transcript and sends back the transcript
and its segments, where sending spaCy Docs back (spaCy's own ``n_process``)
made coding four times slower; reading there leaves the main process only the
store to keep. At most two transcripts per worker are in flight,
so memory stays flat however large the corpus.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Protocol, TypeVar

from ipl_coder.coding.coders import Segment
from ipl_coder.errors import TranscriptError
from ipl_coder.transcripts import Transcript

Key = TypeVar("Key")
Work = TypeVar("Work")


class Coder(Protocol):
    def code(self, transcript: Transcript) -> list[Segment]: ...


MIN_TRANSCRIPTS_PER_WORKER = 4  # below this, starting workers costs more than it saves
PARENT_CHECK_SECONDS = 0.5

_worker_coder: Coder | None = None  # set before the fork; each worker inherits it
_worker_prepare: Callable[[Any], Transcript | TranscriptError] | None = None  # likewise


def _code_in_worker(work: object) -> tuple[Transcript | TranscriptError, list[Segment] | TranscriptError]:
    assert _worker_coder is not None and _worker_prepare is not None
    return prepare_and_code(_worker_prepare, _worker_coder, work)


def prepare_and_code(prepare: Callable[[Work], Transcript | TranscriptError], coder: Coder,
                     work: Work) -> tuple[Transcript | TranscriptError, list[Segment] | TranscriptError]:  # fmt: skip
    transcript = prepare(work)
    return transcript, (code_one(coder, transcript) if isinstance(transcript, Transcript) else [])


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


Outcome = tuple[Key, Transcript | TranscriptError, list[Segment]]


def code_in_parallel(items: Iterable[tuple[Key, Work]], prepare: Callable[[Work], Transcript | TranscriptError],
                     coder: Coder, jobs: int, total: int) -> Iterator[Outcome[Key]]:  # fmt: skip
    """Prepare (read, say) and code each item's transcript, in input order, in the workers.

    Reading in the workers too leaves the main process free to store what they send back.
    A transcript that cannot be read or coded comes back as a TranscriptError, with no segments.
    """
    workers = worker_count(jobs, total)
    if workers == 1:
        for key, work in items:
            yield _outcome(key, *prepare_and_code(prepare, coder, work))
        return
    global _worker_coder, _worker_prepare
    _worker_coder, _worker_prepare = coder, prepare
    pending: deque[tuple[Key, Future[tuple[Transcript | TranscriptError, list[Segment] | TranscriptError]]]] = deque()
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_leave_with_parent, initargs=(os.getpid(),)) as pool:
            for key, work in items:
                pending.append((key, pool.submit(_code_in_worker, work)))
                if len(pending) >= 2 * workers:
                    key, future = pending.popleft()
                    yield _outcome(key, *future.result())
            while pending:
                key, future = pending.popleft()
                yield _outcome(key, *future.result())
    finally:
        # The workers are gone: let the coder go, so another (codebook diff's second) need not sit beside it.
        _worker_coder = _worker_prepare = None


def _outcome(key: Key, transcript: Transcript | TranscriptError, coded: list[Segment] | TranscriptError) -> Outcome[Key]:
    if isinstance(coded, TranscriptError):
        return key, coded, []
    return key, transcript, coded
