"""Which language a transcript is written in, told from its words, offline.

py3langid ships its model (140 languages, a few megabytes) inside the package:
nothing is downloaded, it loads once per process in under a second, and a
transcript takes milliseconds. Only a confident answer on enough text is
used: a short file, or one that mixes languages, stays undecided.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

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
    found, probability = _identifier().classify(sample)
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
