"""`ipl-coder report`: one offline page, opened in a real headless Chromium; hostile transcript text stays text."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from conftest import IPL_CODEBOOK, SAMPLES, run_cli
from ipl_coder.store import NewDecision, ProjectStore

HOSTILE = "<script>alert(1)</script> and <img src=x onerror=alert(2)>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = Path(__file__).parent.parent / "build" / "report-screenshot.png"


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The samples plus a transcript with markup in it, coded, with two coders who disagree once; and its report."""
    base = tmp_path_factory.mktemp("report")
    folder = base / "transcripts"
    shutil.copytree(SAMPLES, folder)
    (folder / "HOSTILE-01.txt").write_text(f"Interviewer: Tell me.\nP1: She is a bridge, she said {HOSTILE} in the notes.\n",
                                           encoding="utf-8")  # fmt: skip
    project = base / "project"
    exit_code, _, stderr = run_cli("code", folder, "-c", IPL_CODEBOOK, "-p", project, "-q", "--jobs", "1",
                                   "--participants", folder / "participants.csv")  # fmt: skip
    assert exit_code == 0, stderr
    with ProjectStore.open(project) as store:
        first, second = list(store.segments())[:2]
        store.record_decisions([NewDecision("ana", "accept", first.segment_id, note="Clear."),
                                NewDecision("ola", "reject", first.segment_id), NewDecision("ana", "accept", second.segment_id)])  # fmt: skip
    out = base / "report.html"
    exit_code, stdout, stderr = run_cli("report", "-p", project, "-o", out, "--by", "country")
    assert exit_code == 0, stderr
    assert f"Wrote {out} (one page," in stdout
    return project, out


def test_the_page_has_every_section_with_the_right_counts(reported: tuple[Path, Path]) -> None:
    project, out = reported
    page = lxml_html.fromstring(out.read_text(encoding="utf-8"))
    assert [section.get("id") for section in page.iter("section")] == ["overview", "codes", "transcripts", "charts", "agreement"]
    with ProjectStore.open(project) as store:
        transcripts = len(store.transcripts())
        segments = list(store.segments(None))
    assert page.xpath('string(//*[@data-count="transcripts"])') == str(transcripts)
    assert page.xpath('string(//*[@data-count="segments"])') == str(len(segments))
    counted = [s for s in segments if s.status in ("pending", "accepted")]
    for code in {s.code_id for s in counted}:
        shown = page.xpath(f'string(//details[@id="code-{code}"]//*[@data-count="code-segments"])')
        assert shown == str(sum(1 for s in counted if s.code_id == code))
    assert len(page.xpath('//section[@id="charts"]//svg')) >= 4
    assert len(page.xpath('//div[contains(@class, "disagreement")]')) == 1


def test_nothing_outside_the_page_and_markup_stays_text(reported: tuple[Path, Path]) -> None:
    text = reported[1].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<img src=x" not in text
    assert len(re.findall(r"<script>", text)) == 1  # only the page's own filter script
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", text)


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium here (Debian: apt-get install chromium)")
def test_a_real_browser_shows_it_without_errors_or_requests(reported: tuple[Path, Path], tmp_path: Path) -> None:
    out = reported[1]
    netlog = tmp_path / "net.json"
    flags = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync", "--metrics-recording-only",
             "--no-default-browser-check", f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]  # fmt: skip
    environment = {**os.environ, "HOME": str(tmp_path)}
    run = subprocess.run([*flags, f"--log-net-log={netlog}", "--dump-dom", out.as_uri()], capture_output=True, text=True,
                         timeout=120, env=environment)  # fmt: skip
    if run.returncode != 0 and not run.stdout:
        pytest.skip(f"chromium cannot run here: {run.stderr.strip().splitlines()[-1:]}")
    console = [line for line in run.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
    dom = lxml_html.fromstring(run.stdout)
    assert dom.xpath("string(//body/@data-script)") == "ready"  # the filter script ran, and without errors
    assert dom.xpath('//div[@id="filters"]/@style') == ["display: block;"]
    hostile = dom.xpath('//details[contains(@class, "transcript")]//p[contains(., "alert(1)")]')
    assert hostile and "<script>alert(1)</script>" in hostile[0].text_content()  # shown as text, not run
    assert page_requests(netlog) == []
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shot = subprocess.run([*flags, f"--screenshot={SCREENSHOT}", "--window-size=1280,1800", out.as_uri()], capture_output=True,
                          text=True, timeout=120, env=environment)  # fmt: skip
    assert shot.returncode == 0 and SCREENSHOT.stat().st_size > 10_000


def page_requests(netlog: Path) -> list[str]:
    """URLs the page asked for: requests the browser makes for itself (updates, sign-in) have no origin as initiator."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [event["params"]["url"] for event in log["events"] if event["type"] == start
            and event.get("params", {}).get("initiator", "not an origin") != "not an origin"]  # fmt: skip


def test_a_page_too_big_for_one_file_becomes_a_folder(reported: tuple[Path, Path], tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import ipl_coder.report.html as report_html

    monkeypatch.setattr(report_html, "FOLDER_FROM_BYTES", 100_000)  # the samples' page is about 0.6 MB
    exit_code, stdout, stderr = run_cli("report", "-p", reported[0], "-o", tmp_path / "big.html")
    assert exit_code == 0, stderr
    index = tmp_path / "big" / "index.html"
    assert f"Wrote {index} (a folder of pages; open" in stdout and not (tmp_path / "big.html").exists()
    pages = sorted((tmp_path / "big" / "transcripts").glob("*.html"))
    assert len(pages) == 10
    links = lxml_html.fromstring(index.read_text(encoding="utf-8")).xpath('//section[@id="transcripts"]//a/@href')
    assert [tmp_path / "big" / link for link in links] == pages
    assert "alert(1)" in "".join(page.read_text(encoding="utf-8") for page in pages)


def test_bad_input_is_one_line(tmp_path: Path, reported: tuple[Path, Path]) -> None:
    exit_code, _, stderr = run_cli("report", "-p", tmp_path / "nowhere", "-o", tmp_path / "r.html")
    assert exit_code == 1 and len(stderr.strip().splitlines()) == 1
    exit_code, _, stderr = run_cli("report", "-p", reported[0], "-o", tmp_path / "r.pdf")
    assert exit_code == 1 and ".html" in stderr
    exit_code, stdout, _ = run_cli("report", "--help")
    assert exit_code == 0 and "offline" in stdout and "30 MB" in stdout


def test_a_page_found_too_big_while_it_is_written_becomes_a_folder(reported: tuple[Path, Path], tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Issue 17: the page is written a piece at a time; one that passes the limit on the way is dropped for a folder."""
    import ipl_coder.report.html as report_html

    page = reported[1].read_bytes()
    monkeypatch.setattr(report_html, "FOLDER_FROM_BYTES", len(page) - 1)  # more than its segments and texts: only the end tells
    exit_code, stdout, stderr = run_cli("report", "-p", reported[0], "-o", tmp_path / "big.html", "--by", "country")
    assert exit_code == 0, stderr
    assert "(a folder of pages; open" in stdout and not (tmp_path / "big.html").exists()
    assert list(tmp_path.glob(".big.html*")) == []  # nor the page begun
    assert len(list((tmp_path / "big" / "transcripts").glob("*.html"))) == 10
    monkeypatch.setattr(report_html, "FOLDER_FROM_BYTES", len(page))
    exit_code, stdout, stderr = run_cli("report", "-p", reported[0], "-o", tmp_path / "one.html", "--by", "country")
    assert exit_code == 0 and "(one page," in stdout, stderr
    assert (tmp_path / "one.html").read_bytes() == page  # the same page, whatever the path it was written by


def test_with_three_coders_coders_names_the_two_the_page_compares(reported: tuple[Path, Path], tmp_path: Path) -> None:
    # The page's agreement note said "name two with --coders A,B", an option the report did not have.
    project = Path(shutil.copytree(reported[0], tmp_path / "project"))
    with ProjectStore.open(project) as store:
        store.record_decisions([NewDecision("kim", "accept", next(iter(store.segments())).segment_id)])
    out = tmp_path / "three.html"
    assert run_cli("report", "-p", project, "-o", out)[0] == 0
    page = out.read_text(encoding="utf-8")
    assert "name two with --coders A,B to compare them" in page and "ana and ola, per" not in page
    exit_code, _, stderr = run_cli("report", "-p", project, "-o", out, "--coders", "ana,ola")
    assert exit_code == 0, stderr
    assert "ana and ola, per sentence" in out.read_text(encoding="utf-8")
    exit_code, _, stderr = run_cli("report", "-p", project, "-o", out, "--coders", "ana,nobody")
    assert exit_code == 1 and "no decisions by 'nobody' in this project" in stderr
