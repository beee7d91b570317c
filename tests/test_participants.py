"""Participants files (CSV as Excel writes it, XLSX) and per-language codebook rules."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ipl_coder.codebook.schema import load_codebook
from ipl_coder.errors import CodebookError, InputError
from ipl_coder.transcripts.languages import language_code
from ipl_coder.transcripts.participants import (
    load_participants,
    matches,
    register_mismatches,
    resolve_people,
)


def test_excel_style_csv_with_semicolons_and_windows_1252(write_file: Callable[..., Path]) -> None:
    path = write_file("p.csv", "ID;Role;Country;Site\nNO-1;sykepleier;Norge;Tromsø\nCA-2;nurse;Canada;\n".encode("cp1252"))
    table = load_participants(path)
    assert table.attribute_names == ("Role", "Country", "Site")
    assert [(e.transcript, e.speaker, e.participant, dict(e.attributes), e.line) for e in table.entries] == [
        ("NO-1", "", None, {"Role": "sykepleier", "Country": "Norge", "Site": "Tromsø"}, 2),
        ("CA-2", "", None, {"Role": "nurse", "Country": "Canada"}, 3),
    ]


def test_a_transcript_column_with_ids_for_people(write_file: Callable[..., Path]) -> None:
    path = write_file("p.csv", "transcript,speaker,id,role\nfg/FG-1.docx,Anna,p1,nurse\n")
    entry = load_participants(path).entries[0]
    assert (entry.transcript, entry.speaker, entry.participant) == ("fg/FG-1.docx", "Anna", "p1")
    assert matches(entry.transcript, "fg/FG-1") and matches("FG-1", "site-a/FG-1") and not matches("FG-10", "FG-1")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the participants file is empty"),
        ("name,role\nx,nurse\n", "line 1 needs a 'transcript' or 'id' column naming each transcript"),
        ("id,role\nA,nurse\n,manager\n", "line 3 has no id; fill it in or delete the row"),
        ("id,role\nA,nurse\nA,manager\n", "line 3 repeats 'A' from line 2"),
    ],
)
def test_bad_participants_files_name_the_line(write_file: Callable[..., Path], content: str, message: str) -> None:
    path = write_file("p.csv", content)
    with pytest.raises(InputError) as caught:
        load_participants(path)
    assert str(caught.value) == f"{path}: {message}"


def test_missing_and_odd_participants_files(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    with pytest.raises(InputError, match="participants file not found"):
        load_participants(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="must be .csv or .xlsx"):
        load_participants(write_file("p.json", "{}"))
    with pytest.raises(InputError, match="cannot open this spreadsheet"):
        load_participants(write_file("p.xlsx", b"not a zip"))


def test_mismatches_both_ways(write_file: Callable[..., Path]) -> None:
    table = load_participants(write_file("p.csv", "id,role\nA,nurse\nZ,nurse\n"))
    assert register_mismatches(table, ["A", "B"]) == [
        f"{table.source}: line 3 names 'Z', which is not a transcript in the project",
        f"{table.source} has no row for B: their attributes are empty",
    ]


def test_people_merge_front_matter_file_and_speaker_rows(write_file: Callable[..., Path]) -> None:
    table = load_participants(write_file("p.csv", "transcript,speaker,participant,role,site\nT,,,manager,Bodø\nT,Kari,k1,nurse,\n"))
    attributes, people = resolve_people("T", ["Kari", "Ola"], {"country": "Norway", "role": "?"}, {}, table.entries)
    assert attributes == {"country": "Norway", "role": "manager", "site": "Bodø"}
    assert people["Kari"].participant_id == "k1" and people["Kari"].attributes["role"] == "nurse"
    assert people["Ola"].participant_id == "T" and people["Ola"].attributes == attributes


@pytest.mark.parametrize(
    ("written", "code"),
    [("Norwegian", "nb"), ("norsk", "nb"), ("no", "nb"), ("nb-NO", "nb"), ("EN", "en"), ("en_CA", "en"),
     ("Swedish", "sv"), ("sv", "sv"), ("not a language", None)],
)  # fmt: skip
def test_language_names_as_researchers_write_them(written: str, code: str | None) -> None:
    assert language_code(written) == code


def test_rules_per_language(write_file: Callable[..., Path]) -> None:
    codebook = load_codebook(write_file("cb.yaml", """
        language: en
        codes:
          - id: boundary
            terms: {en: [boundary], nb: [grense], sv: [gräns]}
            exclude_terms: {nb: [grensesnitt]}
            near:
              nb:
                - {terms: [vi], with: [dem], within: 3}
          - id: broker
            terms: [broker]
    """))
    assert codebook.languages == ("en", "nb", "sv")
    boundary = codebook.code("boundary")
    assert boundary.term_rule is not None and boundary.term_rule.terms == ("boundary",) and not boundary.near_rules
    norwegian = codebook.in_language("nb")
    assert norwegian.language == "nb"
    nb_boundary = norwegian.code("boundary")
    assert nb_boundary.term_rule is not None and nb_boundary.term_rule.rule_id == "boundary:terms@nb"
    assert nb_boundary.exclude_terms == ("grensesnitt",) and nb_boundary.near_rules[0].rule_id == "boundary:near-1@nb"
    assert not norwegian.code("broker").has_rules  # plain lists are in the codebook's own language


def test_a_bad_language_key_is_located(write_file: Callable[..., Path]) -> None:
    path = write_file("cb.yaml", "codes:\n  - id: a\n    terms:\n      en: [x]\n      Klingon tongue: [y]\n")
    with pytest.raises(CodebookError) as caught:
        load_codebook(path)
    assert str(caught.value).splitlines()[0] == (
        f"{path}:5:7: 'Klingon tongue' in 'terms' of code 'a' is not a language code such as en or nb"
    )


@pytest.mark.parametrize(
    ("language", "text", "term", "matched"),
    [
        ("nb", "Grensene mellom oss var tydelige.", "grense", "Grensene"),
        ("nb", "Vi ble holdt utenfor møtene.", "holde utenfor", "holdt utenfor"),
        ("sv", "Sjuksköterskan var tydlig.", "sjuksköterska", "Sjuksköterskan"),
    ],
)
def test_norwegian_and_swedish_are_lemmatised_offline(
    code_text: Callable[..., tuple], language: str, text: str, term: str, matched: str
) -> None:
    _, segments = code_text(f"language: {language}\ncodes:\n  - id: c\n    terms: [{term}]\n", f"I: ?\nP1: {text}\n")
    assert [segment.matched for segment in segments] == [(matched,)]
