"""``ipl-coder codebook lint``: warnings about a codebook that loads but may not do what its author meant.

Checks on the codebook alone: a term in two codes, codes without a definition,
examples or rules, and terms the lemmatizer reads as another word. With a
project, checks on what its latest run suggested: rules that matched nothing,
and single rules or words behind most segments (the usual false positives).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ipl_coder.codebook.model import Code, Codebook
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.coding.clitics import is_clitic, straight
from ipl_coder.coding.pipeline import is_exact

if TYPE_CHECKING:
    from spacy.tokens import Token

    from ipl_coder.store import SegmentRow

# A rule behind more than this share of all segments deserves a look at a sample of them.
DOMINANT_RULE_SHARE = 0.25
DOMINANT_WORD_SHARE = 0.35  # of one code's segments
MIN_SEGMENTS = 10  # below this, shares say little


@dataclass(frozen=True)
class LintWarning:
    check: str  # a short name, such as "duplicate-term", to filter or grep on
    code_id: str
    line: int  # of the code in the codebook file
    message: str


@dataclass(frozen=True)
class LintResult:
    path: Path
    warnings: list[LintWarning]
    project: Path | None = None
    notes: tuple[str, ...] = ()  # about the checks themselves, such as an outdated project


def lint_codebook(path: Path, project_dir: Path | None = None) -> LintResult:
    codebook = load_codebook(path)
    warnings = [*_content_warnings(codebook), *_duplicate_terms(codebook), *_lemma_warnings(codebook)]
    notes: tuple[str, ...] = ()
    if project_dir is not None:
        project_warnings, notes = _project_warnings(codebook, project_dir)
        warnings += project_warnings
    order = {code.code_id: index for index, code in enumerate(codebook.codes)}
    warnings.sort(key=lambda warning: (order.get(warning.code_id, len(order)), warning.line))
    return LintResult(path, warnings, project_dir, notes)


def _content_warnings(codebook: Codebook) -> list[LintWarning]:
    warnings = []
    views = [codebook.in_language(language) for language in codebook.languages]
    for code in codebook.codes:
        def warn(check: str, message: str, code: Code = code) -> None:
            warnings.append(LintWarning(check, code.code_id, code.line, message))

        if not code.definition:
            warn("no-definition", f"code '{code.code_id}' has no definition: reviewers and other tools show it")
        in_views = [view.code(code.code_id) for view in views]
        if not any(view_code.examples_match or view_code.examples_no_match for view_code in in_views):
            warn("no-examples", f"code '{code.code_id}' has no examples, so 'codebook test' cannot check its rules")
        else:
            for view, view_code in zip(views, in_views, strict=True):
                if view_code.has_rules and not view_code.examples_match:
                    warn("no-examples", f"code '{code.code_id}' has rules in '{view.language}' but no '{view.language}' match examples")
        if not code.child_ids and not code.has_rules_in_any_language:
            warn("no-rules", f"code '{code.code_id}' has no rules: it is never suggested, only people can apply it")
    return warnings


def _terms(code: Code) -> list[str]:
    """The terms that get a code by themselves: its term rule, and boolean rules that need no other word.

    A term inside a near rule, or one condition of several in a boolean rule,
    codes nothing alone, so two codes sharing it is no duplicate.
    """
    terms = list(code.term_rule.terms) if code.term_rule else []
    for rule in code.boolean_rules:
        terms += rule.standalone_terms
    return terms


def _normal(term: str) -> str:
    return " ".join(term.strip('"').casefold().split())


def _duplicate_terms(codebook: Codebook) -> list[LintWarning]:
    warnings = []
    for language in codebook.languages:
        owners: dict[str, list[str]] = defaultdict(list)
        for code in codebook.in_language(language).codes:
            for term in dict.fromkeys(_normal(term) for term in _terms(code)):
                owners[term].append(code.code_id)
        for term, code_ids in owners.items():
            if len(code_ids) > 1:
                first = codebook.code(code_ids[1])
                where = f" ({language})" if language != codebook.language else ""
                message = f"term '{term}'{where} is in {', '.join(repr(code_id) for code_id in code_ids)}: every match gets all of them"
                warnings.append(LintWarning("duplicate-term", first.code_id, first.line, message))
    return warnings


def _lemma_warnings(codebook: Codebook) -> list[LintWarning]:
    """Terms are matched on lemmas: a term word the lemmatizer reads as another word also finds that word.

    Reading an inflected form as its base ("helped" as "help") is what terms are
    for; the warnings are for a word that is a base form itself ("meeting",
    "sykepleier") or a lemma the dictionary does not know (a guess).
    """
    from ipl_coder.coding.pipeline import build_pipeline

    warnings = []
    for language in codebook.languages:
        view = codebook.in_language(language)
        nlp, _ = build_pipeline(view)
        where = f" ({language})" if language != codebook.language else ""
        read = {code.code_id: [(term, nlp(term)) for term in dict.fromkeys(_every_term(code)) if not is_exact(term)] for code in view.codes}
        del nlp  # before the word list is loaded: one big thing at a time
        asked = {text for terms in read.values() for _, doc in terms for token in doc for text in (token.lower_, token.lemma_.lower())}
        dictionary = _Dictionary(language, asked)
        for code in view.codes:
            for term, doc in read[code.code_id]:
                changed = [(token.lower_, token.lemma_.lower(), kind) for token in doc
                           if not _short_form(token, language)
                           and (kind := dictionary.misreading(token.lower_, token.lemma_.lower()))
                           and not (len(doc) > 1 and token.is_stop)]  # "them" read as "they" in "us and them" is harmless
                if changed:
                    readings = "; ".join(f"'{word}' as '{lemma}' ({kind})" for word, lemma, kind in changed)
                    lemmas = " ".join(token.lemma_.lower() for token in doc)
                    message = (f"term '{term}'{where}: the lemmatizer reads {readings}, so the term also finds '{lemmas}'; "
                               "write it in double quotes to match it only as written")  # fmt: skip
                    warnings.append(LintWarning("lemma", code.code_id, code.line, message))
        del dictionary  # before the next language's list is loaded
    return warnings


def _short_form(token: Token, language: str) -> bool:
    """A form read by the documented rules for short forms, not by the dictionary: "n't" as "not", "'s" as "be".

    spaCy's tokenizer says what a short form stands for in its NORM ("nt" in "dont" is "not", "ca" in "can't"
    is "can"), and coding/clitics.py reads the ambiguous "'s" and "'d": neither is the dictionary misreading a word.
    """
    return is_clitic(token.lower_, language) or straight(token.norm_) != straight(token.lower_)


def _every_term(code: Code) -> list[str]:
    """Every term a code's rules match on a lemma: plain terms, every boolean list, both sides of a near rule."""
    terms = list(code.term_rule.terms) if code.term_rule else []
    for rule in code.boolean_rules:
        terms += [*rule.all_terms, *rule.any_terms, *rule.none_terms]
    return terms + [term for rule in code.near_rules for term in (*rule.terms, *rule.near_terms)]


class _Dictionary:
    """simplemma's word list for a language: which words are base forms, and which it knows at all.

    The full list of one language is loaded here only to answer for the words asked about, and dropped, so lint
    never holds it alongside a pipeline (whose lemmatizer uses simplemma's small, streamed lists).
    """

    def __init__(self, language: str, asked: set[str]) -> None:
        from simplemma.strategies.dictionaries.stream_dictionary_factory import StreamDictionaryFactory

        try:
            mapping = StreamDictionaryFactory(cache_max_size=1).get_dictionary(language)
        except (KeyError, ValueError):
            self.known: set[str] = set()
            self.bases: set[str] = set()
            return
        self.known = {word for word in asked if word in mapping}
        self.bases = _base_forms(mapping, asked)

    def misreading(self, word: str, lemma: str) -> str | None:
        """Why reading ``word`` as ``lemma`` may not be what a term's author meant, if it may not."""
        if lemma == word:
            return None
        if word in self.bases:
            return "a different word"
        if lemma not in self.bases and lemma not in self.known:
            return "a guess"
        return None


def _base_forms(mapping: Mapping[str, str], asked: set[str]) -> set[str]:
    """Which asked words are some word's lemma.

    simplemma's streamed list (the one the lemmatizer uses: a tenth of the
    memory of the whole list as a dict) is read record by record, its values
    compared as stored bytes, so nothing but the asked words is kept. It uses
    simplemma's record reader, which is not public: should that change, the
    values are read through the mapping instead, the same answer more slowly.
    """
    try:
        from simplemma.strategies.dictionaries import frontcode

        data, position, reverse = mapping._data, mapping._pos, mapping._rev  # type: ignore[attr-defined]
        stored = {(word.encode()[::-1] if reverse else word.encode()): word for word in asked}
        return {stored[value] for _, _, value in frontcode._iter_records(data, position) if value in stored}
    except (AttributeError, ImportError):
        return {value for value in mapping.values() if value in asked}


class _Tally:
    """What lint needs of a run's suggestions, counted as they stream past: a project of any size fits."""

    def __init__(self) -> None:
        self.total = 0
        self.rule_segments: Counter[str] = Counter()
        self.code_segments: Counter[str] = Counter()
        self.code_words: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, segment: SegmentRow) -> None:
        self.total += 1
        self.rule_segments.update(segment.rules)
        self.code_segments[segment.code_id] += 1
        self.code_words[segment.code_id].update({matched.casefold() for matched in segment.matched})


def _project_warnings(codebook: Codebook, project_dir: Path) -> tuple[list[LintWarning], tuple[str, ...]]:
    from ipl_coder.store import ProjectStore

    tally = _Tally()
    with ProjectStore.open(project_dir) as store:
        run = store.latest_run()
        current_hash = store.current_codebook_hash()
        for segment in store.segments():
            if segment.suggested and segment.origin == "machine":
                tally.add(segment)
        languages = {language or codebook.language for language in store.transcript_languages().values()}
    notes = []
    if run is None:
        return [], (f"{project_dir}: no run yet, so there are no segments to check",)
    if current_hash != codebook.content_hash:
        notes.append(f"the project was last coded (run #{run.run_id}) with another version of this codebook; "
                     "rules added since then show as matching nothing until you run 'ipl-coder code' again")  # fmt: skip
    warnings = []
    for language in sorted(languages & set(codebook.languages)):
        for code in codebook.in_language(language).codes:
            for rule_id in code.rule_ids:
                if not tally.rule_segments[rule_id]:
                    message = f"rule '{rule_id}' matched nothing in the project's latest run"
                    warnings.append(LintWarning("unmatched-rule", code.code_id, codebook.code(code.code_id).line, message))
    warnings += _dominant(codebook, tally)
    return warnings, tuple(notes)


def _dominant(codebook: Codebook, tally: _Tally) -> list[LintWarning]:
    warnings = []
    known = {code.code_id: code for code in codebook.codes}
    total = tally.total
    for rule_id, count in tally.rule_segments.most_common():
        code_id = rule_id.partition(":")[0]
        if total >= MIN_SEGMENTS and count / total > DOMINANT_RULE_SHARE and code_id in known:
            message = (f"rule '{rule_id}' makes {count} of all {total} segments ({count / total:.0%}); "
                       "check a sample of them for false positives")  # fmt: skip
            warnings.append(LintWarning("dominant-rule", code_id, known[code_id].line, message))
    for code_id, own in tally.code_segments.items():
        words = tally.code_words[code_id]
        if code_id not in known or own < MIN_SEGMENTS or not words:
            continue
        word, count = words.most_common(1)[0]
        if count / own > DOMINANT_WORD_SHARE:
            message = (f"the word '{word}' is behind {count} of the {own} '{code_id}' segments ({count / own:.0%}); "
                       "check a sample of them for false positives")  # fmt: skip
            warnings.append(LintWarning("dominant-word", code_id, known[code_id].line, message))
    return warnings
