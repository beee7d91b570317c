"""Learning from the team's decisions: ``ipl-coder learn`` and ``ipl-coder code --learned``, on a tiny real project."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import run_cli
from ipl_coder.files import with_checksum, without_checksum
from ipl_coder.learning.learn import learn
from ipl_coder.store import NewDecision, Passage, ProjectStore, SegmentRow
from ipl_coder.store.migrations import MIGRATIONS, migrate

CODEBOOK = """
name: Tiny
version: "1"
language: en
codes:
  - id: hope
    label: Hope
    color: "#1f77b4"
    definition: Looking forward to a better future.
    terms: [hope]
  - id: fear
    label: Fear
    color: "#ff7f0e"
    definition: Being afraid.
    terms: [afraid]
"""
# What people gave 'hope' in the reviewed interview: none of it says 'hope', so no rule finds it.
LOOKING_FORWARD = [
    "I look forward to better days ahead.",
    "Things will get better in the future, I am sure.",
    "I can see a brighter future for my kids.",
    "Better days are coming, I look forward to them.",
    "The future looks brighter every week.",
    "I am looking forward to a better life.",
]
EVERYDAY = [
    "We had soup for lunch on Tuesday.", "The bus was late again.", "My brother lives in Calgary.",
    "It rained most of the morning.", "The office is on the second floor.", "We painted the kitchen blue.",
    "The dog sleeps by the door.", "I bought new shoes last month.", "The meeting ran long.", "Parking costs too much there.",
]  # fmt: skip
REVIEWED = "\n".join(f"Interviewer: Tell me more.\n\nP1: {a} {b}\n" for a, b in zip(LOOKING_FORWARD, EVERYDAY, strict=False))
REVIEWED += "\n".join(f"Interviewer: And then?\n\nP1: {line} I hope so.\n" for line in EVERYDAY[6:])
NEW = """Interviewer: How are things?

P1: The kitchen is blue now. I look forward to a better future for us. I hope it stays dry.
"""


LATER = "Interviewer: How are things?\n\nP1: The kitchen is blue now. I look forward to a better future for us.\n"


@pytest.fixture
def tiny_project(write_file: Callable[..., Path], tmp_path: Path) -> tuple[Path, Path, Path]:
    """Two interviews coded with the rules; ana reviewed the first: she coded 'hope' on every look forward, rejected the rest."""
    codebook = write_file("tiny.yaml", CODEBOOK)
    folder = tmp_path / "interviews"
    write_file("interviews/reviewed.txt", REVIEWED)
    write_file("interviews/new.txt", NEW)
    project = tmp_path / "project"
    exit_code, _, stderr = run_cli("code", folder, "-c", codebook, "-p", project, "-q", "--jobs", "1")
    assert exit_code == 0, stderr
    with ProjectStore.open(project) as store:
        text = store.transcript("reviewed").text  # type: ignore[union-attr]
        decisions = [NewDecision("ana", "reject", segment.segment_id) for segment in store.segments(transcript="reviewed")]
        for sentence in LOOKING_FORWARD:
            start = text.index(sentence)
            decisions.append(NewDecision("ana", "add", new_code_id="hope", passage=Passage("reviewed", start, start + len(sentence))))
        store.record_decisions(decisions)
    return project, codebook, folder


def _model_segments(project: Path) -> list[SegmentRow]:
    with ProjectStore.open(project) as store:
        return [segment for segment in store.segments(None) if segment.origin == "model"]


def test_learns_from_decisions_and_suggests_what_no_rule_finds(tiny_project: tuple[Path, Path, Path]) -> None:
    project, codebook, folder = tiny_project
    exit_code, stdout, stderr = run_cli("learn", "-p", project)
    assert exit_code == 0, stderr
    assert "fear: not learned, people gave it 0 sentences, fewer than 5; left to the rules" in " ".join(stderr.split())
    with ProjectStore.open(project) as store:
        model = store.learned_model()
    assert model is not None and model.trained_codes == ("hope",) and model.transcripts == 1
    hope = next(code for code in model.codes if code.code_id == "hope")
    assert hope.positives == len(LOOKING_FORWARD) and hope.negatives > len(EVERYDAY) and model.last_decision_id
    assert (project / "learned" / "pipeline").is_dir()

    exit_code, stdout, stderr = run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1")
    assert exit_code == 0, stderr
    assert "from the learned model" in stdout
    suggested = [s for s in _model_segments(project) if s.transcript == "new"]
    assert [s.text for s in suggested] == ["I look forward to a better future for us."]
    segment = suggested[0]
    assert segment.code_id == "hope" and segment.status == "pending" and segment.rules == ()
    assert segment.score is not None and segment.score >= 0.7 and segment.reason is not None
    assert {"forward", "future"} & set(segment.matched) and segment.matched == tuple(word for word, _ in segment.reason.words)
    assert segment.reason.similar and segment.reason.similar[0].text in LOOKING_FORWARD
    # The rules' suggestion on "I hope it stays dry." stands beside it, from the rules.
    with ProjectStore.open(project) as store:
        rules = [s for s in store.segments(transcript="new") if s.origin == "machine"]
    assert [(s.code_id, s.text) for s in rules] == [("hope", "I hope it stays dry.")]
    rows = list(csv.DictReader((project / "segments.csv").open(encoding="utf-8-sig")))
    row = next(row for row in rows if row["segment_id"] == segment.segment_id)
    assert row["origin"] == "model" and row["score"] == str(segment.score) and "; like \"" in row["why"]
    record = next(json.loads(line) for line in (project / "segments.jsonl").open() if segment.segment_id in line)
    assert record["origin"] == "model" and record["score"] == segment.score and record["why"] == row["why"]


def test_a_model_suggestion_survives_a_rerun_with_its_decision(tiny_project: tuple[Path, Path, Path]) -> None:
    project, codebook, folder = tiny_project
    learn(project)
    again = ("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")
    assert run_cli(*again)[0] == 0
    first = {s.segment_id: s for s in _model_segments(project)}
    assert run_cli(*again)[0] == 0
    assert {s.segment_id: s.text for s in _model_segments(project)} == {key: s.text for key, s in first.items()}
    accepted = next(s for s in first.values() if s.transcript == "new")
    with ProjectStore.open(project) as store:
        store.record_decision(accepted.segment_id, "ola", "accept")
    assert run_cli(*again)[0] == 0
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--jobs", "1", "-q")[0] == 0  # without the model
    with ProjectStore.open(project) as store:
        kept = store.segment(accepted.segment_id)
        assert kept is not None and kept.origin == "model" and kept.status == "accepted" and not kept.suggested
        assert [d.decision for d in store.decisions(accepted.segment_id)] == ["accept"]
        assert kept.reason == accepted.reason and kept.score == accepted.score
        pending = [s for s in store.segments(None) if s.origin == "model" and s.status == "pending"]
    assert pending == []  # a run without --learned keeps only the decided ones, as for a rule no longer firing


def test_with_a_model_that_cuts_other_sentences_a_cached_run_suggests_what_a_fresh_one_does(
        tiny_project: tuple[Path, Path, Path], tmp_path: Path) -> None:  # fmt: skip
    """The learned model cuts its own sentences when the cache spares the rules' Docs: it must always, not only then."""
    import shutil

    import spacy

    project, codebook, folder = tiny_project
    learn(project)
    (folder / "new.txt").write_text("Interviewer: How are things?\n\nP1: The kitchen is blue now. "
                                    "I look forward to a better future for us. It stays dry.\n", encoding="utf-8")  # fmt: skip
    pipeline = tmp_path / "question_marks_only"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer", config={"punct_chars": ["?"]})  # sentences unlike the learned model's
    nlp.to_disk(pipeline)
    fresh = Path(shutil.copytree(project, tmp_path / "fresh"))
    options = ("-c", codebook, "--learned", "--model", pipeline, "--jobs", "1", "-q")
    assert run_cli("code", folder, "-p", fresh, "--no-cache", *options)[0] == 0
    expected = sorted((s.transcript, s.start_char, s.end_char) for s in _model_segments(fresh) if s.suggested)
    assert expected
    for _ in range(2):  # coded afresh, then every code's segments from the cache
        assert run_cli("code", folder, "-p", project, *options)[0] == 0
        assert sorted((s.transcript, s.start_char, s.end_char) for s in _model_segments(project) if s.suggested) == expected


def test_the_same_decisions_and_seed_give_the_same_model(tiny_project: tuple[Path, Path, Path]) -> None:
    from ipl_coder.learning.model import LearnedModel, model_folder

    project, _, _ = tiny_project
    texts = ["I look forward to a better future for us.", "The bus was late.", "Better days, I hope."]
    learn(project, seed=7)
    first = LearnedModel.load(model_folder(project)).scores(texts)
    learn(project, seed=7)
    second = LearnedModel.load(model_folder(project)).scores(texts)
    assert [scores for scores, _ in first] == [scores for scores, _ in second]
    with ProjectStore.open(project) as store:
        assert store.learned_model() is not None and store.learned_model(1) is not None


def test_a_code_nobody_decided_is_reported_and_without_any_nothing_is_learned(
    write_file: Callable[..., Path], tmp_path: Path
) -> None:  # fmt: skip
    codebook = write_file("tiny.yaml", CODEBOOK)
    write_file("interviews/new.txt", NEW)
    project = tmp_path / "project"
    assert run_cli("code", tmp_path / "interviews", "-c", codebook, "-p", project, "-q", "--jobs", "1")[0] == 0
    exit_code, stdout, stderr = run_cli("learn", "-p", project)
    assert exit_code == 1 and len(stderr.splitlines()) == 1  # not a line per code when nobody has decided anything
    assert f"{project}: nobody has decided on a suggestion yet, so there is nothing to learn from" in " ".join(stderr.split())
    with ProjectStore.open(project) as store:
        store.record_decisions([NewDecision("ana", "reject", next(iter(store.segments())).segment_id)])
    exit_code, stdout, stderr = run_cli("learn", "-p", project, "--json")
    assert exit_code == 1 and stdout == ""  # nothing of what was asked was done: an error, as 'code' with nothing coded
    message = " ".join(stderr.split())
    assert message.startswith(f"Error: {project}: no code has enough decisions to learn from") and len(stderr.splitlines()) == 1
    assert "hope: people gave it 0 sentences, fewer than 5; fear: people gave it 0 sentences" in message
    assert "review more transcripts and run 'ipl-coder learn' again" in message
    assert not (project / "learned").exists()
    with ProjectStore.open(project) as store:
        assert store.learned_model() is None  # nothing recorded
    exit_code, stdout, stderr = run_cli("code", tmp_path / "interviews", "-c", codebook, "-p", project, "--learned")
    assert exit_code == 0 and "has no learned model yet (run 'ipl-coder learn'" in " ".join(stderr.split())
    assert "from the learned model" not in stdout and _model_segments(project) == []
    exit_code, _, stderr = run_cli("learn", "-p", project, "--code", "joy")
    assert exit_code == 1 and "no code 'joy'" in stderr


def test_a_learn_with_nothing_to_learn_leaves_the_earlier_model_in_use(tiny_project: tuple[Path, Path, Path]) -> None:
    project, codebook, folder = tiny_project
    learn(project)
    saved = {path: path.read_bytes() for path in (project / "learned").rglob("*") if path.is_file()}
    exit_code, stdout, stderr = run_cli("learn", "-p", project, "--code", "fear")
    message = " ".join(stderr.split())
    assert exit_code == 1 and "no code has enough decisions to learn from (fear: people gave it 0 sentences, fewer than 5)" in message
    assert "model 1, learned from the decisions up to " in message and "stays in use" in message
    assert {path: path.read_bytes() for path in (project / "learned").rglob("*") if path.is_file()} == saved
    with ProjectStore.open(project) as store:
        model = store.learned_model()
        assert model is not None and model.model_id == 1 and model.trained_codes == ("hope",)
    exit_code, stdout, stderr = run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")
    assert exit_code == 0, stderr
    assert [s.text for s in _model_segments(project) if s.transcript == "new"] == ["I look forward to a better future for us."]


def test_a_store_from_before_learning_is_upgraded_with_every_row_and_decision(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "old.sqlite")
    for version, script in enumerate(MIGRATIONS[:5], start=1):
        connection.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    connection.executescript("""
        INSERT INTO transcripts (transcript_id, name, content_hash, source_path, format, encoding, text, added_at)
            VALUES (1, 't', 'h', 't.txt', 'text', 'utf-8', 'Hope. Fear.', 'then');
        INSERT INTO segments (segment_id, transcript_id, code_id, start_char, end_char, speaker, unit, text, status, created_at,
                              decided_by, decided_at)
            VALUES ('s1', 1, 'hope', 0, 5, 'P1', 'sentence', 'Hope.', 'accepted', 'then', 'ana', 'now');
        INSERT INTO segments (segment_id, transcript_id, code_id, start_char, end_char, speaker, unit, text, origin, status,
                              suggested, coder, created_at)
            VALUES ('h1', 1, 'fear', 6, 11, 'P1', 'passage', 'Fear.', 'human', 'accepted', 0, 'ana', 'then');
        INSERT INTO decisions (segment_id, coder, decision, decided_at) VALUES ('s1', 'ana', 'accept', 'now');
    """)
    connection.execute("PRAGMA foreign_keys = ON")
    assert migrate(connection) == len(MIGRATIONS)
    rows = connection.execute("SELECT segment_id, origin, status, coder, decided_by, score, reason_json FROM segments ORDER BY 1").fetchall()
    assert rows == [("h1", "human", "accepted", "ana", None, None, "{}"), ("s1", "machine", "accepted", None, "ana", None, "{}")]
    assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    connection.execute("INSERT INTO segments (segment_id, transcript_id, code_id, start_char, end_char, speaker, unit, text,"
                       " origin, score, created_at) VALUES ('m1', 1, 'hope', 0, 5, 'P1', 'sentence', 'Hope.', 'model', 0.9, 'now')")
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute("INSERT INTO decisions (segment_id, coder, decision, decided_at) VALUES ('nothing', 'ana', 'accept', 'now')")


def test_review_sheets_report_and_agreement_show_the_model_apart(tiny_project: tuple[Path, Path, Path]) -> None:
    project, codebook, folder = tiny_project
    learn(project)
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")[0] == 0
    model = next(s for s in _model_segments(project) if s.transcript == "new")
    # In the terminal: the model's reason where a rule's would be; ola accepts it, and the rule's suggestion too.
    exit_code, stdout, stderr = run_cli("review", "-p", project, "--coder", "ola", "--transcript", "new", keys="aaq")
    assert exit_code == 0, stderr
    flat = " ".join(stdout.split())
    assert "Why: the learned model, score" in flat and "the words that weighed most: '" in flat
    assert 'Like: "' in flat and "(reviewed)" in flat
    # The sheet: origin, score and why.
    sheet = project / "ola.csv"
    assert run_cli("review", "export", "-p", project, "-o", sheet, "--coder", "ola")[0] == 0
    row = next(row for row in csv.DictReader(sheet.open(encoding="utf-8-sig")) if row["segment_id"] == model.segment_id)
    assert (row["origin"], row["decision"], row["score"]) == ("model", "accept", f"{model.score:.2f}") and row["why"].startswith("model ")
    # Agreement: the model is figured apart from the rules.
    exit_code, stdout, stderr = run_cli("agreement", "-p", project, "--against", "ola", "--json")
    assert exit_code == 0, stderr
    figures = {(row["code"], row["rule"]): row for row in json.loads(stdout)["figures"]}
    assert figures[("hope", "model")]["both"] == 1 and figures[(None, "model")]["both"] == 1
    assert figures[(None, None)]["both"] == 1 and figures[(None, "rules+model")]["both"] == 2  # the rules' own: the rule's hit only
    exit_code, stdout, stderr = run_cli("agreement", "-p", project, "--against", "ola")
    assert exit_code == 0 and "all codes, learned model only" in stdout and "(learned model)" in stdout
    exit_code, stdout, stderr = run_cli("agreement", "-p", project, "--json")
    machine = {(row["code"], row["rule"]): row for row in json.loads(stdout)["machine"]}
    assert machine[("hope", "model")]["accepted"] == 1 and machine[("hope", None)]["reviewed"] == len(EVERYDAY[6:]) + 1
    # The report says where it came from.
    assert run_cli("report", "-p", project, "-o", project / "report.html")[0] == 0
    html = (project / "report.html").read_text(encoding="utf-8")
    assert "from the learned model" in html and "learned model: <em>model " in html


def test_model_suggestions_stay_the_models_through_a_qdpx_round_trip(tiny_project: tuple[Path, Path, Path], tmp_path: Path) -> None:
    from ipl_coder.exchange.refi_qda.qdpx_import import import_qdpx
    from ipl_coder.exchange.refi_qda.qdpx_writer import export_qdpx

    project, codebook, folder = tiny_project
    learn(project)
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")[0] == 0
    model = {s.segment_id: s for s in _model_segments(project)}
    assert model
    export_qdpx(project, tmp_path / "study.qdpx")
    import_qdpx(tmp_path / "study.qdpx", tmp_path / "copy")
    back = {s.segment_id: s for s in _model_segments(tmp_path / "copy")}
    assert set(back) == set(model)  # not rule suggestions whose "rule" is the model: agreement and learn tell them apart
    for segment_id, segment in back.items():
        assert segment.rules == () and segment.matched == model[segment_id].matched
        assert segment.score == pytest.approx(model[segment_id].score, abs=0.005)  # the file keeps two decimals
        assert segment.reason is None and segment.why == "model"  # the file does not carry the reason


def test_context_tokens_name_the_rules_codes_around_a_sentence_in_its_turn() -> None:
    from ipl_coder.learning.context import context_tokens, describe, rule_codes

    parents = {"role-peer": "role", "role": None, "fear": None}

    def chain(code: str) -> list[str]:
        return [code] + ([parents[code]] if parents.get(code) else [])

    bounds = [(0, 10), (11, 20), (21, 30), (31, 40)]  # four sentences: three in turn 1, one in turn 2
    codes = rule_codes(bounds, [("role-peer", 12, 18), ("fear", 31, 35)], chain)
    assert codes == [set(), {"role-peer", "role"}, set(), {"fear"}]
    turns = [1, 1, 1, 2]
    assert context_tokens(codes, turns, 0) == ["sentence", "after:role", "after:role-peer", "turn:role", "turn:role-peer"]
    assert context_tokens(codes, turns, 2) == ["sentence", "before:role", "before:role-peer", "turn:role", "turn:role-peer"]
    # The next turn's code is not the context of the sentence before it.
    assert "after:fear" not in context_tokens(codes, turns, 2) and context_tokens(codes, turns, 3)[1] == "here:fear"
    assert describe("before:role") == "rules: role on the sentence before"


def test_calibration_keeps_the_lowest_score_that_was_precise_enough_and_refuses_a_code_that_never_was() -> None:
    from ipl_coder.learning.training import MIN_RIGHT, choose

    # Held-out scores, best first: six right at the top, then mostly wrong.
    held_out = [(0.9, True), (0.85, True), (0.8, True), (0.75, True), (0.7, True), (0.65, True), (0.6, False),
                (0.5, True), (0.4, False), (0.3, False), (0.2, False), (0.1, False)]  # fmt: skip
    chosen = choose(held_out, precision=0.6)
    # From 0.3: 7 right of 10, counted as 7 of 11 (0.64); from 0.2: 7 of 12 (0.58), too few. Halfway between the two.
    assert (chosen.min_score, chosen.right, chosen.tried) == (0.25, 7, 10)
    assert choose(held_out, precision=0.95).min_score is None
    # Too few right ones, however precise: not suggested, and where it did best is kept to say so.
    refused = choose([(0.9, True)] * (MIN_RIGHT - 1) + [(0.1, False)], precision=0.5)
    assert refused.min_score is None and (refused.right, refused.tried) == (MIN_RIGHT - 1, MIN_RIGHT - 1)


def test_a_code_whose_suggestions_were_never_right_enough_is_learned_but_not_suggested(tiny_project: tuple[Path, Path, Path]) -> None:
    project, codebook, folder = tiny_project
    exit_code, stdout, stderr = run_cli("learn", "-p", project, "--precision", "0.95", "--json")
    assert exit_code == 0, stderr
    result = json.loads(stdout)
    hope = next(code for code in result["codes"] if code["code"] == "hope")
    assert hope["trained"] and not hope["suggested"] and result["precision"] == 0.95
    assert all(found["min_score"] is None for found in hope["calibration"].values())
    with ProjectStore.open(project) as store:
        model = store.learned_model()
    assert model is not None and model.precision == 0.95
    assert [(code.code_id, code.suggested) for code in model.codes] == [("hope", False), ("fear", None)]
    exit_code, _, stderr = run_cli("learn", "-p", project, "--precision", "0.95")
    flat = " ".join(stderr.split())
    assert "hope: learned but not suggested, tried on your own decisions, at best" in flat and "fewer than the 95% asked for" in flat
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")[0] == 0
    assert _model_segments(project) == []


def test_a_words_weight_is_measured_from_the_models_own_bias(tiny_project: tuple[Path, Path, Path]) -> None:
    """It was measured from an empty Doc, which spaCy scores 0: every word weighed about +14."""
    from ipl_coder.learning.model import LearnedModel, model_folder

    project, _, _ = tiny_project
    learn(project)
    weights = LearnedModel.load(model_folder(project)).word_weights(["forward", "soup"])
    assert 0 < weights["forward"]["hope"] < 5 and weights["soup"]["hope"] < weights["forward"]["hope"]


def test_the_context_model_suggests_the_sentence_after_a_rules_hit_where_people_coded_the_story_on(
    write_file: Callable[..., Path], tmp_path: Path
) -> None:  # fmt: skip
    codebook = write_file("tiny.yaml", CODEBOOK)
    stories = [f"Interviewer: Go on.\n\nP1: I hope so. {line}\n" for line in EVERYDAY]
    plain = [f"Interviewer: And?\n\nP1: {a} {b}\n" for a, b in zip(EVERYDAY, reversed(EVERYDAY), strict=True)]
    write_file("interviews/reviewed.txt", "\n".join(line for pair in zip(stories, plain, strict=True) for line in pair))
    write_file("interviews/new.txt", "Interviewer: How are things?\n\nP1: We stayed home. I hope it works. The cat sat down.\n")
    project, folder = tmp_path / "project", tmp_path / "interviews"
    assert run_cli("code", folder, "-c", codebook, "-p", project, "-q", "--jobs", "1")[0] == 0
    with ProjectStore.open(project) as store:
        text = store.transcript("reviewed").text  # type: ignore[union-attr]
        decisions = [NewDecision("ana", "accept", s.segment_id) for s in store.segments(transcript="reviewed")]
        for line in EVERYDAY:  # the coder gave 'hope' to the sentence after each "I hope so.": the story goes on
            start = text.index(f"I hope so. {line}") + len("I hope so. ")
            decisions.append(NewDecision("ana", "add", new_code_id="hope", passage=Passage("reviewed", start, start + len(line))))
        store.record_decisions(decisions)
    result = learn(project)
    assert result.suggested == ["hope"] and result.calibration["context"]["hope"].min_score is not None
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")[0] == 0
    suggested = [s for s in _model_segments(project) if s.transcript == "new"]
    assert [s.text for s in suggested] == ["The cat sat down."]
    assert suggested[0].reason is not None and suggested[0].reason.words[0][0] == "rules: hope on the sentence before"


def test_a_learn_recorded_before_calibration_is_kept_with_no_precision(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "old.sqlite")
    for version, script in enumerate(MIGRATIONS[:6], start=1):
        connection.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    connection.executescript("""
        INSERT INTO learned_models (model_id, trained_at, folder, seed, threshold, transcripts, units, seconds, spacy_version,
                                    ipl_coder_version) VALUES (1, 'then', 'learned', 18, 0.7, 2, 40, 1.5, '3.8', '0.1');
        INSERT INTO learned_codes VALUES (1, 'hope', 6, 30, 0, 1);
    """)
    assert migrate(connection) == len(MIGRATIONS)
    connection.row_factory = sqlite3.Row
    model = connection.execute("SELECT * FROM learned_models").fetchone()
    assert (model["model_id"], model["seed"], model["precision_target"], model["units"]) == (1, 18, None, 40)
    code = connection.execute("SELECT * FROM learned_codes").fetchone()
    assert (code["code_id"], code["trained"], code["suggested"]) == ("hope", 1, None)


def test_a_passage_people_accepted_the_code_on_is_not_suggested_it_again_at_another_unit(
    tiny_project: tuple[Path, Path, Path], write_file: Callable[..., Path]
) -> None:  # fmt: skip
    """An accepted model suggestion (a sentence) came back as a pending one of the same code for its whole turn (--unit turn)."""
    project, codebook, folder = tiny_project
    write_file("interviews/later.txt", LATER)
    learn(project)
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")[0] == 0
    accepted = next(s for s in _model_segments(project) if s.transcript == "later")
    assert accepted.text == "I look forward to a better future for us."
    with ProjectStore.open(project) as store:
        store.record_decision(accepted.segment_id, "ola", "accept")
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--unit", "turn", "--jobs", "1", "-q")[0] == 0
    later = [(s.text, s.status) for s in _model_segments(project) if s.transcript == "later"]
    assert later == [(accepted.text, "accepted")]
    # Back at sentences the model suggests it again: the same segment, found with its decision.
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")[0] == 0
    again = [s for s in _model_segments(project) if s.transcript == "later"]
    assert [(s.segment_id, s.status, s.suggested) for s in again] == [(accepted.segment_id, "accepted", True)]


def test_a_code_a_person_added_then_took_back_does_not_keep_the_model_from_suggesting_it(
    tiny_project: tuple[Path, Path, Path], write_file: Callable[..., Path]
) -> None:  # fmt: skip
    project, codebook, folder = tiny_project
    write_file("interviews/later.txt", LATER)
    learn(project)
    assert run_cli("code", folder, "-c", codebook, "-p", project, "-q", "--jobs", "1")[0] == 0
    with ProjectStore.open(project) as store:
        text = store.transcript("later").text  # type: ignore[union-attr]
        start = text.index("I look forward")
        store.record_decisions([NewDecision("bob", "add", new_code_id="hope", passage=Passage("later", start, len(text.rstrip())))])
        assert store.undo_last_decision("bob") is not None
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")[0] == 0
    assert [s.text for s in _model_segments(project) if s.transcript == "later"] == ["I look forward to a better future for us."]


@pytest.mark.parametrize(("damaged", "content"), [
    ("passages.json", '{"codes": ["hope"], "precision": "high", "calibration": {}, "passages": []}'),
    ("passages.json", '{"codes": ["fear"], "precision": 0.6, "calibration": {"context": {"fear": {"min_score": 0.1, "tried": 9, "right": 9}}}, '
                      '"passages": []}'),
    ("passages.json", '{"precision": 0.6, "calibration": {}, "passages": []}'),
    ("pipeline/config.cfg", "garbage\n"),
])  # fmt: skip
def test_a_damaged_model_is_one_line_naming_its_folder_and_codes_nothing(tiny_project: tuple[Path, Path, Path], damaged: str,
                                                                          content: str) -> None:  # fmt: skip
    project, codebook, folder = tiny_project
    learn(project)
    (project / "learned" / damaged).write_text(content, encoding="utf-8")
    before = (project / "project.sqlite").read_bytes()
    exit_code, _, stderr = run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")
    assert exit_code == 1 and len(stderr.strip().splitlines()) == 1, stderr
    assert "the learned model cannot be read" in stderr and "run 'ipl-coder learn' again" in stderr and "unexpected" not in stderr
    assert (project / "project.sqlite").read_bytes() == before


def test_why_a_learned_code_is_not_suggested_says_what_it_fell_short_of() -> None:
    """It said "at best 2 of its 4 suggestions were right, fewer than the 40% asked for": 2 of 4 is 50%; too few were right."""
    from ipl_coder.learning.learn import LearnResult
    from ipl_coder.learning.model import CONTEXT, WORDS, Calibration

    def why(best: Calibration, precision: float) -> str:
        calibration = {WORDS: {"hope": Calibration(None, 0, 0)}, CONTEXT: {"hope": best}}
        return LearnResult(Path("p"), 1, Path("p/learned"), (), 1, 10, None, 1.0, {}, calibration, precision).why_not_suggested("hope")

    assert why(Calibration(None, 4, 2), 0.4) == "tried on your own decisions, at best 2 of its 4 suggestions were right, fewer than the 5 right it needs"
    assert why(Calibration(None, 10, 6), 0.6) == ("tried on your own decisions, at best 6 of its 10 suggestions were right, 54% counted as if "
                                                  "one more had been wrong, fewer than the 60% asked for")  # fmt: skip


def test_code_learned_says_when_the_model_suggests_a_code_the_codebook_no_longer_has(tiny_project: tuple[Path, Path, Path]) -> None:
    """After a rename the model's suggestions of the old id stopped without a word."""
    project, codebook, folder = tiny_project
    learn(project)
    assert run_cli("codebook", "rename", codebook, "hope", "optimism", "-p", project)[0] == 0
    exit_code, stdout, stderr = run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1")
    assert exit_code == 0, stderr
    flat = " ".join(stderr.split())
    assert f"--learned: the learned model suggests 'hope', which {codebook} no longer has, so it suggests none of it" in flat
    assert [s for s in _model_segments(project) if s.status == "pending"] == []


def test_a_model_folder_that_is_not_the_last_learns_is_refused(tiny_project: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """An older model restored into learned/ (or another project's) was used as if it were the one the store recorded."""
    import shutil

    project, codebook, folder = tiny_project
    learn(project)
    shutil.copytree(project / "learned", tmp_path / "backup")
    with ProjectStore.open(project) as store:
        text = store.transcript("reviewed").text  # type: ignore[union-attr]
        store.record_decisions([NewDecision("ana", "add", new_code_id="fear", passage=Passage("reviewed", text.index(line), text.index(line) + len(line)))
                                for line in EVERYDAY[:6]])  # fmt: skip
    assert learn(project).trained == ["hope", "fear"]
    shutil.rmtree(project / "learned")
    shutil.copytree(tmp_path / "backup", project / "learned")
    exit_code, _, stderr = run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")
    flat = " ".join(stderr.split())
    assert exit_code == 1 and "this is not the model the project's last 'learn' recorded (it learned hope; the project's store says hope, fear)" in flat


def test_a_model_folder_of_the_same_codes_that_is_not_the_last_learns_is_refused(tiny_project: tuple[Path, Path, Path],
                                                                                  tmp_path: Path) -> None:  # fmt: skip
    """As a learn stopped between recording and saving leaves it: the folder's model is not the one the store names."""
    import shutil

    project, codebook, folder = tiny_project
    learn(project)
    shutil.copytree(project / "learned", tmp_path / "backup")
    assert learn(project, seed=7).trained == ["hope"]  # the same codes, another model
    shutil.rmtree(project / "learned")
    shutil.copytree(tmp_path / "backup", project / "learned")
    exit_code, _, stderr = run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")
    flat = " ".join(stderr.split())
    assert exit_code == 1 and "this is not the model the project's last 'learn' recorded (it is model 1; the project's store says 2)" in flat


def test_a_seed_the_store_cannot_keep_is_refused_before_the_model_is_saved(tiny_project: tuple[Path, Path, Path]) -> None:
    """It failed as an 'unexpected error' from SQLite after learned/ had been replaced, leaving a model the store did not record."""
    project, _, _ = tiny_project
    exit_code, _, stderr = run_cli("learn", "-p", project, "--seed", str(2**64))
    assert exit_code == 1 and "the seed must be a whole number between" in stderr and "unexpected" not in stderr
    assert not (project / "learned").exists()
    with ProjectStore.open(project) as store:
        assert store.learned_model() is None


def test_a_sheet_exported_with_the_models_suggestions_imports_after_a_run_without_learned(tiny_project: tuple[Path, Path, Path]) -> None:
    """Every untouched model row was 'unknown segment id' once a run without --learned had dropped them: the sheet was refused."""
    project, codebook, folder = tiny_project
    learn(project)
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")[0] == 0
    sheet = project / "ola.csv"
    assert run_cli("review", "export", "-p", project, "-o", sheet, "--coder", "ola")[0] == 0
    rows = list(csv.DictReader(sheet.open(encoding="utf-8-sig")))
    model = next(row for row in rows if row["origin"] == "model")
    rule = next(row for row in rows if row["origin"] == "machine" and row["transcript"] == "new")
    rule["decision"] = "accept"
    with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--jobs", "1", "-q")[0] == 0  # drops the model's pending ones
    exit_code, stdout, stderr = run_cli("review", "import", sheet, "-p", project)
    assert exit_code == 0, stderr
    with ProjectStore.open(project) as store:
        assert [d.decision for d in store.decisions(rule["segment_id"])] == ["accept"]
    # A decision on a model suggestion that went says how to bring it back.
    model["decision"] = "reject"
    with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    exit_code, _, stderr = run_cli("review", "import", sheet, "-p", project)
    assert exit_code == 1 and "run 'ipl-coder code ... --learned' again, then import the sheet" in " ".join(stderr.split())
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")[0] == 0
    assert run_cli("review", "import", sheet, "-p", project)[0] == 0
    with ProjectStore.open(project) as store:
        assert [d.decision for d in store.decisions(model["segment_id"])] == ["reject"]


def test_learn_says_how_many_decided_passages_an_edit_took_out_of_sight(tiny_project: tuple[Path, Path, Path]) -> None:
    project, codebook, folder = tiny_project
    transcript = folder / "reviewed.txt"
    transcript.write_text(transcript.read_text(encoding="utf-8").replace(LOOKING_FORWARD[0], "I do not know."), encoding="utf-8")
    exit_code, _, stderr = run_cli("code", folder, "-c", codebook, "-p", project, "-q", "--jobs", "1")
    assert exit_code == 0, stderr
    exit_code, stdout, stderr = run_cli("learn", "-p", project, "--json")
    assert exit_code == 0, stderr
    assert json.loads(stdout)["out_of_sight"] == 1
    exit_code, _, stderr = run_cli("learn", "-p", project)
    assert exit_code == 0, stderr
    assert ("1 decided passage that an edit took out of its transcript's text (as 'code' warned then) is not learned from"
            in " ".join(stderr.split()))  # fmt: skip


def test_what_the_model_read_is_kept_and_a_rerun_suggests_what_a_fresh_run_does(tiny_project: tuple[Path, Path, Path]) -> None:
    import shutil

    project, codebook, folder = tiny_project
    learn(project)

    def suggested(*options: str) -> list[tuple[object, ...]]:
        assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q", *options)[0] == 0
        return [(s.segment_id, s.start_char, s.end_char, s.score, s.matched, s.reason) for s in _model_segments(project)]

    first = suggested()  # every code's segments kept since the fixture's 'code': the sentences come from the cached Docs
    readings = project / "cache" / "learned"
    entries = sorted(readings.glob("model-1-*.json"))
    assert first and len(entries) == 2  # one per transcript
    assert suggested() == first  # read back
    written = entries[0].read_bytes()
    rows = json.loads(without_checksum(written, bound_to=entries[0].name) or b"")
    reshaped = with_checksum(json.dumps([[*row[:3], list(row[3]), row[4]] for row in rows]).encode(),
                             bound_to=entries[0].name)  # the codes, no scores
    # Garbage; one byte more, so the checksum no longer fits; a list where the scores go, checksum and all.
    for damage in (b"not JSON", written.replace(b"]", b"] ", 1), reshaped):
        entries[0].write_bytes(damage)
        assert suggested() == first and entries[0].read_bytes() == written  # read afresh, and replaced
    assert suggested("--no-cache") == first  # the rules read every Doc: their sentences
    shutil.rmtree(readings)
    for docs in (project / "cache" / "docs").glob("*.spacy"):
        docs.unlink()  # each code's segments still kept, and no Doc to read the sentences from: the model cuts them
    assert suggested() == first
    learn(project, seed=7)
    suggested()
    assert not list(readings.glob("model-1-*.json")) and len(list(readings.glob("model-2-*.json"))) == 2  # the old model's went


def test_a_model_folders_sentences_are_not_kept_for_the_default_pipeline(tiny_project: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """A --model folder with no component of its own codes with the default's components, but with its own tokenizer."""
    import spacy

    project, codebook, folder = tiny_project
    learn(project)
    nlp = spacy.blank("en")
    nlp.tokenizer.add_special_case("now.", [{"ORTH": "now."}])  # one word: "now." ends no sentence in this pipeline
    nlp.to_disk(tmp_path / "own-tokenizer")

    def suggested(*options: str | Path) -> list[tuple[object, ...]]:
        assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q", *options)[0] == 0
        return [(s.segment_id, s.start_char, s.end_char, s.score, s.matched, s.reason) for s in _model_segments(project)]

    with_model = suggested("--model", tmp_path / "own-tokenizer")
    assert with_model == suggested("--model", tmp_path / "own-tokenizer", "--no-cache")
    assert suggested() == suggested("--no-cache")  # not the sentences the model folder's run read


def test_an_old_reading_that_cannot_be_removed_is_left_alone(tiny_project: tuple[Path, Path, Path]) -> None:
    project, codebook, folder = tiny_project
    learn(project)
    stuck = project / "cache" / "learned" / "model-0-0123456789abcdef.json"
    stuck.mkdir(parents=True)  # not a file: cannot be unlinked, as one another user owns in a shared folder cannot
    exit_code, _, stderr = run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")
    assert exit_code == 0, stderr
    assert stuck.is_dir() and len(list(stuck.parent.glob("model-1-*.json"))) == 2
    assert [s.text for s in _model_segments(project) if s.transcript == "new"] == ["I look forward to a better future for us."]


def test_code_learned_names_a_code_moved_under_another_parent_since_learn(tiny_project: tuple[Path, Path, Path]) -> None:
    """A passage given 'fear' counts for the codes above it: under 'hope' it is 'hope' too, which the model never learned."""
    project, codebook, folder = tiny_project
    learn(project)
    again = ("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1")
    exit_code, _, stderr = run_cli(*again)
    assert exit_code == 0 and "moved" not in stderr, stderr
    assert run_cli("codebook", "move", codebook, "fear", "--parent", "hope")[0] == 0
    exit_code, _, stderr = run_cli(*again)
    message = " ".join(stderr.split())
    assert exit_code == 0, stderr
    assert f"Note --learned: since 'ipl-coder learn', {codebook} moved 'fear' (at the top level then, under 'hope' now);" in message
    assert "run 'ipl-coder learn' again to learn the codes where they are now" in message
    learn(project)  # learns the codebook of the last run: 'fear' under 'hope'
    exit_code, _, stderr = run_cli(*again)
    assert exit_code == 0 and "moved" not in stderr, stderr


def test_learn_keeps_what_its_model_reads_of_every_transcript_for_the_first_code_learned(
    tiny_project: tuple[Path, Path, Path], tmp_path: Path
) -> None:  # fmt: skip
    """The first 'code --learned' after a learn reads the model's readings back instead of scoring every sentence."""
    project, codebook, folder = tiny_project
    learn(project)
    readings = sorted((project / "cache" / "learned").glob("model-1-*.json"))
    written = [entry.read_bytes() for entry in readings]
    assert len(readings) == 2  # one per transcript the project stores
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q")[0] == 0
    assert sorted((project / "cache" / "learned").glob("model-1-*.json")) == readings  # read, none added
    assert [entry.read_bytes() for entry in readings] == written
    suggested = [(s.segment_id, s.start_char, s.end_char, s.score, s.matched, s.reason) for s in _model_segments(project)]
    assert suggested  # the model suggests in this project
    assert run_cli("code", folder, "-c", codebook, "-p", project, "--learned", "--jobs", "1", "-q", "--no-cache")[0] == 0
    assert suggested == [(s.segment_id, s.start_char, s.end_char, s.score, s.matched, s.reason) for s in _model_segments(project)]
