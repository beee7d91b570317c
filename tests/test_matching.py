"""The fast paths of coding: one matcher key per term, patterns run only where their words are, arrays not Tokens."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path

import pytest
import spacy
from spacy.tokens import Doc

from conftest import IPL_CODEBOOK, ROOT, run_cli
from ipl_coder.coding.doc_arrays import TokenOffsets, sentence_bounds, sentence_starts
from ipl_coder.coding.matching import _required, _required_words
from ipl_coder.transcripts.detect import detect_language, detector_process

PATTERN_BOOK = """
name: Patterns
codes:
  - id: broker
    patterns:
      - id: tell-team
        pattern:
          - {LEMMA: {IN: [tell, explain]}}
          - {IS_PUNCT: false, OP: "{,3}"}
          - {LOWER: {IN: [team, staff]}}
      - id: maybe-the-ward
        pattern:
          - {LOWER: the, OP: "?"}
          - {LOWER: ward}
      - id: shouting
        pattern:
          - {TEXT: {REGEX: "^[A-Z]{4,}$"}}
"""


def test_a_token_pattern_is_skipped_only_where_a_word_it_needs_is_missing(code_text: Callable[..., tuple]) -> None:
    text = "I: So?\nP1: I told the whole team. Then the ward. Only ward. NOTHING changed. We explained nothing.\n"
    transcript, segments = code_text(PATTERN_BOOK, text)
    found = {(segment.rules[0], segment.matched) for segment in segments}
    assert found == {
        ("broker:tell-team", ("told the whole team",)),
        ("broker:maybe-the-ward", ("the ward", "ward")),  # the optional "the", with and without
        ("broker:maybe-the-ward", ("ward",)),
        ("broker:shouting", ("NOTHING",)),
    }


def test_which_pattern_tokens_must_occur() -> None:
    assert [_required(operator) for operator in ("1", "+", "?", "*", "!", "{2}", "{1,3}", "{2,}", "{,4}", "{0,2}")] == [
        True, True, False, False, False, True, True, True, False, False,
    ]  # fmt: skip
    hashes: dict[str, int] = {}

    def add(value: str) -> int:
        return hashes.setdefault(value, len(hashes))

    pattern = [{"LEMMA": {"IN": ["tell", "explain"]}}, {"IS_PUNCT": False, "OP": "{,4}"}, {"lower": "team"},
               {"TEXT": {"REGEX": "x"}}, {"ORTH": "Now", "OP": "+"}]  # fmt: skip
    assert list(_required_words(pattern, add)) == [
        ("LEMMA", frozenset({hashes["tell"], hashes["explain"]})), ("LOWER", frozenset({hashes["team"]})), ("ORTH", frozenset({hashes["Now"]})),
    ]  # fmt: skip


def test_sentences_and_offsets_from_arrays_are_spacys() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    for text in ("Hello there.  I didn't go home! Why? (laughs) Fine", "", "One", "  Lead space. Trail space.  "):
        doc = nlp(text)
        offsets = TokenOffsets(doc)
        assert sentence_starts(doc) == [sentence.start for sentence in doc.sents]
        assert sentence_bounds(doc, offsets) == [(s.start, s.start_char, s.end_char) for s in doc.sents]
        assert [offsets.span(token.i, token.i + 1) for token in doc] == [(token.idx, token.idx + len(token)) for token in doc]
    parsed = Doc(nlp.vocab, words=["I", "go", ".", "You", "stay", "."], heads=[1, 1, 1, 4, 4, 4],
                 deps=["nsubj", "ROOT", "punct", "nsubj", "ROOT", "punct"])  # fmt: skip
    assert sentence_starts(parsed) == [0, 3]


def test_the_language_detector_process_answers_as_this_process_does() -> None:
    english = "I was the bridge between the team and the patients, and nobody told me what that meant. " * 4
    norwegian = "Jeg var broen mellom teamet og pasientene, og ingen fortalte meg hva det betydde for meg. " * 4
    here = [detect_language(english), detect_language(norwegian)]
    with detector_process():
        there = [detect_language(english), detect_language(norwegian)]
    assert [found.code if found else None for found in here] == ["en", "nb"]
    assert there == here
    assert not [child for child in multiprocessing.active_children() if child.name == "ipl-coder-language"]


def test_code_detects_languages_in_its_own_process_and_leaves_none_behind(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    folder = tmp_path / "in"
    write_file("in/no.txt", "I: Hvordan var det?\nP1: " + "Jeg var broen mellom teamet og pasientene, og ingen fortalte meg hva det betydde for meg. " * 4)
    write_file("in/en.txt", "I: How was it?\nP1: " + "I was the bridge between the team and the patients, and nobody told me what that meant. " * 4)
    exit_code, stdout, stderr = run_cli("code", folder, "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "--json")
    assert exit_code == 0, stderr
    import json

    languages = {item["name"]: item["language"] for item in json.loads(stdout)["coded"]}
    assert languages == {"no": "nb", "en": "en"}
    assert not [child for child in multiprocessing.active_children() if child.name == "ipl-coder-language"]


def test_workers_reading_in_parallel_each_get_their_own_transcripts_language(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    """Both workers ask the one detector process at once: each answer must reach the worker that asked."""
    english = "I was the bridge between the team and the patients, and nobody told me what that meant. " * 4
    norwegian = "Jeg var broen mellom teamet og pasientene, og ingen fortalte meg hva det betydde for meg. " * 4
    for number in range(16):
        write_file(f"in/t{number:02}.txt", f"I: Hvordan?\nP{number}: " + (norwegian if number % 2 else english))
    exit_code, stdout, stderr = run_cli("code", tmp_path / "in", "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "--json", "--jobs", "2")
    assert exit_code == 0, stderr
    import json

    languages = {item["name"]: item["language"] for item in json.loads(stdout)["coded"]}
    assert languages == {f"t{number:02}": "nb" if number % 2 else "en" for number in range(16)}
    assert not [child for child in multiprocessing.active_children() if child.name == "ipl-coder-language"]


@pytest.mark.parametrize("unit", ["sentence", "paragraph"])
def test_a_term_shared_by_many_rules_reaches_each(code_text: Callable[..., tuple], unit: str) -> None:
    book = """
    name: Shared
    codes:
      - id: a
        terms: [team]
      - id: b
        near:
          - {id: near-team, terms: [team], with: [nurse], within: 3}
      - id: c
        boolean:
          - {id: team-and-us, all: [[team], [us]]}
        exclude_terms: [team meeting]
    """
    text = "I: So?\nP1: The team and the nurse helped us.\nP1: Our team meeting helped us.\n"
    _, segments = code_text(book, text, unit=unit)
    found = sorted((segment.code_id, segment.rules, segment.matched) for segment in segments)
    assert found == [
        ("a", ("a:terms",), ("team",)),
        ("a", ("a:terms",), ("team",)),
        ("b", ("b:near-team",), ("team", "nurse")),
        ("c", ("c:team-and-us",), ("team", "us")),
    ]


def test_the_default_pipelines_cache_entry_reads_back_the_same_tokens_into_a_new_vocabulary() -> None:
    from spacy.attrs import LEMMA, NORM, ORTH, SENT_START, SPACY
    from spacy.tokens import DocBin

    from ipl_coder.codebook.schema import load_codebook
    from ipl_coder.coding.docbin import DefaultDocBin
    from ipl_coder.coding.pipeline import build_pipeline

    codebook = load_codebook(IPL_CODEBOOK)
    writer, _ = build_pipeline(codebook)
    texts = ["I didn't know what a peer worker does.  (laughs) Now I do!", "Jeg visste ikke hva en erfaringskonsulent gjør.", ""]
    docs = list(writer.pipe(texts))
    entry = DefaultDocBin()
    for doc in docs:
        entry.add(doc)
    reader, _ = build_pipeline(codebook)  # a vocabulary of its own, as in the next run's process
    assert "erfaringskonsulent" not in reader.vocab.strings
    back = list(DocBin().from_bytes(entry.to_bytes()).get_docs(reader.vocab))
    attrs = [ORTH, NORM, LEMMA, SENT_START, SPACY]
    assert [doc.text for doc in back] == texts
    assert [[(t.text, t.norm_, t.lemma_, t.is_sent_start) for t in doc] for doc in back] == [
        [(t.text, t.norm_, t.lemma_, t.is_sent_start) for t in doc] for doc in docs]
    assert all((old.to_array(attrs) == new.to_array(attrs)).all() for old, new in zip(docs, back, strict=True))


def test_the_array_sentencizer_splits_every_turn_as_spacys_own() -> None:
    from ipl_coder.coding.pipeline import SENTENCIZER, _register_components
    from ipl_coder.transcripts.reader import find_transcripts, read_transcript

    _register_components()
    ours, theirs = spacy.blank("en"), spacy.blank("en")
    ours.add_pipe(SENTENCIZER)
    theirs.add_pipe("sentencizer")
    texts = ["", ".", "Hi", "Well... (laughs) \"No!\" he said.  Then?! ‘Quoted.’ Yes. 3.5 kg.", "Ja. «Nei.» Kanskje?"]
    folders = [ROOT / "sample_transcripts", ROOT / "benchmarks" / "gold" / "tuning"]
    for transcript_file in find_transcripts(folders):
        transcript = read_transcript(transcript_file)
        texts += [transcript.turn_text(turn) for turn in transcript.turns]
    for ours_doc, theirs_doc in zip(ours.pipe(texts), theirs.pipe(texts), strict=True):
        assert [token.is_sent_start for token in ours_doc] == [token.is_sent_start for token in theirs_doc], ours_doc.text


def test_pattern_windows_find_what_the_whole_turn_gives() -> None:
    from ipl_coder.codebook.schema import load_codebook
    from ipl_coder.coding.matching import RULES, _longest
    from ipl_coder.coding.pipeline import build_pipeline
    from ipl_coder.transcripts.reader import find_transcripts, read_transcript

    assert [_longest(p) for p in ([{}], [{"OP": "?"}, {"OP": "{,4}"}], [{"OP": "{2}"}, {"OP": "{1,3}"}], [{"OP": "+"}], [{"OP": "{2,}"}])] == [
        1, 5, 5, None, None]  # fmt: skip
    codebook = load_codebook(IPL_CODEBOOK)
    for language in codebook.languages:
        nlp, _ = build_pipeline(codebook.in_language(language))
        rules = nlp.get_pipe(RULES)
        texts = ["I told the whole team and then explained it to staff. Tell them. Told team.",
                 "Jeg fortalte det til teamet. Vil at legen skal høre det. Vi forklarte det for legen."]
        for transcript_file in find_transcripts([ROOT / "sample_transcripts", ROOT / "benchmarks" / "gold" / "tuning"]):
            transcript = read_transcript(transcript_file)
            texts += [transcript.turn_text(turn) for turn in transcript.turns]
        found = 0
        for doc in nlp.pipe(texts):
            whole = {hit for pattern in rules.patterns for hit in pattern.matcher(doc)}
            assert set(rules._pattern_hits(doc)) == whole, doc.text
            found += len(whole)
        assert found > 0


def test_a_run_that_stops_before_detecting_leaves_no_process_and_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    with detector_process():
        pass  # a codebook error, say, before the first transcript is read
    assert not [child for child in multiprocessing.active_children() if child.name == "ipl-coder-language"]
    assert "Traceback" not in capfd.readouterr().err


def test_a_broken_codebook_is_one_line_even_with_the_detector_started(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    import subprocess
    import sys

    book = write_file("broken.yaml", "name: x\ncodes:\n  - id: a\n    terms: [b\n")
    result = subprocess.run([sys.executable, "-m", "ipl_coder", "code", str(ROOT / "sample_transcripts"), "-c", str(book),
                             "-p", str(tmp_path / "p")], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"{book}:4:12: YAML syntax: this '[' is never closed with ']': the file ends first",
        f"Error: 1 problem in codebook {book}; fix it and run again",
    ]
    assert not (tmp_path / "p").exists()
