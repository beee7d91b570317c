"""Editing commands keep every comment, the key order and the layout, and carry project data along."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import IPL_CODEBOOK, SAMPLES, run_cli
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.errors import ProjectError
from ipl_coder.store import ProjectStore

COMMENTED = """\
# Top comment: why this codebook exists.
name: Commented   # trailing on name
language: en
codes:
# Comment before the first code.
- id: alpha   # alpha's id comment
  label: Alpha
  # comment inside alpha, before terms
  terms:
  - one      # first term
  - two
  examples:
    match: [one thing]
  codes:
  - id: alpha-child
    terms: [three]   # child's flow terms
# Comment before beta.
- id: beta
  label: Beta
  terms: {en: [four], nb: [fire]}
  # Comment at the end of beta.
- id: gamma
  label: Gamma
  terms:
  - five
# Final comment.
"""


def comments(text: str) -> list[str]:
    return [match.group(0).strip() for match in re.finditer(r"#[^\n\"]*$", text, re.MULTILINE) if not match.group(0).startswith("#4E")]


def keys(text: str) -> list[str]:
    return re.findall(r"^\s*-?\s*(\w+):", text, re.MULTILINE)


@pytest.fixture
def commented(tmp_path: Path) -> Path:
    path = tmp_path / "commented.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "removed_comments"),
    [
        (["add", "delta", "--label", "Delta", "--term", "six"], []),
        (["add", "alpha-two", "--label", "Alpha two", "--parent", "alpha", "--definition", "A second child."], []),
        (["add", "gamma-kid", "--label", "Kid", "--parent", "gamma", "--color", "#abcdef"], []),
        (["add-term", "gamma", "six", "seven"], []),
        (["add-term", "gamma", "seks", "--language", "nb"], []),
        (["add-term", "alpha-child", "eight"], []),
        (["add-term", "beta", "fem", "--language", "Norwegian"], []),
        (["remove", "gamma"], []),
        (["remove", "alpha", "--with-sub-codes"], ["# alpha's id comment", "# comment inside alpha, before terms",
                                                  "# first term", "# child's flow terms"]),
        (["rename", "beta", "b2"], []),
        (["move", "alpha-child", "--top"], []),
        (["move", "beta", "--parent", "gamma"], []),
    ],
)
def test_every_edit_keeps_every_comment_and_the_key_order(commented: Path, args: list[str], removed_comments: list[str]) -> None:
    exit_code, stdout, stderr = run_cli("codebook", args[0], commented, *args[1:])
    assert exit_code == 0, stderr
    assert "Saved" in stdout
    edited = commented.read_text(encoding="utf-8")
    expected = [comment for comment in comments(COMMENTED) if comment not in removed_comments]
    if args[0] == "move":  # the moved code's own comments go with it
        assert sorted(comments(edited)) == sorted(expected)
    else:
        assert comments(edited) == expected
    assert edited.startswith("# Top comment: why this codebook exists.\nname: Commented   # trailing on name\n")
    assert edited.rstrip().endswith("# Final comment.")
    load_codebook(commented)  # and it is still a valid codebook
    untouched = [key for key in keys(COMMENTED) if key in ("name", "language", "codes")]
    assert [key for key in keys(edited) if key in ("name", "language", "codes")][: len(untouched) - 1] == untouched[:-1]


def test_each_edit_does_what_it_says(commented: Path) -> None:
    run_cli("codebook", "add", commented, "delta", "--label", "Delta", "--parent", "beta", "--term", "six")
    run_cli("codebook", "add-term", commented, "gamma", "seks", "--language", "nb")
    run_cli("codebook", "rename", commented, "alpha-child", "alpha-kid")
    run_cli("codebook", "move", commented, "gamma", "--parent", "alpha")
    codebook = load_codebook(commented)
    assert codebook.code("delta").parent_id == "beta" and codebook.code("delta").term_rule.terms == ("six",)  # type: ignore[union-attr]
    assert codebook.code("gamma").parent_id == "alpha"
    assert codebook.in_language("nb").code("gamma").term_rule.terms == ("seks",)  # type: ignore[union-attr]
    assert codebook.code("alpha").child_ids == ("alpha-kid", "gamma")
    assert codebook.code("delta").color not in {code.color for code in codebook.codes if code.code_id != "delta"}
    assert "  - id: delta\n    label: Delta\n    color: \"#" in commented.read_text(encoding="utf-8")


def test_editing_ipl_changes_only_the_edited_lines(tmp_path: Path) -> None:
    path = tmp_path / "ipl.yaml"
    path.write_bytes(IPL_CODEBOOK.read_bytes())
    assert run_cli("codebook", "add-term", path, "broker", "link person")[0] == 0
    before, after = IPL_CODEBOOK.read_text(encoding="utf-8").splitlines(), path.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before) + 1
    added = [line for line in after if line not in before]
    assert added == ["        - link person"]


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (["add", "alpha", "--label", "Again"], "there is already a code 'alpha'", 1),
        (["add", "bad id", "--label", "X"], "may only hold letters", 1),
        (["add", "x", "--label", "X", "--color", "red"], "is not #RRGGBB", 1),
        (["add", "x", "--label", "X", "--parent", "nosuch"], "no code 'nosuch'", 1),
        (["add-term", "nosuch", "x"], "no code 'nosuch'", 1),
        (["remove", "alpha"], "has sub-codes (alpha-child)", 1),
        (["rename", "beta", "gamma"], "there is already a code 'gamma'", 1),
        (["move", "alpha", "--parent", "alpha-child"], "one of its sub-codes", 1),
        (["move", "alpha"], "--parent NEW_PARENT or --top", 2),
    ],
)
def test_refused_edits_change_nothing(commented: Path, args: list[str], message: str, status: int) -> None:
    exit_code, _, stderr = run_cli("codebook", args[0], commented, *args[1:])
    assert exit_code == status and message in " ".join(stderr.split())
    assert commented.read_text(encoding="utf-8") == COMMENTED


def test_a_broken_codebook_is_never_edited(write_file: Callable[..., Path]) -> None:
    broken = write_file("broken.yaml", "codes:\n  - id: a\n    unit: page\n")
    exit_code, _, stderr = run_cli("codebook", "add-term", broken, "a", "x")
    assert exit_code == 1 and "unit 'page'" in stderr
    assert broken.read_text(encoding="utf-8") == "codes:\n  - id: a\n    unit: page\n"


@pytest.fixture
def decided_project(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """The samples coded with a copy of ipl.yaml, with one accepted broker segment and one recode to broker."""
    codebook, project = tmp_path / "ipl.yaml", tmp_path / "project"
    codebook.write_bytes(IPL_CODEBOOK.read_bytes())
    assert run_cli("code", SAMPLES, "-c", codebook, "-p", project, "-q", "--jobs", "1")[0] == 0
    with ProjectStore.open(project) as store:
        segments = list(store.segments())
        broker = next(segment for segment in segments if segment.code_id == "broker")
        other = next(segment for segment in segments if segment.code_id == "role")
        store.record_decision(broker.segment_id, "ana", "accept", note="a clear bridge")
        store.record_decision(other.segment_id, "ola", "recode", new_code_id="broker")
    return codebook, project, {"broker": broker.segment_id, "role": other.segment_id}


def test_remove_refuses_a_code_people_decided_on_unless_forced(decided_project: tuple[Path, Path, dict[str, str]]) -> None:
    codebook, project, _ = decided_project
    before = codebook.read_text(encoding="utf-8")
    exit_code, _, stderr = run_cli("codebook", "remove", codebook, "broker", "--project", project)
    assert exit_code == 1 and "holds people's decisions on it ('broker': 2 decided segments, 3 decisions)" in stderr
    assert codebook.read_text(encoding="utf-8") == before
    exit_code, stdout, _ = run_cli("codebook", "remove", codebook, "broker", "--project", project, "--force")
    assert exit_code == 0 and "The project keeps the decisions" in stdout
    assert "broker" not in {code.code_id for code in load_codebook(codebook).codes}
    with ProjectStore.open(project) as store:
        assert store.human_work(["broker"])[0].decisions == 3  # nothing was lost


def test_rename_carries_segments_and_decisions_along(decided_project: tuple[Path, Path, dict[str, str]]) -> None:
    codebook, project, segment_ids = decided_project
    with ProjectStore.open(project) as store:
        broker_count = sum(1 for segment in store.segments() if segment.code_id == "broker")
    exit_code, stdout, _ = run_cli("codebook", "rename", codebook, "broker", "go-between", "--project", project)
    # The accept, the recode to broker, and the broker code that recode added.
    assert exit_code == 0 and f"{broker_count} segments and 3 decisions now have 'go-between'" in stdout
    assert "go-between" in {code.code_id for code in load_codebook(codebook).codes}
    with ProjectStore.open(project) as store:
        renamed = [segment for segment in store.segments() if segment.code_id == "go-between"]
        assert len(renamed) == broker_count and not any(segment.code_id == "broker" for segment in store.segments())
        accepted = next(segment for segment in renamed if segment.status == "accepted" and segment.origin == "machine")
        assert all(rule.startswith("go-between:") for rule in accepted.rules)
        history = store.decisions(accepted.segment_id)
        assert [(d.coder, d.decision, d.note) for d in history] == [("ana", "accept", "a clear bridge")]
        assert store.decisions(segment_ids["role"])[0].new_code_id == "go-between"
        assert "go-between" in {code.code_id for code in store.latest_codes()}
    assert "go-between" in (project / "segments.csv").read_text(encoding="utf-8-sig")
    # Coding again with the renamed codebook keeps the decision and adds no duplicate.
    assert run_cli("code", SAMPLES, "-c", codebook, "-p", project, "-q", "--jobs", "1")[0] == 0
    with ProjectStore.open(project) as store:
        again = [segment for segment in store.segments() if segment.code_id == "go-between"]
        assert len(again) == broker_count
        assert store.decisions(accepted.segment_id)[0].coder == "ana"


def test_rename_that_cannot_write_the_codebook_changes_nothing_in_the_project(
    decided_project: tuple[Path, Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch,
) -> None:
    codebook, project, _ = decided_project
    before = codebook.read_text(encoding="utf-8")

    def full_disk(path: Path, **_: object) -> None:
        raise ProjectError(f"{path}: cannot write it: No space left on device")

    monkeypatch.setattr("ipl_coder.codebook.edit.atomic_file", full_disk)  # the disk, not the database, fails
    exit_code, _, stderr = run_cli("codebook", "rename", codebook, "broker", "go-between", "--project", project)
    assert exit_code == 1 and "No space left on device" in stderr
    assert codebook.read_text(encoding="utf-8") == before
    with ProjectStore.open(project) as store:
        assert any(segment.code_id == "broker" for segment in store.segments())
        assert not any(segment.code_id == "go-between" for segment in store.segments())
        assert "broker" in {code.code_id for code in store.latest_codes()}


def test_an_edit_keeps_the_file_permissions(commented: Path) -> None:
    # The atomic write goes through a private temporary file; the codebook must not end up private too.
    commented.chmod(0o644)
    assert run_cli("codebook", "add-term", commented, "gamma", "six")[0] == 0
    assert commented.stat().st_mode & 0o777 == 0o644
