"""Human review: decisions, undo and added codes in the store, and `ipl-coder review` driven key by key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run_cli
from ipl_coder.review.session import (
    CODER_VARIABLE,
    ReviewScope,
    coder_name,
    find_passage,
    open_review,
)
from ipl_coder.store import NewDecision, Passage, ProjectStore, SegmentRow


def machine_segments(project: Path) -> list[SegmentRow]:
    with ProjectStore.open(project) as store:
        return list(store.segments(None, origin="machine"))


def test_undo_takes_a_decision_back_and_keeps_it_in_the_history(fresh_project: Path) -> None:
    segment = machine_segments(fresh_project)[0]
    with ProjectStore.open(fresh_project) as store:
        store.record_decision(segment.segment_id, "ana", "accept", note="fits")
        store.record_decision(segment.segment_id, "ana", "reject")
        assert store.segment(segment.segment_id).status == "rejected"  # type: ignore[union-attr]
        undone = store.undo_last_decision("ana")
        assert undone is not None and undone.decision == "reject"
        again = store.segment(segment.segment_id)
        assert again is not None and (again.status, again.decided_by) == ("accepted", "ana")
        assert [d.decision for d in store.decisions(segment.segment_id)] == ["accept", "reject", "undo"]
        store.undo_last_decision("ana")
        assert store.segment(segment.segment_id).status == "pending"  # type: ignore[union-attr]
        assert store.undo_last_decision("ana") is None
        assert len(store.decisions(segment.segment_id)) == 4  # nothing deleted


def test_a_recode_adds_the_right_code_and_its_undo_takes_both_back(fresh_project: Path) -> None:
    segment = next(s for s in machine_segments(fresh_project) if s.code_id == "role")
    with ProjectStore.open(fresh_project) as store:
        store.record_decision(segment.segment_id, "ana", "recode", new_code_id="broker", note="bridging, not role")
        added = [s for s in store.segments(None) if s.code_id == "broker" and s.start_char == segment.start_char
                 and s.end_char == segment.end_char]  # fmt: skip
        assert len(added) == 1 and added[0].status == "accepted"
        assert store.segment(segment.segment_id).status == "recoded"  # type: ignore[union-attr]
        store.undo_last_decision("ana")
        assert store.segment(segment.segment_id).status == "pending"  # type: ignore[union-attr]
        after = store.segment(added[0].segment_id)
        assert after is not None and after.status == ("withdrawn" if after.origin == "human" else "pending")
        with pytest.raises(Exception, match="not a code of the project's codebook"):
            store.record_decision(segment.segment_id, "ana", "recode", new_code_id="no-such-code")


def test_people_add_codes_of_their_own_and_review_blind(fresh_project: Path) -> None:
    segment = machine_segments(fresh_project)[0]
    with ProjectStore.open(fresh_project) as store:
        text = store.transcript(segment.transcript).text  # type: ignore[union-attr]
        start, end = find_passage(text, segment.text[:30])
        for coder in ("ana", "ola"):
            store.record_decisions([NewDecision(coder, "add", new_code_id="broker", passage=Passage(segment.transcript, start, end))])
        added = [s for s in store.segments(None, origin="human") if s.code_id == "broker"]
        assert sorted(s.coder for s in added) == ["ana", "ola"]  # one each, never merged
        assert len({s.segment_id for s in added}) == 2 and all(s.text == text[start:end] for s in added)
        # Adding a code where the machine suggested exactly that accepts the suggestion instead.
        store.record_decisions([NewDecision("ana", "add", segment.segment_id, new_code_id=segment.code_id)])
        assert store.segment(segment.segment_id).status == "accepted"  # type: ignore[union-attr]
        assert set(store.coder_views("ola")) == {s.segment_id for s in added if s.coder == "ola"}  # blind
        with pytest.raises(Exception, match="not a passage of it"):
            store.record_decisions([NewDecision("ana", "add", new_code_id="broker", passage=Passage(segment.transcript, 5, 10**7))])


def test_the_coder_name_comes_from_the_option_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CODER_VARIABLE, "kari")
    assert coder_name("ana") == "ana"
    assert coder_name(None) == "kari"
    monkeypatch.delenv(CODER_VARIABLE)
    assert coder_name(None)  # the user name


def shown_segments(stdout: str) -> list[str]:
    """The 'transcript · speaker · turn' line of every segment the review showed."""
    return re.findall(r"^(\S+ · .+ · turn \d+.*)$", stdout, re.MULTILINE)


def test_review_by_keys_with_undo_and_resume(fresh_project: Path) -> None:
    order = machine_segments(fresh_project)
    extra = "expertise" if order[3].code_id != "expertise" else "broker"
    # Accept, reject, change the code to broker, add another code to the 4th passage then accept it,
    # a note on the 5th, undo the note, undo the accept (the 4th comes back), quit.
    exit_code, stdout, stderr = run_cli("review", "-p", fresh_project, "--coder", "ana",
                                        keys=f"arcbroker\n+{extra}\n\nanclear case\nuuq")  # fmt: skip
    assert exit_code == 0, stderr
    assert "Accepted." in stdout and "Rejected." in stdout and "Recoded to broker." in stdout
    assert f"Added {extra} to this passage." in stdout and "Note saved." in stdout
    assert "Undid your note on" in stdout and "Undid your accept on" in stdout
    assert shown_segments(stdout)[-1] == shown_segments(stdout)[3]  # the undone segment is on screen again
    with ProjectStore.open(fresh_project) as store:
        views = store.coder_views("ana")
        statuses = [views[s.segment_id].status if s.segment_id in views else "pending" for s in order[:5]]
        assert statuses == ["accepted", "rejected", "recoded", "pending", "pending"]
        assert [(d.coder, d.decision) for d in store.decisions(order[3].segment_id)] == [("ana", "accept"), ("ana", "undo")]
        assert [d.decision for d in store.decisions(order[4].segment_id)] == ["note", "undo"]
        assert all(d.decided_at for d in store.decisions(order[0].segment_id))
        added = [s for s in store.segments() if s.origin == "human" and s.code_id == extra]
        assert [(s.coder, s.start_char, s.end_char) for s in added] == [("ana", order[3].start_char, order[3].end_char)]
    assert "Rewrote segments.csv" in stdout
    exported = (fresh_project / "segments.csv").read_text(encoding="utf-8-sig")
    assert "rejected" not in exported and ",ana," in exported  # pending and accepted only, with who decided
    # Resume: the next session starts after the last decision still standing (the recode of the 3rd).
    exit_code, stdout, _ = run_cli("review", "-p", fresh_project, "--coder", "ana", keys="aq")
    assert exit_code == 0 and shown_segments(stdout)[0].startswith(f"{order[3].transcript} · {order[3].speaker}")
    with ProjectStore.open(fresh_project) as store:
        assert store.coder_views("ana")[order[3].segment_id].status == "accepted"
    # Undo reaches back into an earlier session.
    exit_code, stdout, _ = run_cli("review", "-p", fresh_project, "--coder", "ana", keys="uq")
    assert "Undid your accept" in stdout
    # Another coder starts at the beginning: decisions are per coder.
    exit_code, stdout, _ = run_cli("review", "-p", fresh_project, "--coder", "ola", keys="sq")
    assert exit_code == 0 and "Skipped" in stdout and "Reviewing as ola: " in stdout
    assert shown_segments(stdout)[0].startswith(f"{order[0].transcript} · {order[0].speaker} · turn {order[0].turn_number}")


def test_review_filters_and_messages(fresh_project: Path) -> None:
    exit_code, _, stderr = run_cli("review", "-p", fresh_project, "--code", "brokr", keys="q")
    assert exit_code == 1 and "no code 'brokr'" in stderr and "did you mean 'broker'" in stderr
    exit_code, _, stderr = run_cli("review", "-p", fresh_project, "--transcript", "nobody", keys="q")
    assert exit_code == 1 and "no transcript 'nobody'" in stderr
    exit_code, _, stderr = run_cli("review", keys="q")
    assert exit_code == 2 and "--project" in stderr
    exit_code, stdout, _ = run_cli("review", "-p", fresh_project, "--coder", "ana", "--code", "broker", keys="cnosuch\nxq")
    assert exit_code == 0 and "no code 'nosuch'" in stdout and "'x' does nothing here" in stdout
    exit_code, _, stderr = run_cli("review", "-p", fresh_project.parent / "missing", keys="q")
    assert exit_code == 1 and "no project here" in stderr


def test_a_session_reports_progress_per_code(fresh_project: Path) -> None:
    with open_review(fresh_project, "ana", ReviewScope(("broker",))) as session:
        before = session.progress()
        session.accept()
        session.skip()
        after = session.progress()
        assert (after.done, after.left) == (before.done + 1, before.left - 1)
        assert {code.code_id for code in after.per_code} == {"broker"}
        assert session.current() is not None and session.current().guide.definition  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("command", "phrase"),
    [(("review",), "a accept"), (("review", "export"), "decision"), (("review", "import"), "all or nothing"),
     (("agreement",), "Krippendorff's alpha")],
)  # fmt: skip
def test_every_review_command_explains_itself(command: tuple[str, ...], phrase: str) -> None:
    exit_code, stdout, _ = run_cli(*command, "--help")
    assert exit_code == 0 and phrase in stdout and "Example" in stdout


def screens(stdout: str) -> list[str]:
    """What a terminal showed after each clear of the screen, without styling."""
    plain = re.sub(r"\x1b\[(?!2J)[0-9;?]*[A-Za-z]", "", stdout)
    return plain.split("\x1b[2J")


def test_help_stays_on_the_screen_it_was_asked_on(fresh_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # a terminal, which the review clears for every segment
    monkeypatch.setenv("TERM", "xterm")
    exit_code, stdout, stderr = run_cli("review", "-p", fresh_project, "--coder", "ana", keys="?q")
    assert exit_code == 0, stderr
    shown = screens(stdout)
    assert len(shown) == 3  # the heading, the first segment, the first segment again with the help
    assert "accept: the code fits this passage" not in shown[1]
    assert "accept: the code fits this passage" in shown[2] and "quit: every decision is already saved" in shown[2]


def test_adding_an_unknown_code_says_so_before_asking_for_words(fresh_project: Path) -> None:
    exit_code, stdout, stderr = run_cli("review", "-p", fresh_project, "--coder", "ana", keys="+nosuch\nq")
    assert exit_code == 0, stderr
    assert "no code 'nosuch'" in stdout and "Words to code" not in stdout
    with ProjectStore.open(fresh_project) as store:
        assert store.coder_views("ana") == {}


def first_shared_passage(project: Path) -> tuple[int, SegmentRow, SegmentRow]:
    """The first segment in the review's order followed by the machine's other code on exactly its passage."""
    with open_review(project, "ana", ReviewScope()) as session:
        queue = [session.segments[segment_id] for segment_id in session.queue]
    for index, (first, second) in enumerate(zip(queue, queue[1:], strict=False)):
        if (first.transcript, first.start_char, first.end_char) == (second.transcript, second.start_char, second.end_char):
            return index, first, second
    raise AssertionError("the samples have no passage with two codes")


def test_a_recode_to_a_suggested_code_moves_on_past_that_suggestion(fresh_project: Path) -> None:
    index, first, second = first_shared_passage(fresh_project)
    with open_review(fresh_project, "ana", ReviewScope()) as session:
        for _ in range(index):
            session.skip()
        before = session.progress()
        message = session.recode(second.code_id)
        assert message == f"Recoded to {second.code_id}; the {second.code_id} suggestion on this passage is accepted with it."
        after = session.progress()
        assert after.done == before.done + 2  # both decided by one key, and the message says so
        shown = session.current()
        assert shown is not None and shown.segment.segment_id != second.segment_id  # accepted already: not shown
        assert second.segment_id not in session.queue
        # Undoing the recode brings back both, in reading order.
        assert session.undo() == f"Undid your recode on {first.code_id}."
        assert session.queue[session.position : session.position + 2] == [first.segment_id, second.segment_id]


def test_the_review_says_it_needs_a_terminal_before_showing_anything(fresh_project: Path) -> None:
    import subprocess
    import sys

    # A new session has no controlling terminal, and standard input is not one either.
    finished = subprocess.run([sys.executable, "-m", "ipl_coder", "review", "-p", str(fresh_project), "--coder", "ana"],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, start_new_session=True, timeout=120)  # fmt: skip
    assert finished.returncode == 1
    assert "needs a terminal" in finished.stderr and "review export" in finished.stderr
    assert finished.stdout == ""
