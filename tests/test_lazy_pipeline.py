"""A re-run that finds every code's segments cached never loads spaCy; one that needs matching builds the pipeline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import IPL_CODEBOOK, ROOT, SAMPLES, run_cli
from ipl_coder.coding.doc_cache import SEGMENTS_SUFFIX
from test_doc_cache import SAMPLE_COUNT, code, entries, segments


def probe(corpus: Path, codebook: Path, project: Path, jobs: int) -> tuple[bool, bool]:
    """Code in a process of its own: whether it imported spaCy, and whether it built an English pipeline."""
    script = ("import sys; from pathlib import Path; from ipl_coder.coding.project import CodeOptions, code_transcripts; "
              f"code_transcripts([Path({str(corpus)!r})], Path({str(codebook)!r}), Path({str(project)!r}), CodeOptions(jobs={jobs})); "
              "print('spacy' in sys.modules, 'spacy.lang.en' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    imported, built = done.stdout.split()
    return imported == "True", built == "True"


def reworded(codebook: Path, note: str) -> None:
    """A wording edit: a comment and a definition changed, the rules as they were."""
    text = codebook.read_text(encoding="utf-8")
    assert "What a member of the team does" in text
    text = text.replace("What a member of the team does", f"{note}. What a member of the team does", 1)
    codebook.write_text(f"{text}\n# {note}\n", encoding="utf-8")


def test_a_rerun_after_a_wording_edit_imports_no_spacy_and_codes_what_a_fresh_run_does(tmp_path: Path,
                                                                                       fresh_project: Path) -> None:  # fmt: skip
    edited = Path(shutil.copy(IPL_CODEBOOK, tmp_path / "edited.yaml"))
    reworded(edited, "Reworded")
    project, fresh = fresh_project, tmp_path / "fresh"  # the samples coded with ipl.yaml, its cache warm
    assert probe(SAMPLES, edited, project, jobs=1) == (False, False)  # its patterns checked, every segment cached
    code(SAMPLES, fresh, "--no-cache", codebook=edited)
    assert segments(project) == segments(fresh)
    # One transcript's segments gone: it is matched again, on its cached Docs, and the rest still come from the cache.
    entries(project, SEGMENTS_SUFFIX)[0].unlink()
    reworded(edited, "Reworded again")
    assert code(SAMPLES, project, codebook=edited)["cache"]["reused"] == SAMPLE_COUNT
    assert segments(project) == segments(fresh)
    assert len(entries(project, SEGMENTS_SUFFIX)) == SAMPLE_COUNT


def test_a_transcript_edited_after_a_wording_edit_is_matched_in_the_worker_as_in_a_fresh_run(tmp_path: Path) -> None:
    # Every other transcript's segments are cached, so the run guesses no pipeline is needed: the worker that
    # meets the edited one builds its own.
    corpus = Path(shutil.copytree(SAMPLES, tmp_path / "corpus"))
    edited = Path(shutil.copy(IPL_CODEBOOK, tmp_path / "edited.yaml"))
    project, fresh = tmp_path / "project", tmp_path / "fresh"
    code(corpus, project, "--jobs", "2", codebook=edited)
    reworded(edited, "Reworded")
    path = corpus / "CA-PSW-01.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nP1: As a broker between the team and the patients I crossed boundaries.\n",
                    encoding="utf-8")  # fmt: skip
    assert probe(corpus, edited, project, jobs=2) == (False, False)  # the main process built nothing
    code(corpus, fresh, "--no-cache", codebook=edited)
    assert segments(project) == segments(fresh)
    assert "broker" in {word.lower() for row in segments(project, "CA-PSW-01") for word in row[9]}  # type: ignore[attr-defined]


def test_a_rule_edit_builds_the_pipeline_before_the_workers_fork(tmp_path: Path, fresh_project: Path) -> None:
    edited = Path(shutil.copy(IPL_CODEBOOK, tmp_path / "edited.yaml"))
    exit_code, _, stderr = run_cli("codebook", "add-term", edited, "broker", "colleague")
    assert exit_code == 0, stderr
    # The workers code; the main process built the pipeline they share (not only checked the codebook).
    assert probe(SAMPLES, edited, fresh_project, jobs=2) == (True, True)


def test_a_token_pattern_changed_after_a_run_is_checked_by_spacy_again(tmp_path: Path, fresh_project: Path) -> None:
    edited = Path(shutil.copy(IPL_CODEBOOK, tmp_path / "edited.yaml"))
    text = edited.read_text(encoding="utf-8")
    assert "LOWER:" in text
    edited.write_text(text.replace("LOWER:", "LOWR:", 1), encoding="utf-8")
    exit_code, _, stderr = run_cli("code", SAMPLES, "-c", edited, "-p", fresh_project, "-q")
    assert exit_code == 1 and "'LOWR' is not a token attribute" in stderr, stderr


@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_default_pipeline_is_known_before_it_is_built(language: str) -> None:
    from ipl_coder.codebook.schema import load_codebook
    from ipl_coder.coding.doc_cache import pipeline_key
    from ipl_coder.coding.pipeline import Pipeline, build_pipeline, token_components

    codebook = load_codebook(IPL_CODEBOOK).in_language(language)
    expected = Pipeline(codebook)
    nlp, info = build_pipeline(codebook)
    assert (expected.info, expected.token_components) == (info, token_components(nlp))
    assert pipeline_key(expected.info, expected.token_components) == pipeline_key(info, token_components(nlp))


@pytest.mark.parametrize("language", ["xx", "qq"])  # spaCy's multi-language class without a lemmatizer; no language at all
def test_a_codebook_language_no_pipeline_has_fails_warm_as_it_does_cold(tmp_path: Path, fresh_project: Path,
                                                                         language: str) -> None:  # fmt: skip
    """Every transcript reads as English or Norwegian, so nothing needs the codebook's own language: still an error."""
    edited = tmp_path / "edited.yaml"
    edited.write_text(IPL_CODEBOOK.read_text(encoding="utf-8").replace("\nlanguage: en\n", f"\nlanguage: {language}\n", 1),
                      encoding="utf-8")  # fmt: skip
    cold = run_cli("code", SAMPLES, "-c", edited, "-p", tmp_path / "cold", "-q")
    warm = run_cli("code", SAMPLES, "-c", edited, "-p", fresh_project, "-q")  # the samples coded with ipl.yaml, cache warm
    assert cold[0] == warm[0] == 1 and cold[2] == warm[2] and f"'{language}'" in warm[2]
