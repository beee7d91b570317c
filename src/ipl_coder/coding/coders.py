"""From matched spans to coded segments, one transcript at a time.

The pipeline leaves raw hits in ``doc.user_data`` (see matching.py). Here they become evidence
(term and pattern hits, near pairs, boolean rules that hold in a unit), lose
any evidence an ``exclude_terms`` match vetoes in the same sentence, expand to
their coding unit, and merge per code into segments.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ipl_coder.codebook.model import (
    EVERYONE,
    INTERVIEWER,
    PARTICIPANTS,
    BooleanRule,
    Codebook,
    NearRule,
)
from ipl_coder.coding.doc_arrays import TokenOffsets
from ipl_coder.coding.doc_cache import SEGMENTS_SUFFIX, PieceDocs
from ipl_coder.coding.layout import UnitLayout, pieces
from ipl_coder.coding.matching import ALL, ANY, EXCLUDE, MATCHES, NEAR_A, NEAR_B, NONE, RULES, CodebookMatcher, TermUse
from ipl_coder.coding.pipeline import Pipeline, PipelineInfo
from ipl_coder.coding.segment_cache import SegmentCache, code_key
from ipl_coder.store import ModelReason, segment_id_for
from ipl_coder.transcripts import Transcript, Turn

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

PENDING = "pending"


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


@dataclass(frozen=True)
class ModelSegment(Segment):
    """A suggestion of the learned model (ipl_coder.learning): its words are those that weighed most, it has no rules,
    and it has a score and the reason for it (none when read back from a .qdpx file, which does not carry it)."""

    score: float | None = None
    reason: ModelReason | None = None


def _saved_row(segment: Segment) -> list[Any]:
    """What the segment cache keeps of a segment: the rest follows from the transcript and the code."""
    return [segment.start_char, segment.end_char, segment.speaker, segment.turn_number, segment.matched, segment.rules]


class CodedSegments(list[Segment]):
    """A transcript's segments, and whether its Docs came from the cache.

    A list, so the worker processes (which return segments) carry it back unchanged;
    the flag travels with it when pickled.
    """

    from_cache: bool = False
    learned: Sequence[Any] = ()  # the learned model's suggestions (code --learned), made in the same worker
    # The transcript's sentences as the default pipeline's rules cut them, for the learned model in the same worker
    # (so it need not cut them again); left behind when the segments travel back from a worker.
    layout: UnitLayout | None = None
    # When no Doc was read: the same from the Docs the cache holds, on demand (the learned model's first run after a
    # learn wants it); left behind as well.
    cached_layout: Callable[[], UnitLayout | None] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key not in ("layout", "cached_layout")}


class TranscriptCoder:
    """Codes transcripts with one pipeline and codebook; reusable across transcripts.

    ``docs`` gives the processed turns: the plain pipeline unless a cache is wanted (see doc_cache.py). The
    pipeline is built when a transcript first needs matching: with every code's segments in the cache, never.
    """

    def __init__(self, nlp: Language | Pipeline, codebook: Codebook, run_unit: str | None = None, docs: PieceDocs | None = None,
                 segment_cache: SegmentCache | None = None) -> None:  # fmt: skip
        if not isinstance(nlp, Pipeline):  # one built already, of no known kind: no cache
            nlp = Pipeline(codebook, built=(nlp, PipelineInfo("", "", nlp.lang or codebook.language)))
        self.pipeline = nlp
        self.docs = docs or PieceDocs(nlp, keyed=False)
        self.segment_cache = segment_cache
        run_unit = codebook.run_unit(run_unit)
        self.codes = {code.code_id: code for code in codebook.codes if code.has_rules}
        self.units = {code_id: codebook.effective_unit(code, run_unit) for code_id, code in self.codes.items()}
        self.speakers = {code_id: codebook.effective_speakers(code) for code_id, code in self.codes.items()}
        self.boolean_rules = {r.rule_id: r for c in self.codes.values() for r in c.boolean_rules}
        self.near_rules = {r.rule_id: r for c in self.codes.values() for r in c.near_rules}
        self.uses_code = {rule_id: code_id for code_id, code in self.codes.items() for rule_id in code.rule_ids}
        self.code_keys = code_keys(codebook, run_unit)
        self._applying: dict[tuple[str, str], frozenset[str]] = {}
        self._uses_for: dict[tuple[int, frozenset[str]], _KeyUses] = {}

    @property
    def nlp(self) -> Language:
        return self.pipeline.nlp

    @functools.cached_property
    def matcher(self) -> CodebookMatcher:
        matcher = self.nlp.get_pipe(RULES)
        assert isinstance(matcher, CodebookMatcher)
        return matcher

    @property
    def uses(self) -> dict[int, tuple[TermUse, ...]]:
        return self.matcher.uses

    def applies(self, code_id: str, turn: Turn) -> bool:
        for speaker in self.speakers[code_id]:
            wanted = speaker.casefold()
            if wanted == EVERYONE or wanted == turn.speaker.casefold():
                return True
            if (wanted == PARTICIPANTS and turn.role != "interviewer") or (wanted == INTERVIEWER and turn.role == "interviewer"):
                return True
        return False

    def applying(self, turn: Turn) -> frozenset[str]:
        """The codes whose speakers include this turn's."""
        key = (turn.speaker, turn.role)
        if key not in self._applying:
            self._applying[key] = frozenset(code_id for code_id in self.codes if self.applies(code_id, turn))
        return self._applying[key]

    def code(self, transcript: Transcript) -> CodedSegments:
        turns = [piece for turn in transcript.turns if self.applying(turn) for piece in pieces(turn, transcript.text)]
        texts = [transcript.turn_text(turn) for turn in turns]
        entry = self.segment_cache.entry(transcript, texts) if self.segment_cache else None
        kept, needed = self._kept_segments(transcript, entry)
        layout: UnitLayout | None = None
        if needed:
            fresh, layout = self._code_afresh(transcript, turns, texts, needed)
        else:
            fresh = []
            self.docs.keep(transcript.content_hash, texts)  # the next edit will want its Docs: not pruned
        if self.segment_cache and entry and needed:
            rows: dict[str, list[Any]] = {key: [] for key in self.code_keys.values()}
            for segment in (*kept, *fresh):
                rows[self.code_keys[segment.code_id]].append(_saved_row(segment))
            self.segment_cache.save(entry, rows)
        segments = CodedSegments(sorted((*kept, *fresh), key=lambda segment: (segment.start_char, segment.end_char, segment.code_id)))
        segments.from_cache = not needed or self.docs.reused
        # None when no Doc was read: the learned model cuts the sentences itself, as the default pipeline does. A
        # --model's sentences (its parser's, its sentencizer's, its tokenizer's) are other ones: never handed over, so a run that
        # reads no Doc suggests what one that reads them all does.
        segments.layout = layout if self.docs.default_sentences else None
        if layout is None and self.docs.default_sentences:
            segments.cached_layout = partial(self._cached_layout, transcript, turns, texts)
        return segments

    def _cached_layout(self, transcript: Transcript, turns: list[Turn], texts: list[str]) -> UnitLayout | None:
        """The sentences of the Docs the cache holds for these pieces, matching nothing; None when it holds none."""
        docs = self.docs.cached(transcript.content_hash, texts)
        if docs is None:
            return None
        layout = UnitLayout(transcript)
        for doc, text, turn in zip(docs, texts, turns, strict=True):
            layout.add_sentences(turn, doc, text, TokenOffsets(doc))
        return layout

    def _kept_segments(self, transcript: Transcript, entry: Path | None) -> tuple[list[Segment], frozenset[str]]:
        """The segments the cache holds for codes whose rules are unchanged, and the codes left to match."""
        saved = self.segment_cache.load(entry) if self.segment_cache and entry else {}
        kept: list[Segment] = []
        needed: set[str] = set()
        for code_id, key in self.code_keys.items():
            try:
                kept += [self._saved_segment(transcript, code_id, row) for row in saved[key]]
            except (KeyError, TypeError, ValueError):  # not there, or not as this program writes it: match it again
                needed.add(code_id)
        return kept, frozenset(needed)

    def _saved_segment(self, transcript: Transcript, code_id: str, row: list[Any]) -> Segment:
        start, end, speaker, turn_number, matched, rules = row
        if not (type(start) is int and type(end) is int and type(turn_number) is int and 0 <= start < end <= len(transcript.text)
                and isinstance(speaker, str) and all(isinstance(word, str) for word in (*matched, *rules))):  # fmt: skip
            raise TypeError("not a segment this program saved")
        return Segment(segment_id_for(transcript.content_hash, code_id, start, end), transcript.name, code_id, start, end,
                       speaker, turn_number, self.units[code_id], tuple(matched), tuple(rules), transcript.text[start:end])

    def _code_afresh(self, transcript: Transcript, turns: list[Turn], texts: list[str],
                     needed: frozenset[str]) -> tuple[list[Segment], UnitLayout]:  # fmt: skip
        """The segments of the ``needed`` codes (the others' hits are left aside as the turn's speaker's codes are),
        and the transcript's sentences."""
        layout = UnitLayout(transcript)
        evidence: list[Evidence] = []
        boolean_hits: dict[tuple[str, tuple[int, int]], list[BooleanHit]] = defaultdict(list)
        self.matcher.wanted = needed if len(needed) < len(self.codes) else None
        try:
            docs = self.docs.docs(transcript.content_hash, texts)
            for doc, text, turn in zip(docs, texts, turns, strict=True):
                offsets = TokenOffsets(doc)
                sentence_starts = layout.add_sentences(turn, doc, text, offsets)
                evidence += self._turn_evidence(doc, turn, _Located(text, offsets, sentence_starts, turn), layout,
                                                boolean_hits, self.applying(turn) & needed)  # fmt: skip
        finally:
            self.matcher.wanted = None
        evidence += self._boolean_evidence(boolean_hits)
        return self._segments(transcript, evidence, layout), layout

    def _turn_evidence(self, doc: Doc, turn: Turn, located: _Located, layout: UnitLayout,
                       boolean_hits: dict[tuple[str, tuple[int, int]], list[BooleanHit]],
                       applying: frozenset[str]) -> list[Evidence]:  # fmt: skip
        first_tokens, split = located.first_tokens, self._uses_for
        hits = [(split.get((key, applying)) or self._key_uses(key, applying), start, end, bisect_right(first_tokens, start) - 1)
                for key, start, end in doc.user_data.get(MATCHES, ())]  # fmt: skip
        vetoed = {(code_id, sentence) for uses, _, _, sentence in hits for code_id in uses.excludes}
        evidence: list[Evidence] = []
        near_hits: dict[tuple[str, str], list[tuple[int, int, int]]] = defaultdict(list)
        for uses, start, end, sentence in hits:
            for near_key, code_id in uses.near:  # most hits: common words in many rules, fanned out cheaply
                if not vetoed or (code_id, sentence) not in vetoed:
                    near_hits[near_key].append((start, end, sentence))
            for use in uses.others:
                if use.slot != NONE and (use.code_id, sentence) in vetoed:
                    continue
                start_char, end_char, text = located.chars(start, end)
                if use.slot in (ALL, ANY, NONE):
                    unit_key = layout.expand(self.units[use.code_id], turn.number, start_char, end_char)
                    boolean_hits[(use.rule_id, unit_key)].append(BooleanHit(use.slot, use.term_index, start_char, end_char, text, turn.number))
                else:
                    evidence.append(Evidence(use.code_id, use.rule_id, start_char, end_char, turn.number, (text,)))
        for (rule_id, slot), firsts in near_hits.items():
            seconds = near_hits.get((rule_id, NEAR_B)) if slot == NEAR_A else None
            if seconds:
                evidence += self._near_evidence(rule_id, firsts, seconds, located)
        return evidence

    def _key_uses(self, key: int, applying: frozenset[str]) -> _KeyUses:
        """A matched term's uses in the codes that apply to a turn's speaker, split by what they do; kept for the next."""
        uses = [use for use in self.uses[key] if use.code_id in applying]
        split = self._uses_for[(key, applying)] = _KeyUses(
            excludes=tuple(use.code_id for use in uses if use.slot == EXCLUDE),
            near=tuple(((use.rule_id, use.slot), use.code_id) for use in uses if use.slot in (NEAR_A, NEAR_B)),
            others=tuple(use for use in uses if use.slot not in (EXCLUDE, NEAR_A, NEAR_B)),
        )
        return split

    def _near_evidence(self, rule_id: str, firsts: list[tuple[int, int, int]], seconds: list[tuple[int, int, int]],
                       located: _Located) -> list[Evidence]:  # fmt: skip
        rule = self.near_rules[rule_id]
        code_id = self.uses_code[rule_id]
        evidence = []
        for left, right in _near_pairs(rule, firsts, seconds):
            if left[2] == right[2]:  # the same sentence
                start_char, _, first_text = located.chars(left[0], left[1])
                _, end_char, second_text = located.chars(right[0], right[1])
                evidence.append(Evidence(code_id, rule_id, start_char, end_char, located.turn.number, (first_text, second_text)))
        return evidence

    def _boolean_evidence(self, boolean_hits: dict[tuple[str, tuple[int, int]], list[BooleanHit]]) -> list[Evidence]:
        evidence = []
        for (rule_id, _unit), hits in sorted(boolean_hits.items(), key=lambda item: item[0]):
            rule: BooleanRule = self.boolean_rules[rule_id]
            found_all = {hit.term_index for hit in hits if hit.slot == ALL}
            positive = sorted((hit for hit in hits if hit.slot in (ALL, ANY)), key=lambda hit: (hit.start_char, hit.end_char))
            holds = (
                len(found_all) == len(rule.all_groups)
                and (not rule.any_terms or any(hit.slot == ANY for hit in hits))
                and not any(hit.slot == NONE for hit in hits)
            )
            if holds and positive:
                start = min(hit.start_char for hit in positive)
                end = max(hit.end_char for hit in positive)
                first_turn = min(hit.turn_number for hit in positive)
                words = tuple(hit.text for hit in positive)
                evidence.append(Evidence(self.uses_code[rule_id], rule_id, start, end, first_turn, words))
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


@dataclass(frozen=True)
class _KeyUses:
    excludes: tuple[str, ...]  # codes whose exclude_terms it is: their other hits in its sentence are vetoed
    near: tuple[tuple[tuple[str, str], str], ...]  # ((rule id, near slot), code id)
    others: tuple[TermUse, ...]  # terms, patterns and boolean terms


class BooleanHit(NamedTuple):
    slot: str
    term_index: int
    start_char: int
    end_char: int
    text: str
    turn_number: int


@dataclass(frozen=True)
class _Located:
    """A piece's text and token offsets, to turn token ranges into transcript characters and words."""

    text: str
    offsets: TokenOffsets
    first_tokens: list[int]  # each sentence's first token
    turn: Turn

    def chars(self, start: int, end: int) -> tuple[int, int, str]:
        start_char, end_char = self.offsets.span(start, end)
        return self.turn.start_char + start_char, self.turn.start_char + end_char, self.text[start_char:end_char]


def _near_pairs(rule: NearRule, first: list[tuple[int, int, int]],
                second: list[tuple[int, int, int]]) -> list[tuple[tuple[int, int, int], tuple[int, int, int]]]:  # fmt: skip
    """Pairs of (start, end, sentence) token ranges at most ``rule.within`` tokens apart, in text order."""
    pairs = []
    for left in first:
        for right in second:
            gap = max(left[0], right[0]) - min(left[1], right[1])
            if 0 <= gap <= rule.within:  # a negative gap means the two overlap: one word, not two
                pairs.append((left, right) if left[0] < right[0] else (right, left))
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


PREDICTION_ENTRIES = 4  # how many of the newest segment entries say whether a run will match anything


def code_keys(codebook: Codebook, run_unit: str | None) -> dict[str, str]:
    """Each code with rules (in the codebook's language) by the key of its segments in the cache (segment_cache.py)."""
    run_unit = codebook.run_unit(run_unit)
    return {code.code_id: code_key(code, codebook.effective_unit(code, run_unit), codebook.effective_speakers(code))
            for code in codebook.codes if code.has_rules}  # fmt: skip


class LanguageCoders:
    """A coder per language, each with the codebook's rules in that language, made when first needed.

    The codebook's own language is made at once, and a ``--model`` loaded, so a bad one fails before anything
    is written. Each coder's pipeline is built when made (so forked workers share it) unless ``build`` is False:
    then when first needed, or when ``build_unless_cached`` predicts it will be (see there).
    """

    def __init__(self, codebook: Codebook, run_unit: str | None = None, model: str | None = None,
                 cache: Path | None = None, write_cache: bool = True, build: bool = True) -> None:  # fmt: skip
        self.codebook = codebook
        self.run_unit = run_unit
        self.cache = cache  # the folder of processed Docs; None codes everything afresh
        self.write_cache = write_cache  # False: use what the cache holds, add nothing (a codebook diff)
        self.build = build
        self.coders: dict[str, TranscriptCoder] = {}
        self.pipelines: dict[str, PipelineInfo] = {}
        self.model_language: str | None = None
        if model:
            pipeline = Pipeline(codebook, model)  # built at once: its rules are those of its own language
            self.model_language = pipeline.info.language
            self._keep(pipeline)
        self.coder(codebook.language)

    def coder(self, language: str) -> TranscriptCoder:
        if language not in self.coders:
            self._keep(Pipeline(self.codebook.in_language(language)))
        coder = self.coders[language]
        if self.build:
            coder.pipeline.nlp  # noqa: B018 - built now, before any worker forks
        return coder

    def build_unless_cached(self, transcripts: int, docs_wanted: bool = False) -> None:
        """Build every pipeline now, before workers fork, unless the cache looks to hold every code's segments of
        every transcript: an entry per transcript, and the newest few each with every code's key in some language.

        A guess that only decides when: a worker that finds a transcript's segments missing after all builds the
        pipeline itself (each worker its own, slower), one that finds them all never builds one. ``docs_wanted``:
        something else will read the Docs of every transcript (the learned model's first run): build now.
        """
        entries = list(self.cache.glob(f"*{SEGMENTS_SUFFIX}")) if self.cache is not None and not docs_wanted else []
        newest = sorted(entries, key=_modified)[-PREDICTION_ENTRIES:] if len(entries) >= transcripts else []
        wanted = [set(code_keys(self.codebook.in_language(language), self.run_unit).values()) for language in self.codebook.languages]
        cached = bool(newest) and all(any(SegmentCache.keys(entry) >= keys for keys in wanted) for entry in newest)
        self.build = not cached
        for language in list(self.coders):
            self.coder(language)

    def _keep(self, pipeline: Pipeline) -> None:
        docs = PieceDocs(pipeline, self.cache, self.write_cache)
        segment_cache = SegmentCache(self.cache, docs.key, self.write_cache) if self.cache is not None else None
        language = pipeline.info.language
        self.coders[language] = TranscriptCoder(pipeline, self.codebook.in_language(language), self.run_unit, docs, segment_cache)
        self.pipelines[language] = pipeline.info

    def code(self, transcript: Transcript) -> CodedSegments:
        return self.coder(transcript.language or self.codebook.language).code(transcript)

    def pipeline_name(self, language: str) -> str:
        """Also for a language only a worker process built."""
        from ipl_coder.coding.pipeline import blank_pipeline_name

        info = self.pipelines.get(language)
        return info.name if info else blank_pipeline_name(language)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
