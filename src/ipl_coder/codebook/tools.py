"""What ``ipl-coder codebook validate`` and ``codebook test`` report: plain functions, no printing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ipl_coder.codebook.examples import ExampleResult, check_examples
from ipl_coder.codebook.model import Code, Codebook
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.wording import count


@dataclass(frozen=True)
class RuleCount:
    """How many rules of each kind a code has in one language."""

    terms: int = 0  # terms of the one term rule
    patterns: int = 0
    boolean: int = 0
    near: int = 0

    @property
    def rules(self) -> int:
        return (1 if self.terms else 0) + self.patterns + self.boolean + self.near

    def __str__(self) -> str:
        kinds = ((self.terms, "term"), (self.patterns, "pattern"), (self.boolean, "boolean rule"), (self.near, "near rule"))
        return ", ".join(count(number, kind) for number, kind in kinds if number) or "no rules"


def rule_count(code: Code) -> RuleCount:
    return RuleCount(
        terms=len(code.term_rule.terms) if code.term_rule else 0, patterns=len(code.pattern_rules),
        boolean=len(code.boolean_rules), near=len(code.near_rules),
    )  # fmt: skip


@dataclass(frozen=True)
class CodebookSummary:
    path: Path
    name: str
    version: str
    languages: tuple[str, ...]
    codes: int
    sub_codes: int
    rules: dict[str, int]  # per language
    examples: int
    without_rules: tuple[str, ...]  # codes people can apply but the machine never suggests


def summarize_codebook(path: Path) -> CodebookSummary:
    """Load and validate the codebook (raising CodebookError with every problem), and count what is in it."""
    codebook = load_codebook(path)
    views = {language: codebook.in_language(language) for language in codebook.languages}
    rules = {language: sum(rule_count(code).rules for code in view.codes) for language, view in views.items()}
    examples = sum(len(code.examples_match) + len(code.examples_no_match) for view in views.values() for code in view.codes)
    without = tuple(code.code_id for code in codebook.codes if not code.has_rules_in_any_language)
    return CodebookSummary(
        path=path, name=codebook.name, version=codebook.version, languages=codebook.languages,
        codes=len(codebook.codes), sub_codes=sum(1 for code in codebook.codes if code.parent_id), rules=rules,
        examples=examples, without_rules=without,
    )  # fmt: skip


@dataclass(frozen=True)
class ExampleRun:
    path: Path
    codebook: Codebook
    results: list[ExampleResult]
    pipelines: tuple[str, ...]

    @property
    def failures(self) -> list[ExampleResult]:
        return [result for result in self.results if not result.passed]

    @property
    def codes_without_examples(self) -> tuple[str, ...]:
        tested = {result.code_id for result in self.results}
        return tuple(code.code_id for code in self.codebook.codes if code.code_id not in tested)


def run_examples(path: Path, model: str | None = None) -> ExampleRun:
    """Check every code's examples with the pipeline ``ipl-coder code`` would use for them."""
    from ipl_coder.coding.coders import LanguageCoders

    codebook = load_codebook(path)
    coders = LanguageCoders(codebook, model=model)
    results = check_examples(codebook, coders)
    pipelines = tuple(coders.pipeline_name(language) for language in sorted(coders.coders))
    return ExampleRun(path, codebook, results, pipelines)
