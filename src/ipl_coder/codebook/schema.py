"""Turn codebook YAML into :mod:`ipl_coder.codebook.model` objects, collecting located problems.

The round-trip loader of ruamel.yaml keeps the line and column of every key and
item, which is what lets each problem be reported as ``file:line:column``.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from ipl_coder.codebook.model import (
    UNITS,
    BooleanRule,
    Code,
    Codebook,
    NearRule,
    PatternRule,
    Rules,
    TermRule,
)
from ipl_coder.codebook.patterns import pattern_problem
from ipl_coder.codebook.yaml_errors import Where, deepest_line, not_characters, position, yaml_problem
from ipl_coder.codebook.yaml_read import load_yaml
from ipl_coder.errors import CodebookError, Problem, locate_byte
from ipl_coder.transcripts.languages import language_code

TOP_KEYS = ("name", "version", "language", "description", "defaults", "codes")
DEFAULT_KEYS = ("unit", "speakers")
CODE_KEYS = (
    "id", "label", "color", "definition", "include", "exclude", "examples", "memo", "codes",
    "terms", "patterns", "boolean", "near", "exclude_terms", "speakers", "unit",
)  # fmt: skip
EXAMPLE_KEYS = ("match", "no_match")
PATTERN_KEYS = ("id", "pattern")
BOOLEAN_KEYS = ("id", "all", "any", "none")
NEAR_KEYS = ("id", "terms", "with", "within")
RULE_KEYS = ("terms", "patterns", "boolean", "near")
RULE_KINDS = {"patterns": "pattern", "boolean": "boolean", "near": "near"}
CODE_ID = re.compile(r"^\w[\w.-]*$")
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
# Tableau 10: distinct colours for codes that do not name one.
PALETTE = (
    "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F",
    "#EDC948", "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC",
)  # fmt: skip


def load_codebook(path: Path, saved_in: Path | None = None) -> Codebook:
    """Read, validate and return the codebook at ``path``.

    Raises :class:`CodebookError` listing every problem, each located by line and column.
    With ``saved_in``, a folder, a codebook saved there for the very same text is
    read back instead (see saved.py; ``saved.save`` keeps one).
    """
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise CodebookError([Problem(path, 1, 1, "codebook file not found: check the path")]) from None
    except IsADirectoryError:
        raise CodebookError([Problem(path, 1, 1, "this is a folder: give the codebook's .yaml file")]) from None
    except OSError as error:
        raise CodebookError([Problem(path, 1, 1, f"cannot read the codebook: {error.strerror}")]) from None
    try:
        text = raw_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, column = locate_byte(raw_bytes, error.start)
        message = f"not UTF-8 text (byte 0x{raw_bytes[error.start]:02x}): save the codebook as UTF-8"
        raise CodebookError([Problem(path, line, column, message)]) from None
    if saved_in is None:
        return _parsed(text, path)
    from ipl_coder.codebook.saved import checked_patterns, read_saved

    # After a wording edit the patterns are those of the codebook saved there: spaCy need not check them again.
    return read_saved(saved_in, text, path) or _parsed(text, path, checked_patterns(saved_in))


@lru_cache(maxsize=8)
def _parsed(text: str, path: Path, checked: frozenset[str] = frozenset()) -> Codebook:
    """Parsing a big codebook takes a tenth of a second or more (a second without ruamel.yaml.clib: see
    yaml_read.py); a process that loads the same text twice (a test run, a codebook diff) parses it once.
    A codebook is immutable and a problem is raised, never cached, so this is safe."""
    return parse_codebook_text(text, path, checked=checked)


def parse_codebook_text(text: str, path: Path, *, stored: bool = False, checked: frozenset[str] = frozenset()) -> Codebook:
    """``stored``: the copy a run checked and kept in the project store, read by a command that matches no text
    with it (a review sheet, an export): its token patterns are not given to spaCy's validator again, which
    would import spaCy (most of a second) for nothing. Nor are those among ``checked`` (see patterns.py)."""
    parser = _CodebookParser(path, check_patterns=not stored, checked=checked)
    try:
        root = load_yaml(text)
        parser.problems += [Problem(path, line + 1, column + 1, message) for (line, column), message in not_characters(root)]
        codebook = parser.parse(root, text)
    except YAMLError as error:
        where, message = yaml_problem(error, text)
        raise CodebookError([Problem(path, where[0] + 1, where[1] + 1, message)]) from None
    except RecursionError:
        message = "lists or mappings nested hundreds of levels deep, about here: a codebook needs only a few levels"
        raise CodebookError([Problem(path, deepest_line(text), 1, message)]) from None
    if parser.problems:
        raise CodebookError(sorted(parser.problems, key=lambda p: (p.line, p.column)))
    assert codebook is not None
    return codebook


def _plain(value: Any) -> Any:
    """ruamel's commented containers as plain lists and dicts, for spaCy."""
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class _CodebookParser:
    def __init__(self, path: Path, check_patterns: bool = True, checked: frozenset[str] = frozenset()) -> None:
        self.path = path
        self.check_patterns = check_patterns
        self.checked = checked  # canonical patterns spaCy already found well formed
        self.problems: list[Problem] = []
        self.codes: list[Code | None] = []
        self.first_seen: dict[str, int] = {}  # code id -> line
        self.language = "en"

    def problem(self, where: Where, message: str) -> None:
        self.problems.append(Problem(self.path, where[0] + 1, where[1] + 1, message))

    def check_keys(self, mapping: CommentedMap, allowed: tuple[str, ...], what: str) -> None:
        for key in mapping:
            if key in allowed:
                continue
            guess = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean '{guess[0]}'?" if guess else f"; allowed: {', '.join(allowed)}"
            self.problem(position(mapping, key), f"unknown key '{key}' in {what}{hint}")

    def text(self, mapping: CommentedMap, key: str, what: str) -> str:
        value = mapping.get(key)
        if value is None:
            return ""
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value).strip()
        self.problem(position(mapping, key, value=True), f"'{key}' of {what} must be text")
        return ""

    def string_list(self, mapping: CommentedMap, key: str, what: str, *, item: str) -> tuple[str, ...]:
        value = mapping.get(key)
        if value is None:
            if key in mapping:
                self.problem(position(mapping, key), f"'{key}' of {what} is empty: give a list or remove it")
            return ()
        if isinstance(value, str):
            value = [value]
            items_at = [position(mapping, key, value=True)]
        elif isinstance(value, CommentedSeq):
            items_at = [position(value, index) for index in range(len(value))]
        else:
            self.problem(position(mapping, key, value=True), f"'{key}' of {what} must be a list of {item}s")
            return ()
        strings: list[str] = []
        for entry, where in zip(value, items_at, strict=True):
            if isinstance(entry, (int, float)) and not isinstance(entry, bool):
                entry = str(entry)
            if not isinstance(entry, str):
                self.problem(where, f"each {item} in '{key}' of {what} must be text")
            elif not entry.strip():
                self.problem(where, f"empty {item} in '{key}' of {what}")
            else:
                strings.append(" ".join(entry.split()))
        return tuple(strings)

    def parse(self, root: Any, text: str) -> Codebook | None:
        if root is None:
            self.problem((0, 0), "the codebook is empty: it needs at least a 'codes:' list")
            return None
        if not isinstance(root, CommentedMap):
            self.problem((0, 0), "a codebook is a mapping with 'name', 'language' and 'codes' at the top")
            return None
        self.check_keys(root, TOP_KEYS, "the codebook")
        written = self.text(root, "language", "the codebook") or "en"
        language = language_code(written)
        if language is None:
            self.problem(position(root, "language", value=True), f"language '{written}' is not a code like 'en' or 'nb'")
        self.language = language = language or "en"
        default_unit, default_speakers = self.defaults(root)
        codes = root.get("codes")
        if not isinstance(codes, CommentedSeq) or not codes:
            where = position(root, "codes") if "codes" in root else (0, 0)
            self.problem(where, "the codebook needs a non-empty 'codes:' list")
        else:
            self.parse_code_list(codes, parent_id=None)
        return Codebook(
            path=self.path,
            name=self.text(root, "name", "the codebook") or self.path.stem,
            version=self.text(root, "version", "the codebook"),
            language=language,
            description=self.text(root, "description", "the codebook"),
            codes=tuple(code for code in self.codes if code is not None),
            yaml_text=text,
            default_unit=default_unit,
            default_speakers=default_speakers,
        )

    def defaults(self, root: CommentedMap) -> tuple[str | None, tuple[str, ...] | None]:
        """The codebook's 'defaults:' unit and speakers, for every code that sets neither itself nor by a parent."""
        if "defaults" not in root:
            return None, None
        defaults = root.get("defaults")
        what = "the codebook's defaults"
        if not isinstance(defaults, CommentedMap):
            self.problem(position(root, "defaults", value=True), "'defaults' is a mapping with 'unit:' and/or 'speakers:'")
            return None, None
        self.check_keys(defaults, DEFAULT_KEYS, what)
        return self.unit(defaults, what), self.string_list(defaults, "speakers", what, item="speaker") or None

    def parse_code_list(self, codes: CommentedSeq, parent_id: str | None) -> list[str]:
        code_ids = []
        for index, entry in enumerate(codes):
            if not isinstance(entry, CommentedMap):
                self.problem(position(codes, index), "each code is a mapping that starts with 'id:'")
                continue
            code_id = self.parse_code(entry, parent_id)
            if code_id:
                code_ids.append(code_id)
        return code_ids

    def parse_code(self, entry: CommentedMap, parent_id: str | None) -> str | None:
        code_id = self.code_id(entry)
        what = f"code '{code_id}'" if code_id else "a code"
        self.check_keys(entry, CODE_KEYS, what)
        slot = len(self.codes)
        self.codes.append(None)  # keeps parents ahead of their sub-codes
        child_ids: list[str] = []
        if entry.get("codes") is not None:
            if isinstance(entry["codes"], CommentedSeq):
                child_ids = self.parse_code_list(entry["codes"], parent_id=code_id)
            else:
                self.problem(position(entry, "codes", value=True), f"'codes' of {what} must be a list of sub-codes")
        rules = self.rules_by_language(entry, code_id or "?", what)
        for language, examples in self.examples(entry, what).items():
            base = rules.get(language, Rules())
            rules[language] = replace(base, examples_match=examples.get("examples_match", base.examples_match),
                                      examples_no_match=examples.get("examples_no_match", base.examples_no_match))
        own_rules = rules.pop(self.language, Rules())
        code = Code(
            code_id=code_id or "?",
            label=self.text(entry, "label", what) or code_id or "?",
            color=self.color(entry, what),
            parent_id=parent_id,
            definition=self.text(entry, "definition", what),
            include=self.text(entry, "include", what),
            exclude=self.text(entry, "exclude", what),
            memo=self.text(entry, "memo", what),
            **vars(own_rules),
            unit=self.unit(entry, what),
            speakers=self.string_list(entry, "speakers", what, item="speaker") or None,
            child_ids=tuple(child_ids),
            translations=rules,
            line=position(entry, "id")[0] + 1 if "id" in entry else entry.lc.line + 1,
        )
        self.codes[slot] = code
        return code_id

    def code_id(self, entry: CommentedMap) -> str | None:
        value = entry.get("id")
        where = position(entry, "id", value=True) if "id" in entry else (entry.lc.line, entry.lc.col)
        if value is None:
            self.problem(where, "a code needs an 'id' (a short stable name such as 'broker')")
            return None
        code_id = str(value)
        if not CODE_ID.match(code_id):
            self.problem(where, f"code id '{code_id}' may only hold letters, digits, '_', '-' and '.'")
        if code_id in self.first_seen:
            self.problem(where, f"duplicate code id '{code_id}' (first used on line {self.first_seen[code_id]})")
        else:
            self.first_seen[code_id] = where[0] + 1
        return code_id

    def color(self, entry: CommentedMap, what: str) -> str:
        if "color" not in entry:
            return PALETTE[len(self.first_seen) % len(PALETTE)]
        value = entry.get("color")
        if value is None:
            self.problem(position(entry, "color"), f"colour of {what} is empty: in YAML '#' starts a comment, so quote it: color: \"#4E79A7\"")
            return PALETTE[0]
        if not isinstance(value, str) or not COLOR.match(value):
            self.problem(position(entry, "color", value=True), f"colour '{value}' of {what} is not #RRGGBB (e.g. \"#4E79A7\")")
            return PALETTE[0]
        return value.upper()

    def unit(self, entry: CommentedMap, what: str) -> str | None:
        value = entry.get("unit")
        if value is None:
            return None
        if value not in UNITS:
            self.problem(position(entry, "unit", value=True), f"unit '{value}' of {what} is not one of: {', '.join(UNITS)}")
            return None
        return str(value)

    def examples(self, entry: CommentedMap, what: str) -> dict[str, dict[str, tuple[str, ...]]]:
        """A code's examples per language: 'match' and 'no_match' each hold a list, or a mapping of language to list."""
        examples = entry.get("examples")
        if examples is None:
            return {}
        if not isinstance(examples, CommentedMap):
            self.problem(position(entry, "examples", value=True), f"'examples' of {what} needs 'match:' and 'no_match:' lists")
            return {}
        self.check_keys(examples, EXAMPLE_KEYS, f"the examples of {what}")
        by_language: dict[str, dict[str, tuple[str, ...]]] = {}
        for key in EXAMPLE_KEYS:
            value = examples.get(key)
            places = [(examples, key, self.language)]
            if isinstance(value, CommentedMap):
                places = []
                for written in value:
                    language = language_code(str(written))
                    if language is None:
                        self.problem(position(value, written), f"'{written}' in '{key}' of {what} is not a language code such as en or nb")
                    else:
                        places.append((value, written, language))
            for mapping, list_key, language in places:
                where = what if language == self.language else f"{what} ({language})"
                by_language.setdefault(language, {})[f"examples_{key}"] = self.string_list(mapping, list_key, where, item="example")
        return by_language

    def rules_by_language(self, entry: CommentedMap, code_id: str, what: str) -> dict[str, Rules]:
        """A code's rules per language: each rule key holds a list, or a mapping of language to list."""
        places: dict[str, dict[str, _RuleListPlace]] = {}  # language -> rule key -> the mapping holding it
        for key in (*RULE_KEYS, "exclude_terms"):
            value = entry.get(key)
            if not isinstance(value, CommentedMap) or key in ("boolean", "near") and _is_rule(value):
                if key in entry:
                    places.setdefault(self.language, {})[key] = _RuleListPlace(entry, key, key)
                continue
            for written in value:
                language = language_code(str(written))
                if language is None:
                    self.problem(position(value, written), f"'{written}' in '{key}' of {what} is not a language code such as en or nb")
                    continue
                places.setdefault(language, {})[key] = _RuleListPlace(value, written, key)
        return {
            language: self.rules_in(keys, code_id if language == self.language else f"{code_id}@{language}", what)
            for language, keys in places.items()
        }

    def rules_in(self, keys: dict[str, _RuleListPlace], code_id: str, what: str) -> Rules:
        rule_ids: set[str] = set()
        suffix = code_id.partition("@")[2]
        where = f"{what} ({suffix})" if suffix else what

        def strings(key: str) -> tuple[str, ...]:
            return self.string_list(keys[key].mapping, keys[key].key, where, item="term") if key in keys else ()

        def rule_list(key: str, parse_one: Any) -> tuple[Any, ...]:
            if key not in keys:
                return ()
            return tuple(self.rule_list(keys[key], code_id, where, rule_ids, parse_one))

        terms = strings("terms")
        rule_id = f"{code_id.partition('@')[0]}:terms" + (f"@{suffix}" if suffix else "")
        return Rules(
            term_rule=TermRule(rule_id, terms) if terms else None,
            pattern_rules=rule_list("patterns", self.pattern_rule),
            boolean_rules=rule_list("boolean", self.boolean_rule),
            near_rules=rule_list("near", self.near_rule),
            exclude_terms=strings("exclude_terms"),
        )

    def rule_list(self, place: _RuleListPlace, code_id: str, what: str, rule_ids: set[str], parse_one: Any) -> list[Any]:
        value = place.mapping.get(place.key)
        if value is None:
            return []
        if not isinstance(value, CommentedSeq):
            self.problem(position(place.mapping, place.key, value=True), f"'{place.rule_key}' of {what} must be a list")
            return []
        base_id, _, language = code_id.partition("@")
        rules = []
        for index, item in enumerate(value):
            where = position(value, index)
            own_id = item.get("id") if isinstance(item, CommentedMap) else None
            kind = RULE_KINDS[place.rule_key]
            rule_id = f"{base_id}:{own_id}" if own_id else f"{base_id}:{kind}-{index + 1}"
            rule_id += f"@{language}" if language else ""
            if own_id is not None and not CODE_ID.match(str(own_id)):
                self.problem(where, f"rule id '{own_id}' may only hold letters, digits, '_', '-' and '.'")
            elif rule_id in rule_ids:
                self.problem(where, f"rule id '{own_id}' is used twice in {what}")
            rule_ids.add(rule_id)
            rule = parse_one(item, where, rule_id, f"{kind} rule {index + 1} of {what}")
            if rule is not None:
                rules.append(rule)
        return rules

    def pattern_rule(self, item: Any, where: Where, rule_id: str, what: str) -> PatternRule | None:
        if isinstance(item, CommentedMap):
            self.check_keys(item, PATTERN_KEYS, what)
            if "pattern" not in item:
                self.problem(where, f"{what} needs a 'pattern:' list of token specs")
                return None
            where, item = position(item, "pattern", value=True), item["pattern"]
        pattern = _plain(item)
        message = pattern_problem(pattern, self.checked) if self.check_patterns else None
        if message:
            self.problem(where, f"malformed pattern in {what}: {message}")
            return None
        return PatternRule(rule_id, pattern)

    def boolean_rule(self, item: Any, where: Where, rule_id: str, what: str) -> BooleanRule | None:
        if not isinstance(item, CommentedMap):
            self.problem(where, f"{what} is a mapping with 'all', 'any' and 'none' lists of terms")
            return None
        self.check_keys(item, BOOLEAN_KEYS, what)
        all_groups = self.term_groups(item, what)
        any_terms = self.string_list(item, "any", what, item="term")
        if not all_groups and not any_terms:
            self.problem(where, f"{what} needs 'all' or 'any' terms ('none' alone matches everything)")
            return None
        return BooleanRule(rule_id, all_groups, any_terms, self.string_list(item, "none", what, item="term"))

    def term_groups(self, item: CommentedMap, what: str) -> tuple[tuple[str, ...], ...]:
        """A boolean rule's 'all': each entry a term, or a list of alternative terms of which any one counts."""
        value = item.get("all")
        if not isinstance(value, CommentedSeq) or not any(isinstance(entry, CommentedSeq) for entry in value):
            return tuple((term,) for term in self.string_list(item, "all", what, item="term"))
        groups: list[tuple[str, ...]] = []
        for index, entry in enumerate(value):
            where = position(value, index)
            entries = entry if isinstance(entry, CommentedSeq) else [entry]
            places = [position(entry, number) for number in range(len(entry))] if isinstance(entry, CommentedSeq) else [where]
            group = tuple(term for entry_term, at in zip(entries, places, strict=True)
                          if (term := self.term(entry_term, at, f"'all' of {what}")) is not None)  # fmt: skip
            if group:
                groups.append(group)
            elif not entries:
                self.problem(where, f"group {index + 1} in 'all' of {what} is empty: give at least one term")
        return tuple(groups)

    def term(self, entry: Any, where: Where, what: str) -> str | None:
        """One term, with its spacing tidied; None (and a problem) when it is not text."""
        if isinstance(entry, (int, float)) and not isinstance(entry, bool):
            entry = str(entry)
        if not isinstance(entry, str):
            self.problem(where, f"each term in {what} must be text (a group of alternatives is one level of [ ])")
            return None
        if not entry.strip():
            self.problem(where, f"empty term in {what}")
            return None
        return " ".join(entry.split())

    def near_rule(self, item: Any, where: Where, rule_id: str, what: str) -> NearRule | None:
        if not isinstance(item, CommentedMap):
            self.problem(where, f"{what} is a mapping with 'terms', 'with' and 'within'")
            return None
        self.check_keys(item, NEAR_KEYS, what)
        terms = self.string_list(item, "terms", what, item="term")
        near_terms = self.string_list(item, "with", what, item="term")
        within = item.get("within", 5)
        if not isinstance(within, int) or isinstance(within, bool) or not 1 <= within <= 100:
            self.problem(position(item, "within", value=True), f"'within' of {what} must be a whole number of tokens from 1 to 100")
            return None
        if not terms or not near_terms:
            self.problem(where, f"{what} needs both 'terms' and 'with' lists")
            return None
        return NearRule(rule_id, terms, near_terms, within)


@dataclass(frozen=True)
class _RuleListPlace:
    """Where a rule list sits: ``mapping[key]``, the list for rule key ``rule_key`` (key is a language if nested)."""

    mapping: CommentedMap
    key: Any
    rule_key: str


def _is_rule(value: CommentedMap) -> bool:
    """A single boolean or near rule written as a mapping, not a mapping of languages."""
    return any(key in value for key in (*BOOLEAN_KEYS, *NEAR_KEYS))
