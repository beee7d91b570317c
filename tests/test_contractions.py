"""Short forms: "didn't" matches `not`, "it's" matches `be`, possessive "'s" does not, and ’ reads as '."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import run_cli
from ipl_coder.codebook.examples import example_transcript
from ipl_coder.codebook.lint import lint_codebook
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.coding.coders import TranscriptCoder
from ipl_coder.coding.pipeline import build_pipeline

CODEBOOK = """
    name: short forms
    language: en
    codes:
      - id: negation
        terms: [not]
      - id: being
        terms: [be]
      - id: having
        terms: [have]
      - id: would
        terms: [would]
      - id: will
        terms: [will]
      - id: not-listened-to
        terms: [not listened to, not taken seriously]
      - id: didnt
        terms: ["didn't"]
      - id: didnt-as-written
        terms: ['"didn''t"']
      - id: i-would
        terms: ['"I''d"']
      - id: its-hard
        terms: ["it's hard"]
      - id: nurses
        terms: ["nurse's"]
"""
APOSTROPHES = pytest.mark.parametrize("apostrophe", ["'", "’"], ids=["straight", "curly"])


@pytest.fixture(scope="module")
def coder(tmp_path_factory: pytest.TempPathFactory) -> TranscriptCoder:
    path = tmp_path_factory.mktemp("codebook") / "short.yaml"
    path.write_text(textwrap.dedent(CODEBOOK), encoding="utf-8")
    codebook = load_codebook(path)
    nlp, _ = build_pipeline(codebook)
    return TranscriptCoder(nlp, codebook)


@pytest.fixture(scope="module")
def codes_of(coder: TranscriptCoder) -> Callable[[str], set[str]]:
    return lambda sentence: {segment.code_id for segment in coder.code(example_transcript(sentence))}


@APOSTROPHES
@pytest.mark.parametrize(
    ("text", "lemmas"),
    [
        ("didn't", ["do", "not"]), ("Isn't", ["be", "not"]), ("can't", ["can", "not"]), ("won't", ["will", "not"]),
        ("ain't", ["be", "not"]), ("shan't", ["shall", "not"]), ("I'm", ["i", "be"]), ("they're", ["they", "be"]),
        ("we've", ["we", "have"]), ("you'll", ["you", "will"]), ("it's", ["it", "be"]), ("There's", ["there", "be"]),
        ("what's", ["what", "be"]), ("John's", ["john", "'s"]), ("the team's", ["the", "team", "'s"]),
        ("I'd say", ["i", "would", "say"]), ("I'd never been", ["i", "would", "never", "be"]),
        ("I'd been", ["i", "have", "be"]), ("she'd asked", ["she", "have", "ask"]), ("you'd better", ["you", "have", "good"]),
        ("I'd", ["i", "would"]),
    ],
)  # fmt: skip
def test_each_short_form_has_its_lemma_with_either_apostrophe(coder: TranscriptCoder, text: str, lemmas: list[str],
                                                               apostrophe: str) -> None:  # fmt: skip
    doc = coder.nlp(text.replace("'", apostrophe))
    assert [token.lemma_ for token in doc] == lemmas


@APOSTROPHES
@pytest.mark.parametrize(
    ("sentence", "wanted", "unwanted"),
    [
        ("I didn't know.", {"negation", "didnt", "didnt-as-written"}, set()),
        ("I did not know.", {"negation", "didnt"}, {"didnt-as-written"}),
        ("She doesn't, they can't, we won't.", {"negation", "didnt", "will"}, {"didnt-as-written"}),
        ("It's hard, I'm tired and they're gone.", {"being", "its-hard"}, set()),
        ("It is hard.", {"being", "its-hard"}, set()),
        ("John's car and the nurse's notes.", {"nurses"}, {"being"}),
        ("I wasn't listened to.", {"negation", "being", "not-listened-to"}, set()),
        ("We weren't taken seriously.", {"negation", "being", "not-listened-to"}, set()),
        ("I'd say so.", {"would", "i-would"}, {"having"}),
        ("I'd been ill for years.", {"having", "being", "i-would"}, {"would"}),
        ("We've tried.", {"having"}, set()),
        ("You'll see.", {"will"}, set()),
    ],
)  # fmt: skip
def test_terms_match_short_forms(codes_of: Callable[[str], set[str]], sentence: str, wanted: set[str],
                                 unwanted: set[str], apostrophe: str) -> None:  # fmt: skip
    codes = codes_of(sentence.replace("'", apostrophe))
    assert wanted <= codes and not unwanted & codes


def test_the_issues_example_passes_codebook_test(write_file: Callable[..., Path]) -> None:
    codebook = write_file("negation.yaml", """
        name: negation
        codes:
          - id: negation
            definition: Saying no.
            terms: [not]
            examples:
              match: [I did not know., I didn't know., I didn’t know.]
              no_match: [I know.]
    """)  # fmt: skip
    exit_code, stdout, stderr = run_cli("codebook", "test", codebook)
    assert exit_code == 0, stdout + stderr
    assert "4 of 4 examples pass" in stdout


def test_lint_knows_short_forms(write_file: Callable[..., Path]) -> None:
    """Reading "nt" in "dont" as "not", or "'s" after "it" as "be", is the documented rule, not a misreading."""
    codebook = write_file("short.yaml", """
        name: short
        codes:
          - id: short
            definition: Short forms.
            terms: [dont, "didn't", "don’t", "can't", "ain't", "I'm", "it's", "it’s hard", "I'd", "John's", "gonna", "let's"]
            examples: {match: [I don't know.]}
          - id: meeting
            definition: Still warned about.
            terms: [meeting]
            examples: {match: [A meeting.]}
    """)  # fmt: skip
    warnings = [warning for warning in lint_codebook(codebook).warnings if warning.check == "lemma"]
    assert [warning.code_id for warning in warnings] == ["meeting"]


def test_norwegian_short_forms_match_as_written_with_either_apostrophe(code_text: Callable[..., object]) -> None:
    """spaCy keeps "e'kke" as one word, so a term lists it; written once, it finds both apostrophes."""
    codebook = """
        name: nb
        language: nb
        codes:
          - id: ikke
            terms: [ikke, "e'kke"]
    """
    _, segments = code_text(codebook, "D: Det e'kke lett.\nD: Det e’kke lett.\nD: Det er ikke lett.\n")  # type: ignore[misc]
    assert sorted(segment.matched for segment in segments) == [("e'kke",), ("e’kke",), ("ikke",)]
