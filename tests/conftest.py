"""Shared fixtures: real spaCy pipelines, real codebooks on disk, the real samples."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from ipl_coder.codebook.model import Codebook
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.coding.coders import Segment, TranscriptCoder
from ipl_coder.coding.pipeline import build_pipeline
from ipl_coder.store import NewDecision, Passage, ProjectStore
from ipl_coder.transcripts import Transcript
from ipl_coder.transcripts.reader import TranscriptFile, read_transcript

ROOT = Path(__file__).resolve().parent.parent
IPL_CODEBOOK = ROOT / "codebooks" / "ipl.yaml"
SAMPLES = ROOT / "sample_transcripts"
# Two codes of one term each: the smallest codebook whose counts a test can work out by hand.
TEAM_AND_HOPE = """
codes:
  - id: team
    terms: [team]
  - id: hope
    terms: [hope]
"""


@pytest.fixture(scope="session")
def ipl_codebook() -> Codebook:
    return load_codebook(IPL_CODEBOOK)


@pytest.fixture(scope="session")
def ipl_coder(ipl_codebook: Codebook) -> TranscriptCoder:
    nlp, _ = build_pipeline(ipl_codebook)
    return TranscriptCoder(nlp, ipl_codebook)


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Write dedented text (or bytes) to a file under tmp_path and return its path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def code_text(write_file: Callable[..., Path]) -> Callable[..., tuple[Transcript, list[Segment]]]:
    """Code a transcript text with a codebook given as YAML text; returns the transcript and segments."""

    def run(codebook_yaml: str, transcript_text: str, unit: str = "sentence",
            interviewer_labels: tuple[str, ...] = ()) -> tuple[Transcript, list[Segment]]:  # fmt: skip
        codebook = load_codebook(write_file("codebook.yaml", codebook_yaml))
        path = write_file("transcript.txt", transcript_text)
        transcript = read_transcript(TranscriptFile(path, "transcript"), interviewer_labels)
        nlp, _ = build_pipeline(codebook)
        segments = TranscriptCoder(nlp, codebook, unit).code(transcript)
        for segment in segments:
            assert transcript.text[segment.start_char : segment.end_char] == segment.text
        return transcript, segments

    return run


def run_cli(*args: str | Path, keys: str | None = None) -> tuple[int, str, str]:
    """Run ``ipl-coder`` with Typer's CliRunner: exit code, stdout, stderr. ``keys`` is typed at it, key by key."""
    from typer.testing import CliRunner

    from ipl_coder.cli import app

    # Wide, so that table cells are not folded across lines the test reads.
    result = CliRunner().invoke(app, [str(arg) for arg in args], input=keys, env={"COLUMNS": "250"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="session")
def coded_samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples coded with ipl.yaml once; copy it with ``fresh_project`` before changing it."""
    project = tmp_path_factory.mktemp("coded") / "project"
    exit_code, _, stderr = run_cli("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", project, "-q", "--jobs", "1")
    assert exit_code == 0, stderr
    return project


@pytest.fixture
def fresh_project(coded_samples: Path, tmp_path: Path) -> Path:
    """A private copy of the coded samples, for a test to review in."""
    import shutil

    return Path(shutil.copytree(coded_samples, tmp_path / "project"))


@pytest.fixture(scope="session")
def reviewed_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples coded with participants; ana accepts two, rejects one, recodes one, adds a code with a note; ola accepts one.

    Built once (coding the samples is the slow part); tests get a private copy from ``reviewed``.
    """
    project = tmp_path_factory.mktemp("reviewed") / "project"
    exit_code, _, stderr = run_cli("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", project, "-q", "--jobs", "1",
                                   "--participants", SAMPLES / "participants.csv")  # fmt: skip
    assert exit_code == 0, stderr
    with ProjectStore.open(project) as store:
        segments = [s for s in store.segments() if s.transcript == "CA-PSW-01"][:5]
        first = segments[0]
        store.record_decisions([
            NewDecision("ana", "accept", segments[0].segment_id),
            NewDecision("ana", "accept", segments[1].segment_id),
            NewDecision("ana", "reject", segments[2].segment_id, note="Not about the team."),
            NewDecision("ana", "recode", segments[3].segment_id, new_code_id="boundary"),
            NewDecision("ana", "add", new_code_id="broker", note="She carries it across.",
                        passage=Passage("CA-PSW-01", first.start_char, first.end_char)),
            NewDecision("ola", "accept", segments[0].segment_id, note="Clear case."),
        ])  # fmt: skip
    return project


@pytest.fixture
def reviewed(reviewed_once: Path, tmp_path: Path) -> Path:
    """A private copy of ``reviewed_once``, for a test to read, export or change."""
    import shutil

    return Path(shutil.copytree(reviewed_once, tmp_path / "project"))
