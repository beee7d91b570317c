"""The codebook: a YAML file of codes and the rules that suggest them.

``load_codebook`` reads and validates a codebook and returns a :class:`Codebook`.
Validation collects every problem before raising, so a researcher fixes a
codebook in one pass instead of one error per run. The format is documented
field by field in ``docs/codebook.md``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

UNITS = ("sentence", "paragraph", "turn", "exchange")
DEFAULT_UNIT = "sentence"
PARTICIPANTS = "participants"  # the default: every speaker but the interviewer
INTERVIEWER = "interviewer"
EVERYONE = "everyone"


@dataclass(frozen=True)
class TermRule:
    rule_id: str
    terms: tuple[str, ...]


@dataclass(frozen=True)
class PatternRule:
    rule_id: str
    pattern: list[dict[str, Any]]


@dataclass(frozen=True)
class BooleanRule:
    """Fires on a coding unit holding a term of every ``all`` group, one ``any`` term and no ``none`` term.

    Each ``all`` group is a set of alternatives: ``[[staff, nurse], [us]]`` is
    (staff or nurse) and us. A single term written in ``all`` is a group of one.
    """

    rule_id: str
    all_groups: tuple[tuple[str, ...], ...]
    any_terms: tuple[str, ...]
    none_terms: tuple[str, ...]

    @property
    def all_terms(self) -> tuple[str, ...]:
        """Every term of every ``all`` group, in order."""
        return tuple(term for group in self.all_groups for term in group)

    @property
    def standalone_terms(self) -> tuple[str, ...]:
        """The terms that get the code by themselves, with no other word needed."""
        if not self.all_groups:
            return self.any_terms
        if len(self.all_groups) == 1 and not self.any_terms:
            return self.all_groups[0]
        return ()


@dataclass(frozen=True)
class NearRule:
    """Fires where a term of ``terms`` and one of ``near_terms`` are at most ``within`` tokens apart."""

    rule_id: str
    terms: tuple[str, ...]
    near_terms: tuple[str, ...]
    within: int


@dataclass(frozen=True)
class Rules:
    """A code's rules in one language."""

    term_rule: TermRule | None = None
    pattern_rules: tuple[PatternRule, ...] = ()
    boolean_rules: tuple[BooleanRule, ...] = ()
    near_rules: tuple[NearRule, ...] = ()
    exclude_terms: tuple[str, ...] = ()
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()

    @property
    def has_rules(self) -> bool:
        return bool(self.term_rule or self.pattern_rules or self.boolean_rules or self.near_rules)


@dataclass(frozen=True)
class Code:
    code_id: str
    label: str
    color: str
    parent_id: str | None
    definition: str = ""
    include: str = ""
    exclude: str = ""
    memo: str = ""
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    term_rule: TermRule | None = None
    pattern_rules: tuple[PatternRule, ...] = ()
    boolean_rules: tuple[BooleanRule, ...] = ()
    near_rules: tuple[NearRule, ...] = ()
    exclude_terms: tuple[str, ...] = ()
    # None means "inherit": from the parent code, then the run's default.
    unit: str | None = None
    speakers: tuple[str, ...] | None = None
    child_ids: tuple[str, ...] = ()
    # The rules above are in the codebook's language; these in other languages.
    translations: Mapping[str, Rules] = field(default_factory=dict)
    line: int = 0  # where the code's 'id:' is in the file, for messages

    @property
    def has_rules(self) -> bool:
        return bool(self.term_rule or self.pattern_rules or self.boolean_rules or self.near_rules)

    @property
    def has_rules_in_any_language(self) -> bool:
        """Whether the machine can suggest this code at all; without, only people apply it."""
        return self.has_rules or any(rules.has_rules for rules in self.translations.values())

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The ids of this code's rules in the language it is in, as segments name them."""
        rules = (self.term_rule, *self.pattern_rules, *self.boolean_rules, *self.near_rules)
        return tuple(rule.rule_id for rule in rules if rule is not None)

    def in_language(self, language: str) -> Code:
        """This code with its rules and examples for ``language`` in place of the codebook language's."""
        rules = self.translations.get(language, Rules())
        return replace(self, **vars(rules))


@dataclass(frozen=True)
class Codebook:
    path: Path
    name: str
    version: str
    language: str
    description: str
    codes: tuple[Code, ...]  # the whole tree, parents before their sub-codes
    yaml_text: str = field(repr=False)
    # The codebook's 'defaults:', for codes (and their ancestors) that set none.
    default_unit: str | None = None
    default_speakers: tuple[str, ...] | None = None

    @property
    def languages(self) -> tuple[str, ...]:
        """The codebook's language, then every other language some code has rules in."""
        others = sorted({language for code in self.codes for language in code.translations} - {self.language})
        return (self.language, *others)

    def in_language(self, language: str) -> Codebook:
        """The codebook as it codes a transcript in ``language``: that language's rules only."""
        if language == self.language:
            return self
        return replace(self, language=language, codes=tuple(code.in_language(language) for code in self.codes))

    @property
    def has_rules(self) -> bool:
        """Whether any code has a rule in any language: without one, nothing is ever suggested."""
        return any(code.has_rules_in_any_language for code in self.codes)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.yaml_text.encode("utf-8")).hexdigest()

    def code(self, code_id: str) -> Code:
        for code in self.codes:
            if code.code_id == code_id:
                return code
        raise KeyError(code_id)

    def descendants(self, code_id: str) -> Iterator[Code]:
        """The sub-codes of ``code_id``, their sub-codes and so on."""
        for child_id in self.code(code_id).child_ids:
            yield self.code(child_id)
            yield from self.descendants(child_id)

    def run_unit(self, given: str | None = None) -> str:
        """The unit of a run: the one given on the command line, else the codebook's default, else sentence."""
        return given or self.default_unit or DEFAULT_UNIT

    def effective_unit(self, code: Code, run_unit: str) -> str:
        """A code's own unit, else its nearest ancestor's, else the run's (see :meth:`run_unit`)."""
        current: Code | None = code
        while current is not None:
            if current.unit:
                return current.unit
            current = self.code(current.parent_id) if current.parent_id else None
        return run_unit

    def effective_speakers(self, code: Code) -> tuple[str, ...]:
        current: Code | None = code
        while current is not None:
            if current.speakers is not None:
                return current.speakers
            current = self.code(current.parent_id) if current.parent_id else None
        return self.default_speakers or (PARTICIPANTS,)
