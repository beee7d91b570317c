"""YAML front matter: attributes written at the top of a transcript itself.

    ---
    role: peer support worker
    country: Norway
    language: nb
    interviewer: KB            # a label (or list) that marks the interviewer here
    speakers:                  # focus groups: attributes per speaker label
      P1: {participant: NO-FG-P1, role: nurse}
    ---

The block is taken off the text, so offsets count from the first line after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
MAX_NESTING = 200  # levels of brackets; front matter and codebooks need a handful
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


@dataclass(frozen=True)
class FrontMatter:
    attributes: Mapping[str, str] = field(default_factory=dict)
    speaker_attributes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    interviewer_labels: tuple[str, ...] = ()


class FrontMatterError(ValueError):
    """The front matter is not a YAML mapping of simple values; the message says where."""


def split_front_matter(text: str) -> tuple[FrontMatter, str]:
    """The front matter of normalised ``text``, and the text after it."""
    match = FRONT_MATTER.match(text)
    if not match:
        return FrontMatter(), text
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        yaml_text = match.group("yaml") or ""
        if bracket_depth(yaml_text) > MAX_NESTING:
            raise RecursionError  # the pure parser slows with the square of the depth: seconds to fail on it
        # pure: libyaml (ruamel.yaml.clib, when installed) would crash the process on runaway nesting, not raise.
        data = YAML(typ="safe", pure=True).load(yaml_text) or {}
    except YAMLError as error:
        # The context mark points at what was left open (a "[" say); the problem mark often at the end.
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        where = f" on line {mark.line + 2}" if mark else ""
        raise FrontMatterError(f"the YAML front matter{where} is not valid YAML: {getattr(error, 'problem', error)}") from None
    except RecursionError:
        raise FrontMatterError("the YAML front matter nests lists or mappings hundreds of levels deep; it needs 'name: value' lines") from None
    if not isinstance(data, dict):
        raise FrontMatterError("the front matter between the '---' lines must be 'name: value' lines")
    for written in _strings(data):
        try:
            written.encode("utf-8")
        except UnicodeEncodeError as error:  # only a '\ud800' escape writes one
            character = f"\\u{ord(written[error.start]):04x}"
            raise FrontMatterError(f"the YAML front matter holds '{character}', which is not a character (half of a UTF-16 pair); "
                                   "write the character itself") from None
    speakers = data.pop("speakers", None) or {}
    interviewer = data.pop("interviewer", None) or ()
    if not isinstance(speakers, dict) or not all(isinstance(value, dict) for value in speakers.values()):
        raise FrontMatterError("'speakers' in the front matter must map each speaker label to its attributes")
    front_matter = FrontMatter(
        attributes=_scalars(data, "the front matter"),
        speaker_attributes={str(label): _scalars(values, f"speaker {label}") for label, values in speakers.items()},
        interviewer_labels=tuple(str(label) for label in (interviewer if isinstance(interviewer, list) else [interviewer])),
    )
    return front_matter, text[match.end() :]


def bracket_depth(text: str) -> int:
    """How deep ``[`` and ``{`` nest in YAML text; quoted ones count too, as nobody quotes a hundred in a row."""
    depth = deepest = 0
    for bracket in _NOT_BRACKETS.sub("", text):
        depth = depth + 1 if bracket in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def _strings(value: object) -> Iterator[str]:
    """Every text in the front matter, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _scalars(values: Mapping[object, object], where: str) -> dict[str, str]:
    attributes = {}
    for key, value in values.items():
        if isinstance(value, (dict, list)):
            raise FrontMatterError(f"'{key}' in {where} must be a single value, not a list or mapping")
        attributes[str(key)] = "" if value is None else str(value)
    return attributes
