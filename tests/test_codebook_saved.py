"""A checked codebook saved as JSON in the project reads back as the very same codebook, and only for the same text."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import IPL_CODEBOOK, ROOT, run_cli
from ipl_coder.codebook.model import Code, Codebook, Rules
from ipl_coder.codebook.saved import from_json, read_saved, save, saved_path, to_json
from ipl_coder.codebook.schema import load_codebook

EVERY_FIELD = """
name: Every field
version: "2"
language: en
description: A codebook with one of everything.
defaults: {unit: paragraph, speakers: [participants]}
codes:
  - id: role
    label: Role
    color: "#112233"
    definition: What people do.
    include: Tasks.
    exclude: Titles.
    memo: From Wenger.
    unit: sentence
    speakers: [everyone]
    terms: [role, '"been there"']
    exclude_terms: [role play]
    examples: {match: [My role was clear.], no_match: [We did a role play.]}
    codes:
      - id: role-peer
        boolean:
          - {id: peer-us, all: [[peer, nurse], [us]], any: [team], none: [not]}
        near:
          - {id: near-team, terms: [bridge], with: [team], within: 3}
        patterns:
          - id: told
            pattern: [{LEMMA: {IN: [tell, explain]}}, {OP: "?"}, {LOWER: team}]
      - id: broker
        terms: {en: [go-between], nb: [mellomledd]}
        near:
          en:
            - {id: near-bridge, terms: [bridge], with: [team], within: 3}
          nb:
            - {id: naer, terms: [bro], with: [teamet], within: 2}
        examples: {match: {en: [I was the go-between.], nb: [Jeg var mellomleddet.]}}
"""


@pytest.mark.parametrize("source", ["ipl.yaml", "every field"])
def test_every_field_comes_back(source: str, write_file: Callable[..., Path]) -> None:
    codebook = load_codebook(IPL_CODEBOOK if source == "ipl.yaml" else write_file("every.yaml", EVERY_FIELD))
    assert from_json(to_json(codebook)) == codebook
    assert len(codebook.languages) == 2


def test_the_codec_knows_every_field_of_the_model() -> None:
    # A new field in the model must be read back too: this fails until saved.py learns it.
    assert {field.name for field in dataclasses.fields(Codebook)} == {
        "path", "name", "version", "language", "description", "codes", "yaml_text", "default_unit", "default_speakers"}
    assert {field.name for field in dataclasses.fields(Code)} - {field.name for field in dataclasses.fields(Rules)} == {
        "code_id", "label", "color", "parent_id", "definition", "include", "exclude", "memo", "unit", "speakers",
        "child_ids", "translations", "line"}  # fmt: skip
    assert {field.name for field in dataclasses.fields(Rules)} == {
        "term_rule", "pattern_rules", "boolean_rules", "near_rules", "exclude_terms", "examples_match", "examples_no_match"}


def test_a_saved_codebook_is_read_only_for_the_same_text(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    book = write_file("book.yaml", "name: B\ncodes:\n  - id: a\n    terms: [team]\n")
    folder = tmp_path / "saved"
    codebook = load_codebook(book)
    save(folder, codebook)
    assert saved_path(folder, codebook.yaml_text).exists()
    moved = write_file("elsewhere/book.yaml", book.read_text(encoding="utf-8"))
    assert load_codebook(moved, folder) == dataclasses.replace(codebook, path=moved)
    edited = write_file("book.yaml", "name: B\ncodes:\n  - id: a\n    terms: [team, staff]\n")
    assert load_codebook(edited, folder).code("a").term_rule.terms == ("team", "staff")  # type: ignore[union-attr]
    saved_path(folder, codebook.yaml_text).write_text("{not json", encoding="utf-8")
    assert read_saved(folder, codebook.yaml_text, book) is None


def test_a_saved_codebook_edited_since_is_not_trusted(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    """Its rules changed, its copy of the YAML not: it would code with rules the codebook does not have."""
    book = write_file("book.yaml", "name: B\ncodes:\n  - id: a\n    terms: [team]\n")
    folder = tmp_path / "saved"
    save(folder, load_codebook(book))
    saved = saved_path(folder, book.read_text(encoding="utf-8"))
    text = saved.read_text(encoding="utf-8")
    assert '"terms": ["team"]' in text
    saved.write_text(text.replace('"terms": ["team"]', '"terms": ["staff"]'), encoding="utf-8")
    assert read_saved(folder, book.read_text(encoding="utf-8"), book) is None
    assert load_codebook(book, folder).code("a").term_rule.terms == ("team",)  # type: ignore[union-attr]


def test_a_codebook_that_names_none_is_named_by_its_file_also_when_read_back(write_file: Callable[..., Path],
                                                                              tmp_path: Path) -> None:  # fmt: skip
    text = "codes:\n  - id: a\n    terms: [team]\n"
    folder = tmp_path / "saved"
    save(folder, load_codebook(write_file("alpha.yaml", text)))
    assert load_codebook(write_file("beta.yaml", text), folder).name == "beta"
    assert load_codebook(write_file("other/alpha.yaml", text), folder).name == "alpha"


def test_code_keeps_the_codebook_it_checked_and_reads_it_back(tmp_path: Path) -> None:
    project = tmp_path / "p"
    assert run_cli("code", ROOT / "sample_transcripts", "-c", IPL_CODEBOOK, "-p", project, "-q")[0] == 0
    saved = list((project / "cache" / "codebooks").glob("*.json"))
    assert len(saved) == 1
    assert read_saved(saved[0].parent, IPL_CODEBOOK.read_text(encoding="utf-8"), IPL_CODEBOOK) == load_codebook(IPL_CODEBOOK)
    segments = (project / "segments.csv").read_bytes()
    assert run_cli("code", ROOT / "sample_transcripts", "-c", IPL_CODEBOOK, "-p", project, "-q")[0] == 0
    assert (project / "segments.csv").read_bytes() == segments


def test_another_codebooks_saved_copy_in_its_place_is_not_trusted(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    """Whole and this program's, but of other rules: the codebook would code with rules its file does not have."""
    book = write_file("book.yaml", "name: B\ncodes:\n  - id: a\n    terms: [team]\n")
    other = write_file("other.yaml", "name: B\ncodes:\n  - id: a\n    terms: [staff]\n")
    folder = tmp_path / "saved"
    save(folder, load_codebook(book))
    save(folder, load_codebook(other))
    text = book.read_text(encoding="utf-8")
    saved_path(folder, text).write_bytes(saved_path(folder, other.read_text(encoding="utf-8")).read_bytes())
    assert read_saved(folder, text, book) is None
    assert load_codebook(book, folder).code("a").term_rule.terms == ("team",)  # type: ignore[union-attr]
