"""Which language a transcript is written in, told from its words, offline.

py3langid ships its model (140 languages, a few megabytes) inside the package:
nothing is downloaded, it loads once per process in under a second, and a
transcript takes milliseconds. Only a confident answer on enough text is
used: a short file, or one that mixes languages, stays undecided.

The model takes about 80 MB once loaded. ``detector_process`` moves it into a
small process of its own, forked before spaCy is imported, so `ipl-coder code`
loads it while spaCy and the codebook load, and neither the main process nor
the coding workers (forked from it, and asking it as they read) carry it.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from ipl_coder.errors import PipelineError
from ipl_coder.transcripts.languages import language_code

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

MIN_CHARACTERS = 200  # below this, a sentence or two, the guess is too often wrong
MIN_PROBABILITY = 0.9
SAMPLE_CHARACTERS = 5_000  # a page or two: enough to tell; a whole interview adds time, not certainty


@dataclass(frozen=True)
class DetectedLanguage:
    code: str  # as ipl-coder writes it: "nb" for Norwegian Bokmål
    probability: float

    def describe(self) -> str:
        return f"detected from the text, {self.probability:.0%} sure"


def detect_language(text: str) -> DetectedLanguage | None:
    """The language ``text`` is written in, or None when the text is too short or the answer unsure."""
    sample = text[:SAMPLE_CHARACTERS]
    if sum(map(str.isalpha, sample)) < MIN_CHARACTERS:
        return None
    found, probability = _remote.classify(sample) if _remote is not None else _classify(sample)
    code = language_code(str(found))
    if code is None or probability < MIN_PROBABILITY:
        return None
    return DetectedLanguage(code, float(probability))


@cache
def _identifier() -> LanguageIdentifier:
    import tempfile

    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    try:
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    except OSError as error:  # it unpacks the model into a temporary file first
        raise PipelineError(f"{tempfile.gettempdir()}: cannot unpack the language detection model there ({error.strerror or error}); "
                            "free some disk space and run again") from None


def _classify(sample: str) -> tuple[str, float]:
    found, probability = _identifier().classify(sample)
    return str(found), float(probability)


class _RemoteDetector:
    """A process holding the model, answering one sample at a time over a pipe.

    The coding workers, forked from the main process, read transcripts and ask
    it too: the lock keeps each question and its answer together on the one pipe.
    """

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self.connection, theirs = context.Pipe()
        self.lock = context.Lock()
        self.asked = context.Value("b", 0, lock=False)  # shared with the workers: has anyone asked yet?
        self.process = context.Process(target=_serve, args=(theirs, self.connection), name="ipl-coder-language", daemon=True)
        self.process.start()
        theirs.close()

    def classify(self, sample: str) -> tuple[str, float]:
        with self.lock:
            self.asked.value = 1
            try:
                self.connection.send(sample)
                answer = self.connection.recv()
            except (EOFError, OSError):
                raise PipelineError("the language detection process stopped unexpectedly; run again") from None
        if isinstance(answer, str):
            raise PipelineError(answer)  # the model could not load
        return answer

    def close(self) -> None:
        self.connection.close()  # the server reads the end of the pipe and returns
        if not self.asked.value:
            self.process.terminate()  # never asked (a run that stopped early): no need to wait for the model
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()


def _serve(connection: Any, main_end: Any) -> None:
    main_end.close()  # the fork copied it: held open here, the main process closing it would never end this loop
    try:
        try:
            _identifier()  # at once: it loads while the main process goes on
            problem = None
        except PipelineError as error:
            problem = str(error)
        while True:
            sample = connection.recv()
            connection.send(problem if problem is not None else _classify(sample))
    except (EOFError, OSError):
        return  # the main process is done, or gone (a run that stopped early closes the pipe before the model loads)


_remote: _RemoteDetector | None = None


@contextmanager
def detector_process() -> Iterator[None]:
    """Within this block, detect languages in a process of its own (see the module's doc); in this one without fork."""
    global _remote
    if _remote is not None or "fork" not in multiprocessing.get_all_start_methods():
        yield
        return
    _remote = _RemoteDetector()
    try:
        yield
    finally:
        remote, _remote = _remote, None
        remote.close()
