from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ipl_coder.codebook.examples import check_examples
from ipl_coder.codebook.model import Codebook
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.coding.coders import LanguageCoders
from ipl_coder.errors import CodebookError

SIX_CODES = ("role", "expertise", "perspective", "boundary", "broker", "socialization")


def problems_of(path: Path) -> list[str]:
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    return [f"{problem.line}:{problem.column}: {problem.message}" for problem in caught.value.problems]


def test_ipl_codebook_has_the_six_codes_with_examples(ipl_codebook: Codebook) -> None:
    top_level = [code.code_id for code in ipl_codebook.codes if code.parent_id is None]
    assert tuple(top_level) == SIX_CODES
    for code_id in SIX_CODES:
        code = ipl_codebook.code(code_id)
        assert code.definition and code.include and code.exclude
        assert len(code.examples_match) >= 3 and len(code.examples_no_match) >= 2, code_id


def test_ipl_codebook_examples_all_pass(ipl_codebook: Codebook) -> None:
    results = check_examples(ipl_codebook, LanguageCoders(ipl_codebook))
    assert [result for result in results if not result.passed] == []
    assert {result.language for result in results} == {"en", "nb"}  # the Norwegian terms have examples too


def test_a_broken_example_is_reported(write_file: Callable[..., Path]) -> None:
    codebook = load_codebook(write_file("cb.yaml", """
        codes:
          - id: broker
            terms: [bridge]
            examples:
              match: [She is a bridge., The weather was nice.]
              no_match: [He built a bridge.]
    """))
    results = check_examples(codebook, LanguageCoders(codebook))
    assert [(r.example, r.passed) for r in results] == [
        ("She is a bridge.", True), ("The weather was nice.", False), ("He built a bridge.", False),
    ]  # fmt: skip
    assert results[1].why == "no rule fired (tried broker:terms)"
    assert results[2].rules == ("broker:terms",)
    assert results[2].why == "broker:terms matched 'bridge'"


def test_five_mistakes_give_five_located_errors(write_file: Callable[..., Path]) -> None:
    path = write_file("broken.yaml", """
        name: broken
        codes:
          - id: role
            lable: Role
            terms: [peer]
          - id: role
            terms: [staff]
          - id: unit
            unit: page
          - id: colours
            color: "#12345"
            terms: [paint]
          - id: pattern
            patterns:
              - [{LOWR: peer}]
    """)
    assert problems_of(path) == [
        "4:5: unknown key 'lable' in code 'role'; did you mean 'label'?",
        "6:9: duplicate code id 'role' (first used on line 3)",
        "9:11: unit 'page' of code 'unit' is not one of: sentence, paragraph, turn, exchange",
        "11:12: colour '#12345' of code 'colours' is not #RRGGBB (e.g. \"#4E79A7\")",
        "15:9: malformed pattern in pattern rule 1 of code 'pattern': token 1: 'LOWR' is not a token attribute "
        "spaCy knows (such as LOWER, LEMMA, POS, OP)",
    ]


def test_a_code_without_rules_is_valid_for_people_to_apply(write_file: Callable[..., Path]) -> None:
    # Imported codebooks (NVivo, ATLAS.ti) have no rules at all; lint warns instead.
    codebook = load_codebook(write_file("people.yaml", """
        codes:
          - id: hunch
            definition: applied by reviewers only
    """))
    assert not codebook.code("hunch").has_rules


def test_examples_may_be_given_per_language(write_file: Callable[..., Path]) -> None:
    codebook = load_codebook(write_file("two.yaml", """
        language: en
        codes:
          - id: bridge
            terms: {en: [bridge], nb: [bro]}
            examples:
              match: {en: [She is a bridge.], nb: [Hun er en bro.]}
              no_match: [The weather was nice.]
    """))
    code = codebook.code("bridge")
    assert code.examples_match == ("She is a bridge.",)
    assert code.examples_no_match == ("The weather was nice.",)
    assert code.in_language("nb").examples_match == ("Hun er en bro.",)
    assert code.in_language("nb").term_rule.terms == ("bro",)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "1:1: the codebook is empty: it needs at least a 'codes:' list"),
        ("codes: [\n  - id: x\n", "2:3: YAML syntax: expected the node content, but found '-'"),
        ("codes:\n  - id: a\n    terms: ['  ']\n", "3:13: empty term in 'terms' of code 'a'"),
        ("codes:\n  - id: a\n    color: #123456\n    terms: [x]\n",
         "3:5: colour of code 'a' is empty: in YAML '#' starts a comment, so quote it: color: \"#4E79A7\""),
        ("codes:\n  - id: a\n    terms: [x]\n    unit: page\n", "4:11: unit 'page' of code 'a' is not one of: sentence, paragraph, turn, exchange"),
        ("codes:\n  - id: a\n    near:\n      - {terms: [x], with: [y], within: 0}\n",
         "4:41: 'within' of near rule 1 of code 'a' must be a whole number of tokens from 1 to 100"),
        ("codes:\n  - id: a\n    boolean:\n      - {none: [x]}\n",
         "4:9: boolean rule 1 of code 'a' needs 'all' or 'any' terms ('none' alone matches everything)"),
        ("codes:\n  - id: a b\n    terms: [x]\n", "2:9: code id 'a b' may only hold letters, digits, '_', '-' and '.'"),
        ("codes:\n  - id: a\n    terms: [x]\n  - id: a\n    terms: [x]\n", "4:9: duplicate code id 'a' (first used on line 2)"),
        ("codes:\n  - id: a\n    terms: [x]\n    a: b\n    a: c\n", "5:5: YAML syntax: found duplicate key \"a\" with value \"c\" (original value: \"b\")"),
    ],
)  # fmt: skip
def test_each_problem_is_located(write_file: Callable[..., Path], text: str, expected: str) -> None:
    assert problems_of(write_file("cb.yaml", text.encode())) == [expected]


def test_missing_and_non_utf8_codebooks(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    assert problems_of(tmp_path / "nope.yaml") == ["1:1: codebook file not found: check the path"]
    assert problems_of(write_file("latin.yaml", "codes:\n  - id: grense\n    terms: [gr\xe6nse]\n".encode("latin-1"))) == [
        "3:15: not UTF-8 text (byte 0xe6): save the codebook as UTF-8"
    ]


def test_sub_codes_inherit_unit_and_speakers(write_file: Callable[..., Path]) -> None:
    codebook = load_codebook(write_file("cb.yaml", """
        codes:
          - id: parent
            unit: turn
            speakers: [everyone]
            codes:
              - id: child
                terms: [x]
    """))
    child = codebook.code("child")
    assert child.parent_id == "parent" and codebook.code("parent").child_ids == ("child",)
    assert codebook.effective_unit(child, "sentence") == "turn"
    assert codebook.effective_speakers(child) == ("everyone",)
    assert [code.code_id for code in codebook.descendants("parent")] == ["child"]
