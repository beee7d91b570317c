"""codebook/yaml_read.py: libyaml's reading is ruamel's round-trip reading, every key and item at the same place."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from conftest import ROOT
from ipl_coder.codebook import yaml_read
from ipl_coder.codebook.schema import parse_codebook_text
from ipl_coder.errors import CodebookError

pytestmark = pytest.mark.skipif(yaml_read._CLoader is None, reason="ruamel.yaml.clib is not installed here")


def _pure(text: str) -> Any:
    return YAML(typ="rt").load(text)


def _fast(text: str) -> Any:
    assert yaml_read._CLoader is not None
    return yaml_read._CLoader(text).get_single_data()


def _place(mapping: CommentedMap, key: Any) -> Any:
    try:
        # An empty value (null) is placed after its key by libyaml, at the next token by the pure parser: the key tells.
        return mapping.lc.key(key), None if mapping[key] is None else mapping.lc.value(key)
    except KeyError:
        return None  # a key merged in (<<) has no place of its own, in either reading


def _same(pure: Any, fast: Any, where: str = "") -> None:
    assert type(pure) is type(fast), where
    if isinstance(pure, CommentedMap | CommentedSeq):
        assert (pure.lc.line, pure.lc.col) == (fast.lc.line, fast.lc.col), where
    if isinstance(pure, CommentedMap):
        assert list(pure) == list(fast), where
        for key in pure:
            assert _place(pure, key) == _place(fast, key), f"{where}/{key}"
            _same(pure[key], fast[key], f"{where}/{key}")
    elif isinstance(pure, CommentedSeq):
        assert len(pure) == len(fast), where
        for index, (one, other) in enumerate(zip(pure, fast, strict=True)):
            assert pure.lc.item(index) == fast.lc.item(index), f"{where}[{index}]"
            _same(one, other, f"{where}[{index}]")
    else:
        assert pure == fast, where


AWKWARD = {
    "crlf": "name: x\r\ncodes:\r\n  - id: a\r\n    terms: [b, c]\r\n",
    "letters": "name: Ærlig 😀 kodebok\ncodes:\n  - id: å\n    terms: [\"brø 😀\", 'ø''s']\n    label: æ\n",
    "block scalars": "codes:\n  - id: a\n    definition: |\n      line one\n       indented\n    note: >-\n      folded\n      text\n",
    "flow": "codes: [{id: a, terms: [x, 'y z', \"w\\t\"]}, {id: b, near: {terms: [p, q], within: 5}}]\n",
    "anchors and merge": "base: &b {unit: sentence}\ncodes:\n  - <<: *b\n    id: a\n    terms: &t [x]\n  - id: b\n    terms: *t\n",
    "types": "a: 1\nb: 1.5\nc: true\nd: null\ne: 2026-11-30\nf: '007'\ng: 0o17\nh: ~\ni: yes\n",
    "comments": "# top\nname: x # after\ncodes:\n  # before\n  - id: a   # id\n    terms: [b]\n",
    "empty": "",
    "tabs in quotes": "a: \"x\\ty\"\nb: 'p\tq'\n",
}


@pytest.mark.parametrize("text", AWKWARD.values(), ids=AWKWARD.keys())
def test_awkward_yaml_reads_the_same(text: str) -> None:
    _same(_pure(text), _fast(text))
    _same(_pure(text), yaml_read.load_yaml(text))


def test_the_shipped_codebook_reads_the_same() -> None:
    text = (ROOT / "codebooks" / "ipl.yaml").read_text(encoding="utf-8")
    _same(_pure(text), _fast(text))


_scalars = st.one_of(st.text(max_size=12), st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
_trees = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)),
                      max_leaves=20)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(_trees, st.booleans())
def test_any_yaml_ruamel_writes_reads_the_same(tree: Any, flow: bool) -> None:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = flow
    buffer = io.StringIO()
    yaml.dump({"root": tree}, buffer)
    _same_or_same_error(buffer.getvalue())  # ruamel writes some keys (":0") it cannot read back: then both fail


@pytest.mark.parametrize("text", [
    "a: [b\n", "a: b\n a: c\n", "a: 1\na: 2\n", "- a\nb: c\n", "a: 'x\n", "\ta: b\n", "a: \"\\ud800\"\n",
])  # fmt: skip
def test_broken_yaml_fails_as_the_pure_parser_fails(text: str) -> None:
    _same_or_same_error(text)


def _same_or_same_error(text: str) -> None:
    try:
        expected: Any = _pure(text)
    except YAMLError as error:
        with pytest.raises(type(error)) as raised:
            yaml_read.load_yaml(text)
        assert str(raised.value) == str(error)
    else:
        _same(expected, yaml_read.load_yaml(text))


def test_runaway_nesting_is_told_not_crashed(tmp_path: Path) -> None:
    text = "name: x\ncodes: " + "[" * 100_000 + "]" * 100_000 + "\n"  # libyaml's recursion would crash on this
    with pytest.raises(CodebookError, match="nested hundreds of levels deep") as raised:
        parse_codebook_text(text, tmp_path / "deep.yaml")
    assert str(raised.value).startswith(f"{tmp_path / 'deep.yaml'}:2:1: ")  # the line of the brackets, not the first
