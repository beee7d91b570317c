"""Where a codebook's YAML goes wrong, said as a researcher can act on it: the line and column, and what to do.

ruamel.yaml reports where its parser noticed a problem, which for an unclosed
bracket or quote is the end of the file; these helpers point at where the
bracket or quote opens instead, and find what a YAML parser accepts but no file
can store (half a UTF-16 pair) or no codebook needs (nesting hundreds deep).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

Where = tuple[int, int]  # 0-based line and column, as ruamel gives them


# What a YAML parser says it was inside of when the file ended or went wrong, and what closes it.
_OPENERS = {
    "while parsing a flow sequence": "]", "while parsing a flow mapping": "}", "while scanning a quoted scalar": "",
}  # fmt: skip


def yaml_problem(error: YAMLError, text: str) -> tuple[Where, str]:
    """Where a YAML error is, and what it is: an unclosed bracket or quote is reported where it opens."""
    if isinstance(error, ReaderError):
        before = text[: error.position]
        where = (before.count("\n"), error.position - (before.rfind("\n") + 1))
        character = error.character if isinstance(error.character, int) else ord(str(error.character)[:1] or "?")
        return where, f"a control character (U+{character:04X}) YAML does not allow; delete it (it often comes from copying out of a PDF)"
    if not isinstance(error, MarkedYAMLError):
        return (0, 0), f"YAML syntax: {error}"
    problem, context, mark, opened = error.problem, error.context, error.problem_mark, error.context_mark
    closer = _OPENERS.get(str(context))
    if closer is not None and opened is not None:
        found = "the file ends first" if mark is None or mark.index >= len(text.rstrip()) else \
            f"{problem} on line {mark.line + 1}, column {mark.column + 1}"  # fmt: skip
        opener = text[opened.index] if opened.index < len(text) else "["
        what = f"this '{opener}' is never closed with '{closer}'" if closer else f"this quote ({opener}) is never closed"
        return (opened.line, opened.column), f"YAML syntax: {what}: {found}"
    where = mark or opened
    said = f"{context} {problem}" if context and problem and problem.startswith("but ") else problem or context
    return ((where.line, where.column) if where else (0, 0)), f"YAML syntax: {said}"


def not_characters(node: Any, where: Where = (0, 0)) -> Iterator[tuple[Where, str]]:
    """Text holding a lone surrogate, which only a '\\ud800' escape can write: no file or database can store it."""
    if isinstance(node, str):
        try:
            node.encode("utf-8")
        except UnicodeEncodeError as error:
            yield where, f"'\\u{ord(node[error.start]):04x}' is not a character (half of a UTF-16 pair); write the character itself"
    elif isinstance(node, CommentedMap):
        for key, value in node.items():
            yield from not_characters(key, position(node, key))
            yield from not_characters(value, position(node, key, value=True))
    elif isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            yield from not_characters(item, position(node, index))


def deepest_line(text: str) -> int:
    """The 1-based line where brackets and indentation nest deepest: where to look for runaway nesting."""
    depth, deepest, deepest_line = 0, -1, 1
    for number, line in enumerate(text.splitlines(), start=1):
        peak = depth  # brackets opened and closed on one line ("[[[ ]]]") nest there too
        for character in line:
            if character in "[{":
                depth += 1
                peak = max(peak, depth)
            elif character in "]}":
                depth = max(depth - 1, 0)
        nesting = peak + (len(line) - len(line.lstrip(" -")))
        if nesting > deepest:
            deepest, deepest_line = nesting, number
    return deepest_line


def position(container: Any, key: Any, *, value: bool = False) -> Where:
    """Where ``container[key]`` sits in the file (the value's place if ``value``)."""
    try:
        if isinstance(container, CommentedMap):
            return tuple(container.lc.value(key) if value else container.lc.key(key))
        if isinstance(container, CommentedSeq):
            return tuple(container.lc.item(key))
    except (KeyError, IndexError, TypeError):
        pass
    return (container.lc.line, container.lc.col) if hasattr(container, "lc") else (0, 0)
