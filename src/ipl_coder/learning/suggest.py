"""The learned model's suggestions for ``ipl-coder code --learned``, beside the rules'.

Each sentence of a participant's turn (cut as the rules' coding cuts it) is
scored for every code the model learned, by its words and by its context (the
rules' codes on and around it, see :mod:`ipl_coder.learning.context`); a
score at or above the one calibrated for the code and that component (see
:mod:`ipl_coder.learning.training`) suggests the code for the sentence, grown
to the code's unit as a rule's match grows, with the same kind of segment id. A suggestion never
replaces anything: where a rule suggests the code (or one of its sub-codes) on
an overlapping passage, or a person already gave it the code, the model's
suggestion is dropped; so is its suggestion of a code where it suggests one of
the code's sub-codes, which says more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ipl_coder.codebook.model import EVERYONE, PARTICIPANTS, Codebook
from ipl_coder.coding.coders import CodedSegments, ModelSegment, Segment
from ipl_coder.coding.doc_cache import cache_folder
from ipl_coder.errors import ProjectError
from ipl_coder.learning.context import all_context_tokens, rule_codes
from ipl_coder.learning.model import CONTEXT, WORDS, LearnedModel, model_folder
from ipl_coder.learning.reading import READINGS_FOLDER, Reader, Reading
from ipl_coder.learning.reasons import SimilarPassages, weighed_context, weighed_words
from ipl_coder.store import STORE_FILENAME, ModelReason, ProjectStore, segment_id_for
from ipl_coder.transcripts import Transcript, Turn, transcript_from_store


@dataclass(frozen=True)
class _Candidate:
    code_id: str
    start_char: int
    end_char: int
    turn: Turn
    sentence: str  # the sentence that scored, for the reason
    words: tuple[str, ...]  # its words as the words component read them; () when only its context made it
    context: tuple[str, ...]  # its context tokens; () when only its words made it
    score: float


def read_ahead(project_dir: Path, codebook: Codebook) -> None:
    """Keep in the cache what the project's newest model reads of each transcript it stores.

    ``learn`` does it last, while spaCy and the model are loaded: otherwise the first ``code --learned`` after each
    ``learn`` cuts and scores every sentence of the project (twice the time of a run that reads it back). The
    entries are those that run would write (reading.py: keyed by the model as saved, the text and its turns).
    """
    suggester = LearnedSuggester.load(project_dir, codebook, codebook.run_unit(None))
    if suggester is None or not suggester.codes:
        return
    with ProjectStore.open(project_dir) as store:
        for stored in store.stored_transcripts():  # one at a time: memory flat in the size of the project
            suggester.reader.read(transcript_from_store(stored), None)


class LearnedSuggester:
    """Suggests codes with the project's learned model; built once per ``code`` run."""

    def __init__(self, model: LearnedModel, model_id: int, codebook: Codebook, run_unit: str,
                 coded_by_people: dict[str, list[tuple[str, int, int, str]]], project_dir: Path, cache: bool) -> None:  # fmt: skip
        known = {code.code_id for code in codebook.codes}
        self.model, self.model_id = model, model_id
        self.codes = [code for code in model.suggested_codes() if code in known]
        self.reader = Reader(model, model_id, self.codes, model_folder(project_dir),
                             cache_folder(project_dir) / READINGS_FOLDER if cache else None)  # fmt: skip
        self.gone = [code for code in model.suggested_codes() if code not in known]  # renamed or removed since learn
        # Moved under another parent since learn: what the model learned of the codes above it, and of the rules' codes
        # around a sentence, followed the old tree (passages.py, context.py). None: a model from before parents were kept.
        self.moved: list[tuple[str, str | None, str | None]] | None = None if model.parents is None else [
            (code.code_id, model.parents[code.code_id], code.parent_id) for code in codebook.codes
            if code.code_id in model.parents and model.parents[code.code_id] != code.parent_id]  # fmt: skip
        self.units = {code: codebook.effective_unit(codebook.code(code), run_unit) for code in self.codes}
        self.speakers = {code: {speaker.casefold() for speaker in codebook.effective_speakers(codebook.code(code))}
                         for code in self.codes}  # fmt: skip
        self.coded_by_people = coded_by_people
        self.parent = {code.code_id: code.parent_id for code in codebook.codes}
        self.similar = SimilarPassages(model.known)
        self._chains: dict[str, list[str]] = {}

    @classmethod
    def load(cls, project_dir: Path, codebook: Codebook, run_unit: str, cache: bool = True) -> LearnedSuggester | None:
        """The project's latest learned model; None when there is none yet (no project, or no ``learn`` that learned a code).

        ``cache``: read what it read of each transcript before from the project's cache, and keep what it reads there.
        """
        if not (project_dir / STORE_FILENAME).exists():
            return None
        with ProjectStore.open(project_dir) as store:
            row = store.learned_model()
            if row is None or not row.trained_codes:
                return None
            # Every passage people gave a code: codes they added, and suggestions they accepted (a rule's or the model's,
            # perhaps at another unit, or by a rule an edit has since changed). A code taken back gives nothing.
            people: dict[str, list[tuple[str, int, int, str]]] = {}
            for segment in store.segments(("accepted",)):
                people.setdefault(segment.transcript, []).append((segment.code_id, segment.start_char, segment.end_char,
                                                                  segment.segment_id))  # fmt: skip
        model = LearnedModel.load(model_folder(project_dir))
        if model.codes != row.trained_codes or model.model_id not in (None, row.model_id):
            # Another project's model copied in, an old one restored, or a learn stopped between recording and saving it.
            told = (f"it is model {model.model_id}; the project's store says {row.model_id}" if model.codes == row.trained_codes
                    else f"it learned {', '.join(model.codes)}; the project's store says {', '.join(row.trained_codes)}")  # fmt: skip
            raise ProjectError(f"{model_folder(project_dir)}: this is not the model the project's last 'learn' recorded ({told}); "
                               "run 'ipl-coder learn' again")  # fmt: skip
        return cls(model, row.model_id, codebook, run_unit, people, project_dir, cache)

    def kept_readings(self) -> int:
        """Of how many transcripts the cache holds what this model read: as many as a run codes, and it needs no Docs."""
        return self.reader.kept()

    def suggest(self, transcript: Transcript, segments: Sequence[Segment]) -> list[ModelSegment]:
        """The model's suggestions for one transcript, given the rules' suggestions for it."""
        if not self.codes:
            return []
        coded = segments if isinstance(segments, CodedSegments) else None
        reading = self.reader.read(transcript, coded.layout if coded else None, coded.cached_layout if coded else None)
        if not reading.sentences:
            return []
        rules = [(s.code_id, s.start_char, s.end_char) for s in segments]
        people = self.coded_by_people.get(transcript.name, [])
        mine = self._candidates(transcript, reading, segments)
        kept = sorted((c for c in mine if not self._covered(c, [*rules, *self._given_elsewhere(transcript, c, people)], mine)),
                      key=lambda c: (c.start_char, c.end_char, c.code_id))  # fmt: skip
        why = [ModelReason(self.model_id, (*weighed_context(self.model, c.context, c.code_id), *weighed_words(self.model, c.words, c.code_id)),
                           self.similar.most_similar(c.sentence, c.code_id)) for c in kept]  # fmt: skip
        return [
            ModelSegment(
                segment_id=segment_id_for(transcript.content_hash, item.code_id, item.start_char, item.end_char),
                transcript=transcript.name, code_id=item.code_id, start_char=item.start_char, end_char=item.end_char,
                speaker=item.turn.speaker, turn_number=item.turn.number, unit=self.units[item.code_id],
                matched=tuple(word for word, _ in reason.words), rules=(), text=transcript.text[item.start_char : item.end_char],
                score=round(item.score, 4), reason=reason,
            )
            for item, reason in zip(kept, why, strict=True)
        ]  # fmt: skip

    def _candidates(self, transcript: Transcript, reading: Reading, segments: Sequence[Segment]) -> list[_Candidate]:
        """Per code and unit, the best-scoring suggestion of either component, where its score reaches the calibrated one."""
        units, layout = reading.sentences, reading.layout
        texts = [transcript.text[start:end] for _, start, end in units]
        ruled = rule_codes([(start, end) for _, start, end in units], ((s.code_id, s.start_char, s.end_char) for s in segments), self._chain)
        contexts = all_context_tokens(ruled, [turn.number for turn, _, _ in units])
        candidates: dict[tuple[str, int, int], _Candidate] = {}
        scored = zip(units, texts, contexts, reading.words, reading.tokens, self.model.context_scores(contexts), strict=True)
        for (turn, start, end), text, context, words, tokens, around in scored:
            for code in self.codes:
                by_words, by_context = self.model.reaches(WORDS, code, words.get(code, 0.0)), self.model.reaches(CONTEXT, code, around[code])
                if not (by_words or by_context) or not self._applies(code, turn):
                    continue
                score = max(words[code] if by_words else 0.0, around[code] if by_context else 0.0)
                unit_start, unit_end = layout.expand(self.units[code], turn.number, start, end)
                key = (code, unit_start, unit_end)
                if key not in candidates or candidates[key].score < score:
                    candidates[key] = _Candidate(code, unit_start, unit_end, turn, text, tokens if by_words else (),
                                                 context if by_context else (), score)  # fmt: skip
        return list(candidates.values())

    def _covered(self, candidate: _Candidate, others: Sequence[tuple[str, int, int]], mine: Sequence[_Candidate]) -> bool:
        """Whether a rule or a person has the code, or a sub-code of it, on the passage, or the model a sub-code of it."""
        theirs = [(code, start, end) for code, start, end in others if code == candidate.code_id or candidate.code_id in self._chain(code)]
        below = [(c.code_id, c.start_char, c.end_char) for c in mine if c.code_id != candidate.code_id and candidate.code_id in self._chain(c.code_id)]
        return any(start < candidate.end_char and candidate.start_char < end for _, start, end in (*theirs, *below))

    @staticmethod
    def _given_elsewhere(transcript: Transcript, candidate: _Candidate,
                         people: Sequence[tuple[str, int, int, str]]) -> list[tuple[str, int, int]]:  # fmt: skip
        """The passages people gave a code, but the candidate's own: an accepted suggestion made again keeps its decision."""
        own = segment_id_for(transcript.content_hash, candidate.code_id, candidate.start_char, candidate.end_char)
        return [(code, start, end) for code, start, end, segment_id in people if segment_id != own]

    def _chain(self, code: str) -> list[str]:
        """The code and every code above it (kept: a run asks for each code's many times)."""
        if code not in self._chains:
            chain = [code]
            while (parent := self.parent.get(chain[-1])) and parent not in chain:
                chain.append(parent)
            self._chains[code] = chain
        return self._chains[code]

    def _applies(self, code: str, turn: Turn) -> bool:
        speakers = self.speakers[code]
        return bool(speakers & {EVERYONE, PARTICIPANTS, turn.speaker.casefold()})



