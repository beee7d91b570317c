"""Lookup lemmatizers make mistakes (one turns "broker" into "broke"): check every ipl.yaml term."""

from __future__ import annotations

import pytest

from ipl_coder.codebook.examples import example_transcript
from ipl_coder.codebook.model import Codebook
from ipl_coder.coding.coders import TranscriptCoder
from ipl_coder.coding.pipeline import is_exact, unquote

# Inflected single-word terms whose lemma is wanted, each checked by hand.
REVIEWED_LEMMAS = {"qualified": "qualify", "licensed": "license", "brokering": "broker", "firsthand": "firsthand", "overmedicated": "overmedicate"}


def term_rules(codebook: Codebook) -> list[tuple[str, str]]:
    return [(code.code_id, term) for code in codebook.codes if code.term_rule for term in code.term_rule.terms]


def test_single_word_terms_are_their_own_lemma(ipl_codebook: Codebook, ipl_coder: TranscriptCoder) -> None:
    lemmatize = ipl_coder.nlp.get_pipe("ipl_lemmatizer")
    changed = {}
    for _, term in term_rules(ipl_codebook):
        if is_exact(term) or " " in term or "-" in term:
            continue
        lemma = lemmatize(ipl_coder.nlp.make_doc(term))[0].lemma_
        if lemma != term.lower():
            changed[term] = lemma
    assert changed == {term: lemma for term, lemma in REVIEWED_LEMMAS.items() if term in changed}
    assert set(changed) <= set(REVIEWED_LEMMAS)


def test_every_term_finds_its_own_code(ipl_codebook: Codebook, ipl_coder: TranscriptCoder) -> None:
    missed = []
    for code_id, term in term_rules(ipl_codebook):
        sentence = f"Well, {unquote(term)} is what I mean."
        codes = {segment.code_id for segment in ipl_coder.code(example_transcript(sentence))}
        if code_id not in codes:
            missed.append((code_id, term))
    assert missed == []


@pytest.mark.parametrize(
    ("sentence", "code_id"),
    [
        ("The car broke down on the motorway.", "broker"),
        ("I was broke for years.", "broker"),
        ("My cousin is a stock broker.", "broker"),
        ("I took the train to Bergen.", "expertise-professional"),
        ("We met in the café.", "boundary-divide"),
        ("I heard voices at night.", "broker"),
        ("I hope so.", "perspective-recovery"),
    ],
)
def test_false_friends_do_not_hit(ipl_coder: TranscriptCoder, sentence: str, code_id: str) -> None:
    assert code_id not in {segment.code_id for segment in ipl_coder.code(example_transcript(sentence))}


@pytest.mark.parametrize("word", ["broker", "Brokers", "brokering", "BROKERED"])
def test_broker_forms_hit_broker(ipl_coder: TranscriptCoder, word: str) -> None:
    assert "broker" in {segment.code_id for segment in ipl_coder.code(example_transcript(f"She is {word} it."))}
