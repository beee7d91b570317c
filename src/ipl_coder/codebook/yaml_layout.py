"""Keep a YAML file's layout and comments through structural edits with ruamel.yaml.

ruamel.yaml attaches a full-line comment to the node *before* it. So the
comment introducing the next code sits inside the previous code's last value,
and would follow that code when it is moved or removed, or end up above an
item appended after it. These helpers hand such "following lines" on to
whatever follows in the edited file, and keep a code's own leading comment with it.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

_SEQ_VALUE, _PRE, _MAP_VALUE = 0, 1, 2  # positions in ruamel's comment lists


def detect_indentation(text: str) -> tuple[int, int, int]:
    """The file's mapping indent, sequence indent and dash offset, as ruamel.yaml's ``indent()`` takes them."""
    mapping, dash_offset = None, None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for opener, line in pairwise(lines):
        stripped = opener.strip()
        if not stripped.endswith(":") or stripped.startswith(("'", '"')):
            continue
        key_column = len(opener) - len(opener.lstrip())
        if stripped.startswith("- "):
            key_column += len(stripped) - len(stripped[1:].lstrip())
        column = len(line) - len(line.lstrip())
        if line.lstrip().startswith("- ") and dash_offset is None and column >= key_column:
            dash_offset = column - key_column
        elif not line.lstrip().startswith("- ") and mapping is None and column > key_column:
            mapping = column - key_column
    offset = 2 if dash_offset is None else dash_offset
    return mapping or 2, offset + 2, offset


def _is_block(value: Any) -> bool:
    return isinstance(value, (CommentedMap, CommentedSeq)) and len(value) > 0 and not value.fa.flow_style()


def _tail_slot(node: Any) -> tuple[Any, Any, int] | None:
    """The comment slot after the last thing ``node`` prints: (container, key or index, position)."""
    if isinstance(node, CommentedMap) and node:
        key = list(node)[-1]
        position = _MAP_VALUE
    elif isinstance(node, CommentedSeq) and node:
        key = len(node) - 1
        position = _SEQ_VALUE
    else:
        return None
    slot = node.ca.items.get(key)
    if slot and slot[position] is not None or not _is_block(node[key]):
        return node, key, position
    return _tail_slot(node[key])


def take_following_lines(node: Any) -> str:
    """Detach the full-line comments printed after ``node`` (its end-of-line comment stays)."""
    found = _tail_slot(node)
    if found is None:
        return ""
    container, key, position = found
    slot = container.ca.items.get(key)
    token = slot[position] if slot else None
    if not isinstance(token, CommentToken):
        return ""
    own_line, _, following = token.value.partition("\n")
    if own_line.strip():
        token.value = own_line + "\n"
    else:
        slot[position] = None
    return following


def give_following_lines(node: Any, lines: str) -> None:
    """Print ``lines`` (full-line comments) right after ``node``."""
    found = _tail_slot(node) if lines else None
    if found is None:
        return
    container, key, position = found
    slot = container.ca.items.setdefault(key, [None, None, None, None])
    token = slot[position]
    if isinstance(token, CommentToken):
        token.value = token.value if token.value.endswith("\n") else token.value + "\n"
        token.value += lines
    else:
        slot[position] = CommentToken("\n" + lines, CommentMark(0))


def take_leading_comment(siblings: CommentedSeq, index: int) -> list[CommentToken] | None:
    slot = siblings.ca.items.get(index)
    if not slot or not slot[_PRE]:
        return None
    leading, slot[_PRE] = slot[_PRE], None
    return leading


def give_leading_comment(siblings: CommentedSeq, index: int, leading: list[CommentToken] | None) -> None:
    if leading:
        siblings.ca.items.setdefault(index, [None, None, None, None])[_PRE] = leading


def append_keeping_comments(siblings: CommentedSeq, value: Any, leading: list[CommentToken] | None = None) -> None:
    """Append ``value``; comments that followed the old last item now follow the new one."""
    following = take_following_lines(siblings)
    siblings.append(value)
    give_leading_comment(siblings, len(siblings) - 1, leading)
    give_following_lines(siblings, following)


def remove_keeping_comments(siblings: CommentedSeq, index: int, *, keep_leading: bool = False) -> tuple[Any, list[CommentToken] | None, str]:
    """Take out ``siblings[index]`` with its own leading comment; the comments after it stay where they were.

    Returns the item, its leading comment, and the following lines there was no
    sibling left to hold (the caller puts them after the list's owner).
    """
    following = take_following_lines(siblings[index])
    leading = take_leading_comment(siblings, index)
    if keep_leading and leading:
        # ruamel may have made a comment about the previous item this one's leading comment: keep it in the file.
        following = "".join(" " * token.column + token.value for token in leading) + following
        leading = None
    removed = siblings[index]
    del siblings[index]
    if following and index > 0:
        give_following_lines(siblings[index - 1], following)
    elif following and siblings:
        tokens = [CommentToken(following, CommentMark(_dash_column(siblings)))]
        give_leading_comment(siblings, 0, tokens + (take_leading_comment(siblings, 0) or []))
    else:
        return removed, leading, following
    return removed, leading, ""


def _dash_column(siblings: CommentedSeq) -> int:
    return max(getattr(siblings.lc, "col", 0) or 0, 0)
