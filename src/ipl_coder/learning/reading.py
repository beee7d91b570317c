"""What the learned model reads of a transcript: its participants' sentences and how their words score, kept for re-runs.

A re-run whose rules' segments all come from the cache (segment_cache.py)
reads no Doc, so for ``--learned`` the model had to cut the sentences and
score their words itself: more than the rest of the run. Both depend only on
the transcript's text and turns, the model and this program, so they are kept
per transcript in ``PROJECT/cache/learned/``, named by a hash of all of them and
ending with a checksum line (files.with_checksum): a file another model, text
or version would have read differently is never found, one changed since is
ignored, and deleting the folder is always safe. The context's scores are not
kept: they follow the rules' codes, which an edit changes, and cost little.
A new model's first run removes the files of the models before it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ipl_coder import __version__
from ipl_coder.coding.doc_arrays import TokenOffsets
from ipl_coder.coding.doc_cache import READINGS_FOLDER, save_entry, touch_entry
from ipl_coder.coding.layout import UnitLayout, pieces
from ipl_coder.coding.pipeline import model_fingerprint, sentence_splitter
from ipl_coder.files import sources_hash, with_checksum, without_checksum
from ipl_coder.learning.model import PASSAGES_FILE, WORDS, LearnedModel
from ipl_coder.transcripts import Transcript, Turn

__all__ = ["READINGS_FOLDER", "Reader", "Reading"]
READING_FORMAT = 1  # bump when the file's layout changes
_SOURCES = {"learning": ("reading.py", "model.py"), "coding": ("coders.py", "layout.py", "doc_arrays.py", "pipeline.py", "sentences.py")}

Sentence = tuple[Turn, int, int]  # a participant turn, and where one of its sentences starts and ends


@dataclass(frozen=True)
class Reading:
    layout: UnitLayout  # the transcript's units, its participants' sentences among them
    sentences: list[Sentence]  # in text order
    words: list[dict[str, float]]  # per sentence, the words' score of each code whose calibrated score it reaches
    tokens: list[tuple[str, ...]]  # per sentence, its words as the model read them where some code's words reached; else ()


class Reader:
    """Reads transcripts for one model, from the cache folder when it has them (``folder``; None: always afresh)."""

    def __init__(self, model: LearnedModel, model_id: int, codes: Sequence[str], model_folder: Path, folder: Path | None) -> None:
        self.model = model
        self.words_codes = [code for code in codes if model.min_score(WORDS, code) is not None]
        self.folder = folder
        self.prefix = f"model-{model_id}-"
        passages = hashlib.sha256((model_folder / PASSAGES_FILE).read_bytes()).hexdigest() if folder else ""
        self.model_key = json.dumps([model_id, passages, model_fingerprint(model.nlp) if folder else "", self.words_codes])
        self._splitters: dict[str, Any] = {}
        if folder is not None:
            for old in folder.glob("model-*.json"):  # another model's: never read again
                if not old.name.startswith(self.prefix):
                    try:
                        old.unlink(missing_ok=True)
                    except OSError:
                        pass  # not ours to remove (a shared folder), or not a file: it is never read, so leave it

    def kept(self) -> int:
        """How many readings of this model the cache holds (of transcripts as they were then, perhaps)."""
        return sum(1 for _ in self.folder.glob(f"{self.prefix}*.json")) if self.folder is not None else 0

    def read(self, transcript: Transcript, cut: UnitLayout | None, cached_cut: Callable[[], UnitLayout | None] | None = None) -> Reading:
        """The transcript's sentences and their words' scores.

        ``cut``: the rules' sentences, when the run read the Docs; ``cached_cut``: how to read them from the cached
        Docs, when it did not. Either is taken only if it has every participant turn's; else the model cuts them.
        """
        path = self._path(transcript) if self.folder is not None else None
        saved = _load(path, transcript, self.words_codes) if path is not None else None
        if saved is not None:
            return saved
        spoken = [turn for turn in transcript.turns if turn.role != "interviewer"]
        layout = (_covering(cut, spoken) or _covering(cached_cut() if cached_cut else None, spoken)
                  or self._cut(transcript, spoken))  # fmt: skip
        sentences = [(turn, start, end) for turn in spoken for start, end in layout.sentences.get(turn.number, [])]
        words: list[dict[str, float]] = [{} for _ in sentences]
        tokens: list[tuple[str, ...]] = [() for _ in sentences]
        if self.words_codes and sentences:  # a model whose words suggest no code need not read them
            for index, (scores, doc) in enumerate(self.model.scores([transcript.text[start:end] for _, start, end in sentences])):
                # Only a score that reaches its code's is ever used (as the suggestion's): the others need not be kept.
                words[index] = {code: scores[code] for code in self.words_codes if self.model.reaches(WORDS, code, scores[code])}
                if words[index]:
                    tokens[index] = tuple(token.text for token in doc)
        reading = Reading(layout, sentences, words, tokens)
        if path is not None:
            _save(path, reading)
        return reading

    def _cut(self, transcript: Transcript, spoken: Sequence[Turn]) -> UnitLayout:
        language = transcript.language or "en"
        if language not in self._splitters:
            self._splitters[language] = sentence_splitter(language)
        layout = UnitLayout(transcript)
        turns = [piece for turn in spoken for piece in pieces(turn, transcript.text)]
        texts = [transcript.turn_text(turn) for turn in turns]
        for doc, text, turn in zip(self._splitters[language].pipe(texts), texts, turns, strict=True):
            layout.add_sentences(turn, doc, text, TokenOffsets(doc))
        return layout

    def _path(self, transcript: Transcript) -> Path:
        assert self.folder is not None
        turns = [[turn.number, turn.role, turn.start_char, turn.end_char] for turn in transcript.turns]
        context = json.dumps([READING_FORMAT, __version__, _sources_hash(), self.model_key, transcript.language or "en",
                              transcript.content_hash, turns])  # fmt: skip
        return self.folder / f"{self.prefix}{hashlib.sha256(context.encode('utf-8')).hexdigest()[:32]}.json"


def _covering(layout: UnitLayout | None, spoken: Sequence[Turn]) -> UnitLayout | None:
    return layout if layout is not None and all(turn.number in layout.sentences for turn in spoken) else None


def _save(path: Path, reading: Reading) -> None:
    rows = [[turn.number, start, end, words, list(tokens)]
            for (turn, start, end), words, tokens in zip(reading.sentences, reading.words, reading.tokens, strict=True)]  # fmt: skip
    data = json.dumps(rows, ensure_ascii=False).encode("utf-8", "surrogatepass")
    save_entry(path, with_checksum(data, bound_to=path.name))


def _load(path: Path, transcript: Transcript, words_codes: Sequence[str]) -> Reading | None:
    """The reading saved for this transcript; None when there is none, or none this program wrote for it."""
    try:
        checked = without_checksum(path.read_bytes(), bound_to=path.name)
        reading = None if checked is None else _reading(transcript, json.loads(checked.decode("utf-8", "surrogatepass")), words_codes)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):  # not the shape this program writes
        return None
    if reading is not None:
        touch_entry(path)
    return reading


def _reading(transcript: Transcript, rows: list[Any], words_codes: Sequence[str]) -> Reading | None:
    turns = {turn.number: turn for turn in transcript.turns if turn.role != "interviewer"}
    reading = Reading(UnitLayout(transcript), [], [], [])
    for number, start, end, scores, tokens in rows:
        turn = turns[number]
        if not (type(start) is int and type(end) is int and turn.start_char <= start < end <= turn.end_char
                and set(scores) <= set(words_codes)):  # fmt: skip
            return None
        reading.layout.sentences.setdefault(number, []).append((start, end))
        reading.layout.sentence_starts.setdefault(number, []).append(start)
        reading.sentences.append((turn, start, end))
        reading.words.append({str(code): float(score) for code, score in scores.items()})
        reading.tokens.append(tuple(str(token) for token in tokens))
    return reading


@cache
def _sources_hash() -> str:
    package = Path(__file__).parent.parent
    return "".join(sources_hash(package / folder, names) for folder, names in _SOURCES.items())
