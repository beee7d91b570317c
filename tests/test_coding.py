from __future__ import annotations

from collections.abc import Callable

from ipl_coder.coding.coders import Segment
from ipl_coder.store import segment_id_for
from ipl_coder.transcripts import Transcript

CodeText = Callable[..., tuple[Transcript, list[Segment]]]

BROKER = """
codes:
  - id: broker
    terms: [broker, bridge]
    exclude_terms: [stock broker, broke down]
"""


def found(segments: list[Segment]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(segment.code_id, segment.text, segment.matched) for segment in segments]


def test_terms_match_lemmas_and_surface_forms_case_insensitively(code_text: CodeText) -> None:
    _, segments = code_text(BROKER, """
        Interviewer: Tell me.
        P1: Brokers everywhere. She was brokering a deal. He is a broker. The engine broke. We are bridging worlds.
    """)
    assert found(segments) == [
        ("broker", "Brokers everywhere.", ("Brokers",)),
        ("broker", "She was brokering a deal.", ("brokering",)),
        ("broker", "He is a broker.", ("broker",)),
        ("broker", "We are bridging worlds.", ("bridging",)),
    ]


def test_exclude_terms_veto_hits_in_their_sentence_only(code_text: CodeText) -> None:
    _, segments = code_text(BROKER, "P1: My uncle is a stock broker. The car broke down by a bridge. I am a broker here.\n")
    assert found(segments) == [("broker", "I am a broker here.", ("broker",))]


def test_quoted_terms_match_only_as_written(code_text: CodeText) -> None:
    codebook = 'codes:\n  - id: lived\n    terms: [\'"been there"\']\n'
    _, segments = code_text(codebook, "P1: Is there a way? I have been there. Was there any hope? BEEN THERE too.\n")
    assert found(segments) == [("lived", "I have been there.", ("been there",)), ("lived", "BEEN THERE too.", ("BEEN THERE",))]


def test_token_patterns(code_text: CodeText) -> None:
    codebook = """
    codes:
      - id: tells
        patterns:
          - id: tells-team
            pattern: [{LEMMA: tell}, {OP: "{,3}"}, {LOWER: team}]
    """
    _, segments = code_text(codebook, "P1: I told the whole team. The team told me off.\n")
    assert [(s.text, s.rules, s.matched) for s in segments] == [
        ("I told the whole team.", ("tells:tells-team",), ("told the whole team",))
    ]


def test_boolean_rules_need_all_one_of_any_and_none_of_none(code_text: CodeText) -> None:
    codebook = """
    codes:
      - id: barrier
        boolean:
          - all: [discipline]
            any: [difficult, barrier]
            none: [industry]
    """
    _, segments = code_text(codebook, (
        "P1: It is difficult across each discipline. Every discipline is different. "
        "A barrier in the industry for each discipline. A barrier, a discipline, difficult too.\n"
    ))  # fmt: skip
    assert found(segments) == [
        ("barrier", "It is difficult across each discipline.", ("difficult", "discipline")),
        ("barrier", "A barrier, a discipline, difficult too.", ("barrier", "discipline", "difficult")),
    ]


def test_boolean_rules_are_evaluated_inside_the_unit(code_text: CodeText) -> None:
    codebook = "codes:\n  - id: both\n    unit: turn\n    boolean:\n      - all: [nurse, peer]\n"
    _, segments = code_text(codebook, "P1: The nurse came. Then the peer.\nI: Hm.\nP1: Only the nurse.\n")
    assert found(segments) == [("both", "The nurse came. Then the peer.", ("nurse", "peer"))]


def test_near_rules_count_the_tokens_between_within_a_sentence(code_text: CodeText) -> None:
    codebook = """
    codes:
      - id: voice
        near:
          - terms: [voice]
            with: [patient, user]
            within: 2
    """
    _, segments = code_text(codebook, (
        "P1: A voice for the patient. A voice, you know, for every single user. Patients need a voice.\n"
    ))  # fmt: skip
    assert found(segments) == [
        ("voice", "A voice for the patient.", ("voice", "patient")),
        ("voice", "Patients need a voice.", ("Patients", "voice")),
    ]


def test_hits_of_one_code_in_one_unit_merge_into_one_segment(code_text: CodeText) -> None:
    codebook = """
    codes:
      - id: broker
        terms: [bridge]
        patterns: [[{LOWER: go}, {LOWER: "-"}, {LOWER: between}]]
    """
    _, segments = code_text(codebook, "P1: A bridge, a go-between, a bridge again.\n")
    assert len(segments) == 1
    assert segments[0].matched == ("bridge", "go-between")
    assert segments[0].rules == ("broker:pattern-1", "broker:terms")


TEAM = "codes:\n  - id: team\n    terms: [team]\n"
EXCHANGE = """
Interviewer: How was the team?
P1: Good. Very good.
P2: The team was kind.
Interviewer: And later?
P1: Later the team changed.
"""


def test_units_sentence_turn_and_exchange(code_text: CodeText) -> None:
    _, by_sentence = code_text(TEAM, EXCHANGE, unit="sentence")
    _, by_turn = code_text(TEAM, "P1: Intro here. The team was kind.\nMore words.\n", unit="turn")
    _, by_exchange = code_text(TEAM, EXCHANGE, unit="exchange")
    assert [s.text for s in by_sentence] == ["The team was kind.", "Later the team changed."]
    assert [s.text for s in by_turn] == ["Intro here. The team was kind.\nMore words."]
    assert [(s.text, s.speaker, s.turn_number) for s in by_exchange] == [
        ("How was the team?\nP1: Good. Very good.\nP2: The team was kind.", "P2", 3),
        ("And later?\nP1: Later the team changed.", "P1", 5),
    ]


def test_a_code_s_own_unit_beats_the_run_unit(code_text: CodeText) -> None:
    codebook = "codes:\n  - id: team\n    terms: [team]\n  - id: kind\n    unit: turn\n    terms: [kind]\n"
    _, segments = code_text(codebook, "P1: Hello there. The team was kind.\n", unit="sentence")
    assert [(s.code_id, s.unit, s.text) for s in segments] == [
        ("kind", "turn", "Hello there. The team was kind."),
        ("team", "sentence", "The team was kind."),
    ]


def test_interviewer_turns_are_not_coded_unless_a_code_asks(code_text: CodeText) -> None:
    codebook = """
    codes:
      - id: team
        terms: [team]
      - id: question
        speakers: [interviewer]
        terms: [team]
      - id: hansen
        speakers: [Dr. Hansen]
        terms: [team]
    """
    _, segments = code_text(codebook, "Interviewer: And the team?\nDr. Hansen: The team.\nP1: Team!\nQ: So?\n")
    assert [(s.code_id, s.speaker) for s in segments] == [
        ("question", "Interviewer"), ("hansen", "Dr. Hansen"), ("team", "Dr. Hansen"), ("team", "P1"),
    ]  # fmt: skip


def test_offsets_are_code_points_in_text_with_aeoeaa_and_emoji(code_text: CodeText) -> None:
    codebook = "language: en\ncodes:\n  - id: grense\n    terms: [boundary]\n"
    transcript, segments = code_text(codebook, "Intervjuer 😊: Hei\nÅse: Blåbær 😊😊 first. Then a boundary 🙂 in Tromsø.\n")
    (segment,) = segments
    assert segment.text == "Then a boundary 🙂 in Tromsø."
    assert segment.start_char == transcript.text.index("Then")  # code points, not UTF-8 or UTF-16 units
    assert segment.end_char == len(transcript.text) - 1


def test_segment_ids_are_stable_and_depend_on_content_code_and_place(code_text: CodeText) -> None:
    first_transcript, first = code_text(TEAM, "P1: The team.\n")
    second_transcript, second = code_text(TEAM, "P1: The team.\n")
    assert [s.segment_id for s in first] == [s.segment_id for s in second]
    assert first[0].segment_id == segment_id_for(first_transcript.content_hash, "team", 4, 13)
    assert segment_id_for(first_transcript.content_hash, "team", 4, 12) != first[0].segment_id
