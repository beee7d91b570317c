"""The codebook compiled into spaCy's matchers: every hit as a plain (term, start, end) triple.

Terms of every kind (plain terms, boolean groups, ``near`` pairs, exclude
terms) go through two ``PhraseMatcher``s, one on lemmas and one on lower-case
surface forms, so a term still hits where the lemmatizer gets a word wrong.
Terms written in double quotes ("been there") go only to the lower-case one:
lemmas would widen them to "is there". Each distinct term is one matcher key,
however many rules use it, and a hit is fanned out to its uses (see
``TermUse``) only afterwards: common words ("team", "peer") are in dozens of
``near`` and boolean rules, and matching them once per rule made most of the
run's work.

Token patterns go through spaCy's ``Matcher``, one per pattern, each run only
on a Doc that holds, for every token the pattern requires, a word that token
accepts: the Matcher tests every token of every Doc otherwise, and a pattern
starting "tell / explain / bring ..." rarely has its words in a turn.

The component leaves its hits in ``doc.user_data[MATCHES]`` rather than as
Spans in ``doc.spans``: a long interview has a hundred thousand hits, and
making a Span of each cost more than tokenising. ``coders.py`` turns the few
that become suggestions into character ranges and words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ipl_coder.codebook.model import Codebook
from ipl_coder.coding.clitics import apostrophe_forms

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.matcher import Matcher
    from spacy.tokens import Doc

RULES = "ipl_codebook_rules"  # the component's name in the pipeline
MATCHES = "ipl_matches"  # its key in doc.user_data: a list of (term key, start token, end token)
# Slots: what a hit contributes to its rule.
TERM, PATTERN, ALL, ANY, NONE, NEAR_A, NEAR_B, EXCLUDE = (
    "term", "pattern", "all", "any", "none", "near_a", "near_b", "exclude",
)  # fmt: skip
_FILTERED_ATTRS = ("LEMMA", "LOWER", "ORTH", "TEXT", "NORM")  # what a pattern's pre-check understands


@dataclass(frozen=True)
class TermUse:
    """One place a term is used: the code and rule, what the hit is for there, and which of the slot's terms it is.

    ``term_index`` numbers an ``all`` term by its group, so a boolean rule
    holds when every group number is found.
    """

    code_id: str
    rule_id: str
    slot: str
    term_index: int


@dataclass(frozen=True)
class _Pattern:
    code_id: str
    matcher: Matcher
    required: tuple[tuple[str, frozenset[int]], ...]  # per required token: an attribute and the values it accepts
    first: tuple[str, frozenset[int]] | None  # the same for the first token, when a match must start with it
    longest: int | None  # the most tokens a match can span; None when unbounded ("*", "+", "{2,}")


class CodebookMatcher:
    """A spaCy component holding a codebook's rules in one language; fill it with ``add_codebook``."""

    def __init__(self, nlp: Language, name: str = RULES) -> None:
        from spacy.matcher import PhraseMatcher

        self.nlp = nlp
        self.name = name
        self.lemma_matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.lower_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.patterns: list[_Pattern] = []
        self.uses: dict[int, tuple[TermUse, ...]] = {}  # term key -> every use of it
        # The codes whose token patterns to run; None: every code's. A re-run codes only the codes it has no
        # segments of (segment_cache.py): the Matcher is the costly part of matching, and the other codes' hits
        # would only be sorted and set aside.
        self.wanted: frozenset[str] | None = None
        self._wanted_keys: dict[frozenset[str], frozenset[int]] = {}

    def __call__(self, doc: Doc) -> Doc:
        hits = set(self.lower_matcher(doc)) | set(self.lemma_matcher(doc))  # as_spans=False: plain triples
        if self.patterns:
            hits.update(self._pattern_hits(doc))
        if self.wanted is not None:
            keys = self._keys_of(self.wanted)
            hits = {hit for hit in hits if hit[0] in keys}
        # In text order, so the words of evidence that ties on its characters come in the order they are said.
        doc.user_data[MATCHES] = sorted((hit for hit in hits if hit[1] != hit[2]), key=lambda hit: (hit[1], hit[2], hit[0]))
        return doc

    def _keys_of(self, codes: frozenset[str]) -> frozenset[int]:
        """The term and pattern keys some of ``codes`` use."""
        if codes not in self._wanted_keys:
            self._wanted_keys[codes] = frozenset(key for key, uses in self.uses.items() if any(use.code_id in codes for use in uses))
        return self._wanted_keys[codes]

    def add_codebook(self, codebook: Codebook) -> None:
        strings = self.nlp.vocab.strings
        uses: dict[str, list[TermUse]] = defaultdict(list)
        for term, use in _term_uses(codebook):
            uses[term].append(use)
        keys = {term: f"{RULES}:term:{term}" for term in uses}
        for term, term_uses in uses.items():
            self.uses[strings.add(keys[term])] = tuple(term_uses)
        lemma_terms = [term for term in uses if not is_exact(term)]
        # The lemma patterns need the pipeline's own lemmas, so everything before this component runs on them.
        with self.nlp.select_pipes(disable=[self.name]):
            for term, pattern in zip(lemma_terms, self.nlp.pipe(lemma_terms), strict=True):
                self.lemma_matcher.add(keys[term], [pattern])
        for term in uses:  # lemmas read "don’t" as "don't", surface forms do not: both apostrophes of a term
            self.lower_matcher.add(keys[term], [self.nlp.make_doc(form) for form in apostrophe_forms(unquote(term))])
        for code in codebook.codes:
            for rule in code.pattern_rules:
                self._add_pattern(code.code_id, rule.rule_id, rule.pattern)

    def _add_pattern(self, code_id: str, rule_id: str, pattern: list[dict[str, Any]]) -> None:
        from spacy.matcher import Matcher

        key = f"{RULES}:pattern:{rule_id}"
        matcher = Matcher(self.nlp.vocab, validate=True)
        matcher.add(key, [pattern])
        self.uses[self.nlp.vocab.strings.add(key)] = (TermUse(code_id, rule_id, PATTERN, 0),)
        add = self.nlp.vocab.strings.add
        first = next(_required_words(pattern[:1], add), None)
        self.patterns.append(_Pattern(code_id, matcher, tuple(_required_words(pattern, add)), first, _longest(pattern)))

    def _pattern_hits(self, doc: Doc) -> Iterator[tuple[int, int, int]]:
        from spacy.attrs import IDS

        columns: dict[str, list[int]] = {}
        present: dict[str, set[int]] = {}
        for pattern in self.patterns:
            if self.wanted is not None and pattern.code_id not in self.wanted:
                continue
            for attr, accepted in pattern.required:
                if attr not in present:
                    columns[attr] = doc.to_array(IDS[attr]).tolist()
                    present[attr] = set(columns[attr])
                if accepted.isdisjoint(present[attr]):
                    break  # a token the pattern needs has none of its words here: it cannot match
            else:
                if pattern.first is None or pattern.longest is None:
                    yield from pattern.matcher(doc)
                    continue
                # A match starts at a word its first token accepts and spans at most ``longest`` tokens: the
                # Matcher reads only those stretches, not every token of the turn. Matches are the same.
                attr, accepted = pattern.first
                starts = [index for index, value in enumerate(columns[attr]) if value in accepted]
                for window_start, window_end in _windows(starts, pattern.longest, len(doc)):
                    for key, start, end in pattern.matcher(doc[window_start:window_end]):
                        yield key, window_start + start, window_start + end


def _windows(starts: list[int], longest: int, length: int) -> Iterator[tuple[int, int]]:
    """The stretches ``[start, start + longest)`` of the starts, overlapping ones merged, within the Doc."""
    current: list[int] | None = None
    for start in starts:
        end = min(start + longest, length)
        if current is not None and start <= current[1]:
            current[1] = max(current[1], end)
            continue
        if current is not None:
            yield current[0], current[1]
        current = [start, end]
    if current is not None:
        yield current[0], current[1]


def _longest(pattern: list[dict[str, Any]]) -> int | None:
    """How many tokens a match of the pattern can span at most, or None for no bound."""
    total = 0
    for spec in pattern:
        operator = str(spec.get("OP", "1"))
        if operator in ("1", "!", "?"):
            total += 1
        elif operator.startswith("{") and operator.endswith("}") and operator[-2:-1] != ",":
            total += int(operator[1:-1].split(",")[-1].strip() or 0)
        else:
            return None  # "*", "+", "{2,}": as many as there are
    return total


def _required_words(pattern: list[dict[str, Any]], add: Any) -> Iterator[tuple[str, frozenset[int]]]:
    """For each token a pattern cannot do without, an attribute and the hashes of the values it accepts.

    Only plain values and ``IN`` lists count; a token with only other
    predicates (REGEX, NOT_IN, IS_PUNCT, ...) gives no pre-check, which only
    means the Matcher runs more often.
    """
    for spec in pattern:
        if not _required(str(spec.get("OP", "1"))):
            continue
        for attr, value in spec.items():
            name = str(attr).upper()
            name = "ORTH" if name == "TEXT" else name
            if name not in _FILTERED_ATTRS:
                continue
            if isinstance(value, str):
                yield name, frozenset({add(value)})
                break
            if isinstance(value, dict) and set(value) == {"IN"} and isinstance(value["IN"], list):
                yield name, frozenset(add(str(item)) for item in value["IN"])
                break


def _required(operator: str) -> bool:
    """Whether a token with this OP must occur at least once: "1", "+", "{2}", "{1,3}", "{2,}"."""
    if operator in ("1", "+"):
        return True
    if operator.startswith("{") and operator.endswith("}"):
        least = operator[1:-1].split(",")[0].strip()
        return least.isdigit() and int(least) > 0
    return False


def _term_uses(codebook: Codebook) -> Iterator[tuple[str, TermUse]]:
    for code in codebook.codes:
        slots: list[tuple[str, str, tuple[str, ...]]] = []
        if code.term_rule:
            slots.append((code.term_rule.rule_id, TERM, code.term_rule.terms))
        for rule in code.boolean_rules:
            for group_index, group in enumerate(rule.all_groups):
                for term in group:
                    yield term, TermUse(code.code_id, rule.rule_id, ALL, group_index)
            slots += [(rule.rule_id, ANY, rule.any_terms), (rule.rule_id, NONE, rule.none_terms)]
        for near in code.near_rules:
            slots += [(near.rule_id, NEAR_A, near.terms), (near.rule_id, NEAR_B, near.near_terms)]
        if code.has_rules:  # exclude_terms veto the code's own matches; without rules there are none to veto
            slots.append((f"{code.code_id}:exclude_terms", EXCLUDE, code.exclude_terms))
        yield from _slot_uses(code.code_id, slots)


def _slot_uses(code_id: str, slots: Iterable[tuple[str, str, tuple[str, ...]]]) -> Iterator[tuple[str, TermUse]]:
    for rule_id, slot, terms in slots:
        for term_index, term in enumerate(terms):
            yield term, TermUse(code_id, rule_id, slot, term_index)


def is_exact(term: str) -> bool:
    """A term in double quotes matches only as written (any case), never by lemma."""
    return len(term) > 2 and term.startswith('"') and term.endswith('"')


def unquote(term: str) -> str:
    return term[1:-1].strip() if is_exact(term) else term
