"""The spaCy pipeline that codes transcripts, with the codebook compiled into it.

The default is a blank pipeline for the codebook's language, spaCy's rule-based
sentencizer, and a lemmatizer built on simplemma (chosen over
spacy-lookups-data: it installs from PyPI, needs no network, covers English,
Norwegian Bokmål and Swedish, and does not turn "broker" into "broke"; see
docs/performance.md). Every rule ends up in two ``span_ruler`` components:

* ``ipl_lemma_rules`` matches term phrases on lemmas, plus every token pattern;
* ``ipl_lower_rules`` matches term phrases on lower-case surface forms, so a
  term still hits where the lemmatizer gets a word wrong. Terms written in
  double quotes ("been there") go only here: lemmas would widen them to
  "is there".

Both write into ``doc.spans[SPANS_KEY]``: a span's label is its code id, and its
``id_`` is ``"<rule id>|<slot>|<term index>"``, the slot saying what the span is
for and the index which of the slot's terms it is (boolean ``all`` needs each).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ipl_coder.codebook.model import Codebook
from ipl_coder.coding.clitics import BE_BEFORE_S, CLITIC_LEMMAS, AmbiguousClitics, apostrophe_forms, straight
from ipl_coder.errors import PipelineError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import SpanRuler
    from spacy.tokens import Doc

SPANS_KEY = "ipl_hits"
LEMMATIZER = "ipl_lemmatizer"
SENTENCE_FIX = "ipl_sentence_openers"
LEMMA_RULES, LOWER_RULES = "ipl_lemma_rules", "ipl_lower_rules"
RULE_COMPONENTS = (LEMMA_RULES, LOWER_RULES)  # what the codebook adds; the rest decides tokens (see doc_cache.py)
OPENERS = frozenset("([{\"“‘«")
# Slots: what a matched span contributes to its rule.
TERM, PATTERN, ALL, ANY, NONE, NEAR_A, NEAR_B, EXCLUDE = (
    "term", "pattern", "all", "any", "none", "near_a", "near_b", "exclude",
)  # fmt: skip


@dataclass(frozen=True)
class PipelineInfo:
    name: str  # "blank:en+simplemma" or the loaded pipeline's name
    spacy_version: str
    language: str


class SimplemmaLemmatizer:
    """Sets each token's lemma to simplemma's lower-case lemma of its NORM, cached per NORM.

    The NORM is the lower-case form, except where spaCy's tokenizer exceptions
    say what a form stands for: "n't" is "not", "'m" is "am", "’ve" is "have"
    (see coding/clitics.py, which also reads the ambiguous "'s" and "'d").
    It works on whole attribute arrays rather than Token objects: creating a
    Python object per word cost more than the rest of the pipeline together.
    """

    def __init__(self, language: str) -> None:
        import simplemma

        self.language = language
        # The streamed word lists: the same lemmas as the full ones (checked on every word of the samples and the gold
        # set), a seventh of the memory (Norwegian: 10 MB, not 70), and each word is looked up once per run anyway.
        self.lemmatize = functools.partial(simplemma.lemmatize, low_memory=True)
        self.clitics = CLITIC_LEMMAS.get(language, {})
        self.ambiguous: AmbiguousClitics | None = None  # made with the first Doc's strings
        self.cache: dict[int, int] = {}  # NORM's hash -> lemma's hash

    def lemma(self, norm: str) -> str:
        form = straight(norm)
        if form in self.clitics:
            return self.clitics[form]
        return self.lemmatize(form, lang=self.language).lower() if form.isalpha() or "-" in form else form.lower()

    def __call__(self, doc: Doc) -> Doc:
        import numpy
        from spacy.attrs import LEMMA, NORM

        strings, cache = doc.vocab.strings, self.cache
        norms = doc.to_array(NORM).tolist()
        lemma_hashes = []
        for norm_hash in norms:
            lemma_hash = cache.get(norm_hash)
            if lemma_hash is None:
                lemma_hash = cache[norm_hash] = strings.add(self.lemma(strings[norm_hash]))
            lemma_hashes.append(lemma_hash)
        if self.language in BE_BEFORE_S:
            if self.ambiguous is None:
                self.ambiguous = AmbiguousClitics(self.language, strings)
            self.ambiguous.read(norms, lemma_hashes)
        doc.from_array([LEMMA], numpy.array(lemma_hashes, dtype="uint64").reshape(-1, 1))  # type: ignore[arg-type]  # thinc's Ints2d is this array
        return doc


def keep_openers_with_next_sentence(doc: Doc) -> Doc:
    """Move a sentence start back onto an opening bracket or quote before it.

    The sentencizer ends "...budget cuts. (laughs) The one..." after "(", so the
    next sentence would start "laughs)". Transcripts are full of such asides.
    """
    import numpy
    from spacy.attrs import ORTH, SENT_START

    if len(doc) < 2:
        return doc
    values = doc.to_array([ORTH, SENT_START])
    starts = values[:, 1].astype("int64")  # 1, 0 or -1
    openers = numpy.array([doc.vocab.strings[opener] for opener in OPENERS], dtype="uint64")
    misplaced = numpy.isin(values[:-1, 0], openers) & (starts[1:] == 1) & (starts[:-1] != 1)
    for index in numpy.nonzero(misplaced)[0].tolist():
        doc[index].is_sent_start = True
        doc[index + 1].is_sent_start = False
    return doc


def _register_components() -> None:
    from spacy.language import Language

    if not Language.has_factory(SENTENCE_FIX):
        Language.component(SENTENCE_FIX, func=keep_openers_with_next_sentence)
    if not Language.has_factory(LEMMATIZER):

        @Language.factory(LEMMATIZER, default_config={"language": "en"})
        def make_lemmatizer(nlp: Language, name: str, language: str) -> SimplemmaLemmatizer:
            return SimplemmaLemmatizer(language)


def build_pipeline(codebook: Codebook, model: str | None = None) -> tuple[Language, PipelineInfo]:
    """A pipeline for ``codebook``: ``model`` if given (a name or a path), else the blank default.

    A model brings its own language; the codebook's rules in that language go into it.
    """
    import spacy
    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    _register_components()
    if model:
        nlp = _load_model(model)
        name = f"{nlp.meta.get('lang', '?')}_{nlp.meta.get('name', model)}-{nlp.meta.get('version', '?')}"
    else:
        try:
            nlp = spacy.blank(codebook.language)
        except ImportError:
            raise PipelineError(f"spaCy has no language '{codebook.language}': fix 'language' in the codebook") from None
        name = blank_pipeline_name(codebook.language)
    language = nlp.lang
    if language is None:
        raise PipelineError(f"the pipeline '{name}' names no language; use one made for a language, such as en_core_web_sm")
    if not ({"parser", "senter", "sentencizer"} & set(nlp.pipe_names)):
        nlp.add_pipe("sentencizer", first=True)
        nlp.add_pipe(SENTENCE_FIX, after="sentencizer")
    if "lemmatizer" not in nlp.pipe_names and "trainable_lemmatizer" not in nlp.pipe_names:
        if language not in SUPPORTED_LANGUAGES:
            raise PipelineError(f"no offline lemmatizer for language '{language}': use --model with a pipeline for it")
        nlp.add_pipe(LEMMATIZER, config={"language": language})
    add_codebook_rules(nlp, codebook.in_language(language))
    return nlp, PipelineInfo(name=name, spacy_version=spacy.__version__, language=language)


def sentence_splitter(language: str) -> Language:
    """Only the sentence splitting the default pipeline codes with: sentences as the coding unit sees them."""
    import spacy

    _register_components()
    try:
        nlp = spacy.blank(language)
    except ImportError:
        nlp = spacy.blank("xx")  # a language spaCy lacks still splits on punctuation
    nlp.add_pipe("sentencizer")
    nlp.add_pipe(SENTENCE_FIX, after="sentencizer")
    return nlp


def blank_pipeline_name(language: str) -> str:
    return f"blank:{language}+simplemma"


def _load_model(model: str) -> Language:
    import spacy

    try:
        return spacy.load(model)
    except OSError:
        raise PipelineError(
            f"cannot load the spaCy pipeline '{model}': it is not installed here. "
            "Install its package with pip, give the path of a pipeline folder, or leave out --model"
        ) from None


def add_codebook_rules(nlp: Language, codebook: Codebook) -> None:
    phrases = list(_phrase_patterns(codebook))
    lemma_patterns = [entry for entry in phrases if not is_exact(entry["pattern"])] + list(_token_patterns(codebook))
    # Lemmas read "don’t" as "don't"; surface forms do not, so the lower-case ruler gets both apostrophes of a term.
    lower_patterns = [{**entry, "pattern": form} for entry in phrases for form in apostrophe_forms(unquote(entry["pattern"]))]
    # The lower-case ruler goes first so its patterns are plain tokens (spaCy warns
    # when they carry lemmas); a ruler with no patterns would only make spaCy warn.
    for name, attr, patterns, first in (
        (LEMMA_RULES, "LEMMA", lemma_patterns, False),
        (LOWER_RULES, "LOWER", lower_patterns, True),
    ):
        if patterns:
            config = {"spans_key": SPANS_KEY, "phrase_matcher_attr": attr, "overwrite": False, "validate": True}
            ruler = cast("SpanRuler", nlp.add_pipe("span_ruler", name=name, config=config,
                                                    first=first or None, last=(not first) or None))  # spaCy takes one of them
            ruler.add_patterns(patterns)


def is_exact(term: str) -> bool:
    """A term in double quotes matches only as written (any case), never by lemma."""
    return len(term) > 2 and term.startswith('"') and term.endswith('"')


def unquote(term: str) -> str:
    return term[1:-1].strip() if is_exact(term) else term


def _phrase_patterns(codebook: Codebook) -> Iterator[dict[str, Any]]:
    for code in codebook.codes:
        slots: list[tuple[str, str, tuple[str, ...]]] = []
        if code.term_rule:
            slots.append((code.term_rule.rule_id, TERM, code.term_rule.terms))
        for rule in code.boolean_rules:
            # An 'all' match is numbered by its group, so the rule holds when every group number is found.
            for group_index, group in enumerate(rule.all_groups):
                for term in group:
                    yield {"label": code.code_id, "id": f"{rule.rule_id}|{ALL}|{group_index}", "pattern": term}
            slots += [(rule.rule_id, ANY, rule.any_terms), (rule.rule_id, NONE, rule.none_terms)]
        for near in code.near_rules:
            slots += [(near.rule_id, NEAR_A, near.terms), (near.rule_id, NEAR_B, near.near_terms)]
        if code.has_rules:  # exclude_terms veto the code's own matches; without rules there are none to veto
            slots.append((f"{code.code_id}:exclude_terms", EXCLUDE, code.exclude_terms))
        for rule_id, slot, terms in slots:
            for term_index, term in enumerate(terms):
                yield {"label": code.code_id, "id": f"{rule_id}|{slot}|{term_index}", "pattern": term}


def _token_patterns(codebook: Codebook) -> Iterator[dict[str, Any]]:
    for code in codebook.codes:
        for rule in code.pattern_rules:
            yield {"label": code.code_id, "id": f"{rule.rule_id}|{PATTERN}|0", "pattern": rule.pattern}
