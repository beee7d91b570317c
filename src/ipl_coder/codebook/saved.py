"""A checked codebook kept as JSON, so a project re-coded with the same codebook skips reading its YAML again.

Reading and checking a codebook of a few thousand lines takes a tenth of a
second with libyaml (yaml_read.py), most of a second without it, on every
`ipl-coder code`. The codebook a run checked is saved in the project's
cache folder under the hash of its text, the program's version and this
file's format; a later run with the very same text reads it back in a few
milliseconds. Only a codebook that passed every check is saved, and a file
that cannot be read, reads as something else, or differs in any byte from what
was written (it ends with its checksum) is ignored: the YAML is read as
before. JSON, not pickle: reading a file from a shared project folder must
never run code.
"""

from __future__ import annotations

import hashlib
import json
import stat
from dataclasses import asdict, replace
from functools import cache
from pathlib import Path
from typing import Any

from ipl_coder import __version__
from ipl_coder.codebook.model import BooleanRule, Code, Codebook, NearRule, PatternRule, Rules, TermRule
from ipl_coder.codebook.patterns import canonical_pattern
from ipl_coder.errors import ProjectError
from ipl_coder.files import atomic_path, sources_hash, with_checksum, without_checksum

SAVED_FORMAT = 2  # bump when this file's layout changes (2: a checksum line, files.with_checksum)
# Reading the YAML into the model is these files' work: any change to them (a new check, a new field) is a new key.
_READER_SOURCES = ("model.py", "schema.py", "yaml_errors.py", "yaml_read.py", "patterns.py", "saved.py")
_LANGUAGE_SOURCES = ("languages.py",)  # in transcripts/: how the codebook's language names are read


def saved_path(folder: Path, text: str) -> Path:
    key = hashlib.sha256(f"{SAVED_FORMAT}|{__version__}|{_reader_hash()}|{text}".encode("utf-8", "surrogatepass"))
    return folder / f"{key.hexdigest()[:32]}.json"


@cache
def _reader_hash() -> str:
    here = Path(__file__).parent
    return sources_hash(here, _READER_SOURCES) + sources_hash(here.parent / "transcripts", _LANGUAGE_SOURCES)


def read_saved(folder: Path, text: str, path: Path) -> Codebook | None:
    """The codebook saved for exactly this text, as if read from ``path``; None when there is none to trust."""
    try:
        where = saved_path(folder, text)
        checked = without_checksum(where.read_bytes(), bound_to=where.name)
        if checked is None:
            return None  # edited or damaged since it was saved: its rules may not be the text's
        codebook = from_json(json.loads(checked.decode("utf-8", "surrogatepass")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if codebook.yaml_text != text:
        return None
    if codebook.name == codebook.path.stem and path.stem != codebook.path.stem:
        return None  # a codebook that names none is named by its file, which is another one now: read the YAML
    return replace(codebook, path=path)


def checked_patterns(folder: Path) -> frozenset[str]:
    """The token patterns (canonical, see patterns.py) of the codebooks saved in ``folder``: spaCy found them well formed.

    Only a file unchanged since this program wrote it under its name is trusted (its checksum); any other is passed by.
    """
    checked: set[str] = set()
    for where in sorted(folder.glob("*.json")):
        try:
            data = without_checksum(where.read_bytes(), bound_to=where.name)
            codebook = from_json(json.loads(data.decode("utf-8", "surrogatepass"))) if data is not None else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if codebook is None:
            continue
        rules = [rule for code in codebook.codes for rule in code.pattern_rules]
        rules += [rule for code in codebook.codes for other in code.translations.values() for rule in other.pattern_rules]
        checked.update(text for rule in rules if (text := canonical_pattern(rule.pattern)) is not None)
    return frozenset(checked)


def save(folder: Path, codebook: Codebook) -> None:
    """Keep the checked codebook, in place of any other version; a cache that cannot be written only costs time."""
    try:
        target = saved_path(folder, codebook.yaml_text)
        # As private as the folder it is in (the project's cache: its owner's only, or the team's).
        folder.mkdir(mode=stat.S_IMODE(folder.parent.stat().st_mode), exist_ok=True)
        with atomic_path(target) as temporary:
            data = json.dumps(to_json(codebook), ensure_ascii=False).encode("utf-8", "surrogatepass")
            temporary.write_bytes(with_checksum(data, bound_to=target.name))
        for older in folder.glob("*.json"):  # one codebook per project, as a rule: older versions are only clutter
            if older != target:
                older.unlink(missing_ok=True)
    except (OSError, ProjectError):
        pass


def to_json(codebook: Codebook) -> dict[str, Any]:
    return {**asdict(codebook), "path": str(codebook.path)}


def from_json(data: dict[str, Any]) -> Codebook:
    return Codebook(
        path=Path(data["path"]), name=data["name"], version=data["version"], language=data["language"],
        description=data["description"], codes=tuple(_code(code) for code in data["codes"]), yaml_text=data["yaml_text"],
        default_unit=data["default_unit"], default_speakers=_optional_strings(data["default_speakers"]),
    )  # fmt: skip


def _code(data: dict[str, Any]) -> Code:
    return Code(
        code_id=data["code_id"], label=data["label"], color=data["color"], parent_id=data["parent_id"],
        definition=data["definition"], include=data["include"], exclude=data["exclude"], memo=data["memo"],
        **_rule_fields(data), unit=data["unit"],
        speakers=_optional_strings(data["speakers"]), child_ids=tuple(data["child_ids"]),
        translations={language: Rules(**_rule_fields(rules)) for language, rules in data["translations"].items()},
        line=data["line"],
    )  # fmt: skip


def _rule_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The fields a Code shares with Rules: one language's rules and examples."""
    term_rule = data["term_rule"]
    return {
        "term_rule": TermRule(term_rule["rule_id"], tuple(term_rule["terms"])) if term_rule else None,
        "pattern_rules": tuple(PatternRule(rule["rule_id"], rule["pattern"]) for rule in data["pattern_rules"]),
        "boolean_rules": tuple(
            BooleanRule(rule["rule_id"], tuple(tuple(group) for group in rule["all_groups"]), tuple(rule["any_terms"]),
                        tuple(rule["none_terms"]))
            for rule in data["boolean_rules"]
        ),  # fmt: skip
        "near_rules": tuple(
            NearRule(rule["rule_id"], tuple(rule["terms"]), tuple(rule["near_terms"]), rule["within"]) for rule in data["near_rules"]
        ),
        "exclude_terms": tuple(data["exclude_terms"]),
        "examples_match": tuple(data["examples_match"]),
        "examples_no_match": tuple(data["examples_no_match"]),
    }


def _optional_strings(value: list[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)
