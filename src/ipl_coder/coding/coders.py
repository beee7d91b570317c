"""From matched spans to coded segments, one transcript at a time.

The pipeline leaves raw matches in ``doc.spans``. Here they become evidence
(term and pattern hits, near pairs, boolean rules that hold in a unit), lose
any evidence an ``exclude_terms`` match vetoes in the same sentence, expand to
their coding unit, and merge per code into segments.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipl_coder.codebook.model import (
    EVERYONE,
    INTERVIEWER,
    PARTICIPANTS,
    BooleanRule,
    Codebook,
    NearRule,
)
from ipl_coder.coding.doc_cache import PieceDocs
from ipl_coder.coding.pipeline import (
    ALL,
    ANY,
    EXCLUDE,
    NEAR_A,
    NEAR_B,
    NONE,
    SPANS_KEY,
    PipelineInfo,
)
from ipl_coder.store import segment_id_for
from ipl_coder.transcripts import Transcript, Turn, paragraph_bounds

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

PENDING = "pending"
MAX_PIECE = 100_000  # characters of a turn spaCy gets at once


@dataclass(frozen=True)
class Evidence:
    code_id: str
    rule_id: str
    start_char: int
    end_char: int
    turn_number: int
    words: tuple[str, ...]


@dataclass(frozen=True)
class Segment:
    segment_id: str
    transcript: str
    code_id: str
    start_char: int
    end_char: int
    speaker: str
    turn_number: int
    unit: str
    matched: tuple[str, ...]
    rules: tuple[str, ...]
    text: str
    status: str = PENDING


class UnitLayout:
    """The sentences, turns and exchanges of one transcript, as character ranges."""

    def __init__(self, transcript: Transcript) -> None:
        self.text = transcript.text
        self.turns = {turn.number: turn for turn in transcript.turns}
        self.paragraphs: dict[int, list[tuple[int, int]]] = {}
        self.sentences: dict[int, list[tuple[int, int]]] = {}
        self.sentence_starts: dict[int, list[int]] = {}
        self.exchange_of: dict[int, tuple[int, int]] = {}
        exchange: list[Turn] = []
        for turn in (*transcript.turns, None):
            # An interviewer turn opens a new exchange; answers join the open one.
            if turn is None or (turn.role == "interviewer" and exchange):
                bounds = (exchange[0].start_char, exchange[-1].end_char)
                self.exchange_of.update({member.number: bounds for member in exchange})
                exchange = []
            if turn is not None:
                exchange.append(turn)

    def add_sentences(self, turn: Turn, doc: Doc) -> list[int]:
        """Record the turn's sentences; returns each sentence's first token index."""
        bounds, first_tokens = [], []
        turn_text = doc.text  # slicing it is far cheaper than Span.text
        for sentence in doc.sents:
            text = turn_text[sentence.start_char : sentence.end_char]
            stripped = text.strip()
            if not stripped:
                continue
            start = turn.start_char + sentence.start_char + (len(text) - len(text.lstrip()))
            bounds.append((start, start + len(stripped)))
            first_tokens.append(sentence.start)
        # A very long turn comes in several pieces (see ``pieces``): its sentences add up.
        self.sentences.setdefault(turn.number, []).extend(bounds)
        self.sentence_starts.setdefault(turn.number, []).extend(start for start, _ in bounds)
        return first_tokens

    def expand(self, unit: str, turn_number: int, start_char: int, end_char: int) -> tuple[int, int]:
        if unit == "turn":
            turn = self.turns[turn_number]
            return turn.start_char, turn.end_char
        if unit == "exchange":
            return self.exchange_of[turn_number]
        if unit == "paragraph":
            return _enclosing(self._paragraphs(turn_number), start_char, end_char)
        return _enclosing(self.sentences[turn_number], start_char, end_char, self.sentence_starts[turn_number])

    def _paragraphs(self, turn_number: int) -> list[tuple[int, int]]:
        if turn_number not in self.paragraphs:
            turn = self.turns[turn_number]
            self.paragraphs[turn_number] = paragraph_bounds(self.text, turn.start_char, turn.end_char) or [(turn.start_char, turn.end_char)]
        return self.paragraphs[turn_number]


def _enclosing(units: list[tuple[int, int]], start_char: int, end_char: int, starts: list[int] | None = None) -> tuple[int, int]:
    """From the start of the unit holding ``start_char`` to the end of the one holding the last character."""
    starts = starts if starts is not None else [start for start, _ in units]
    first = units[max(bisect_right(starts, start_char) - 1, 0)]
    last = units[max(bisect_right(starts, end_char - 1) - 1, 0)]
    return first[0], max(first[1], last[1])


def pieces(turn: Turn, text: str, longest: int = MAX_PIECE) -> list[Turn]:
    """The turn, or for a turn longer than ``longest`` characters, consecutive pieces of it.

    spaCy refuses a text over a million characters and needs about a gigabyte
    per 100,000 for some components; a turn that long (a file with no labels, a
    monologue) is coded in pieces ending at a line break, else a sentence end,
    else a space. Sentences and matches inside a piece are as in a whole turn;
    only a ``near`` pair split across two pieces is not found.
    """
    if turn.end_char - turn.start_char <= longest:
        return [turn]
    result, start = [], turn.start_char
    while turn.end_char - start > longest:
        window = text[start : start + longest]
        cut = max(window.rfind("\n"), max(window.rfind(mark) for mark in (". ", "? ", "! ")) + 1)
        if cut < longest // 2:
            cut = max(window.rfind(" "), longest // 2)
        result.append(replace(turn, start_char=start, end_char=start + cut))
        start += cut
    return [*result, replace(turn, start_char=start)]


class CodedSegments(list[Segment]):
    """A transcript's segments, and whether its Docs came from the cache.

    A list, so the worker processes (which return segments) carry it back unchanged;
    the flag travels with it when pickled.
    """

    from_cache: bool = False
    learned: Sequence[Any] = ()  # the learned model's suggestions (code --learned), made in the same worker


class TranscriptCoder:
    """Codes transcripts with one pipeline and codebook; reusable across transcripts.

    ``docs`` gives the processed turns: the plain pipeline unless a cache is wanted (see doc_cache.py).
    """

    def __init__(self, nlp: Language, codebook: Codebook, run_unit: str | None = None, docs: PieceDocs | None = None) -> None:
        self.nlp = nlp
        self.docs = docs or PieceDocs(nlp)
        run_unit = codebook.run_unit(run_unit)
        self.codes = {code.code_id: code for code in codebook.codes if code.has_rules}
        self.units = {code_id: codebook.effective_unit(code, run_unit) for code_id, code in self.codes.items()}
        self.speakers = {code_id: codebook.effective_speakers(code) for code_id, code in self.codes.items()}
        self.boolean_rules = {r.rule_id: r for c in self.codes.values() for r in c.boolean_rules}
        self.near_rules = {r.rule_id: r for c in self.codes.values() for r in c.near_rules}

    def applies(self, code_id: str, turn: Turn) -> bool:
        for speaker in self.speakers[code_id]:
            wanted = speaker.casefold()
            if wanted == EVERYONE or wanted == turn.speaker.casefold():
                return True
            if (wanted == PARTICIPANTS and turn.role != "interviewer") or (wanted == INTERVIEWER and turn.role == "interviewer"):
                return True
        return False

    def code(self, transcript: Transcript) -> CodedSegments:
        layout = UnitLayout(transcript)
        turns = [piece for turn in transcript.turns if any(self.applies(code_id, turn) for code_id in self.codes)
                 for piece in pieces(turn, transcript.text)]  # fmt: skip
        evidence: list[Evidence] = []
        boolean_hits: dict[tuple[str, tuple[int, ...]], list[tuple[str, int, Span, Turn]]] = defaultdict(list)
        docs = self.docs.docs(transcript.content_hash, [transcript.turn_text(turn) for turn in turns])
        for doc, turn in zip(docs, turns, strict=True):
            sentence_starts = layout.add_sentences(turn, doc)
            evidence += self._turn_evidence(doc, turn, sentence_starts, layout, boolean_hits)
        evidence += self._boolean_evidence(boolean_hits)
        segments = CodedSegments(self._segments(transcript, evidence, layout))
        segments.from_cache = self.docs.reused
        return segments

    def _turn_evidence(self, doc: Doc, turn: Turn, sentence_starts: list[int], layout: UnitLayout,
                       boolean_hits: dict) -> list[Evidence]:  # fmt: skip
        def sentence_of(span: Span) -> int:
            return bisect_right(sentence_starts, span.start) - 1

        matches, seen, vetoed = [], set(), set()
        for span in doc.spans[SPANS_KEY]:
            code_id = span.label_
            key = (span.start, span.end, code_id, span.id_)
            if key in seen or not self.applies(code_id, turn):
                continue  # the lemma and lower-case rulers often find the same span
            seen.add(key)
            rule_id, slot, term_index = span.id_.split("|")
            if slot == EXCLUDE:
                vetoed.add((code_id, sentence_of(span)))
            else:
                matches.append((code_id, rule_id, slot, int(term_index), span))
        evidence: list[Evidence] = []
        near_spans: dict[tuple[str, str], list[Span]] = defaultdict(list)
        for code_id, rule_id, slot, term_index, span in matches:
            if slot != NONE and (code_id, sentence_of(span)) in vetoed:
                continue
            if slot in (NEAR_A, NEAR_B):
                near_spans[(rule_id, slot)].append(span)
            elif slot in (ALL, ANY, NONE):
                unit = self.units[code_id]
                unit_key = layout.expand(unit, turn.number, *_absolute(span, turn))
                boolean_hits[(rule_id, unit_key)].append((slot, term_index, span, turn))
            else:
                evidence.append(Evidence(code_id, rule_id, *_absolute(span, turn), turn.number, (span.text,)))
        for rule_id, rule in self.near_rules.items():
            pairs = _near_pairs(rule, near_spans[(rule_id, NEAR_A)], near_spans[(rule_id, NEAR_B)])
            for first, second in pairs:
                if sentence_of(first) == sentence_of(second):
                    start, end = _absolute(first, turn)[0], _absolute(second, turn)[1]
                    words = (first.text, second.text)
                    evidence.append(Evidence(first.label_, rule_id, start, end, turn.number, words))
        return evidence

    def _boolean_evidence(self, boolean_hits: dict) -> list[Evidence]:
        evidence = []
        for (rule_id, _unit), hits in sorted(boolean_hits.items(), key=lambda item: item[0]):
            rule: BooleanRule = self.boolean_rules[rule_id]
            found_all = {index for slot, index, _, _ in hits if slot == ALL}
            positive = [(span, turn) for slot, _, span, turn in hits if slot in (ALL, ANY)]
            holds = (
                len(found_all) == len(rule.all_groups)
                and (not rule.any_terms or any(slot == ANY for slot, *_ in hits))
                and not any(slot == NONE for slot, *_ in hits)
            )
            if holds and positive:
                positions = [_absolute(span, turn) for span, turn in positive]
                code_id = positive[0][0].label_
                first_turn = min(turn.number for _, turn in positive)
                words = tuple(span.text for span, _ in sorted(positive, key=lambda pair: _absolute(*pair)))
                start = min(start for start, _ in positions)
                end = max(end for _, end in positions)
                evidence.append(Evidence(code_id, rule_id, start, end, first_turn, words))
        return evidence

    def _segments(self, transcript: Transcript, evidence: list[Evidence], layout: UnitLayout) -> list[Segment]:
        expanded: dict[str, list[tuple[int, int, Evidence]]] = defaultdict(list)
        for item in evidence:
            unit = self.units[item.code_id]
            start, end = layout.expand(unit, item.turn_number, item.start_char, item.end_char)
            expanded[item.code_id].append((start, end, item))
        segments = []
        for code_id, spans in expanded.items():
            for start, end, members in _merge(spans):
                segments.append(self._segment(transcript, layout, code_id, start, end, members))
        return sorted(segments, key=lambda segment: (segment.start_char, segment.end_char, segment.code_id))

    def _segment(self, transcript: Transcript, layout: UnitLayout, code_id: str, start: int, end: int,
                 members: list[Evidence]) -> Segment:  # fmt: skip
        members = sorted(members, key=lambda item: (item.start_char, item.end_char, item.rule_id))
        turn_numbers = sorted({item.turn_number for item in members})
        speakers = dict.fromkeys(layout.turns[number].speaker for number in turn_numbers)
        return Segment(
            segment_id=segment_id_for(transcript.content_hash, code_id, start, end),
            transcript=transcript.name,
            code_id=code_id,
            start_char=start,
            end_char=end,
            speaker=", ".join(speakers),
            turn_number=turn_numbers[0],
            unit=self.units[code_id],
            matched=_distinct(word for item in members for word in item.words),
            rules=tuple(sorted({item.rule_id for item in members})),
            text=transcript.text[start:end],
        )


def _absolute(span: Span, turn: Turn) -> tuple[int, int]:
    return turn.start_char + span.start_char, turn.start_char + span.end_char


def _near_pairs(rule: NearRule, first: list[Span], second: list[Span]) -> list[tuple[Span, Span]]:
    """Pairs at most ``rule.within`` tokens apart, in text order."""
    pairs = []
    for left in first:
        for right in second:
            gap = max(left.start, right.start) - min(left.end, right.end)
            if 0 <= gap <= rule.within:  # a negative gap means the two overlap: one word, not two
                pairs.append((left, right) if left.start < right.start else (right, left))
    return pairs


def _merge(spans: list[tuple[int, int, Evidence]]) -> list[tuple[int, int, list[Evidence]]]:
    """Overlapping unit ranges of one code become one segment."""
    merged: list[tuple[int, int, list[Evidence]]] = []
    for start, end, item in sorted(spans, key=lambda span: (span[0], span[1])):
        if merged and start < merged[-1][1]:
            last_start, last_end, members = merged[-1]
            merged[-1] = (last_start, max(last_end, end), [*members, item])
        else:
            merged.append((start, end, [item]))
    return merged


def _distinct(words: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for word in words:
        seen.setdefault(word.casefold(), word)
    return tuple(seen.values())


class LanguageCoders:
    """A coder per language, each with the codebook's rules in that language, built when first needed.

    The codebook's own language is built at once, so a bad ``--model`` fails
    before anything is written, and so forked workers share it.
    """

    def __init__(self, codebook: Codebook, run_unit: str | None = None, model: str | None = None,
                 cache: Path | None = None) -> None:  # fmt: skip
        from ipl_coder.coding.pipeline import build_pipeline

        self.codebook = codebook
        self.run_unit = run_unit
        self.cache = cache  # the folder of processed Docs; None codes everything afresh
        self.coders: dict[str, TranscriptCoder] = {}
        self.pipelines: dict[str, PipelineInfo] = {}
        self.model_language: str | None = None
        if model:
            nlp, info = build_pipeline(codebook, model)
            self.model_language = info.language
            self._keep(nlp, info)
        self.coder(codebook.language)

    def coder(self, language: str) -> TranscriptCoder:
        if language not in self.coders:
            from ipl_coder.coding.pipeline import build_pipeline

            self._keep(*build_pipeline(self.codebook.in_language(language)))
        return self.coders[language]

    def _keep(self, nlp: Language, info: PipelineInfo) -> None:
        docs = PieceDocs(nlp, info, self.cache)
        self.coders[info.language] = TranscriptCoder(nlp, self.codebook.in_language(info.language), self.run_unit, docs)
        self.pipelines[info.language] = info

    def code(self, transcript: Transcript) -> CodedSegments:
        return self.coder(transcript.language or self.codebook.language).code(transcript)

    def pipeline_name(self, language: str) -> str:
        """Also for a language only a worker process built."""
        from ipl_coder.coding.pipeline import blank_pipeline_name

        info = self.pipelines.get(language)
        return info.name if info else blank_pipeline_name(language)
