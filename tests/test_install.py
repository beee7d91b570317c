"""Installing from this folder, as ``pipx install .`` and ``pip install .`` do, for people who never run make.

What it proves: the package builds from this folder's pyproject.toml, README.md
and src/ alone; the wheel holds every module and declares every package the code
imports (so pip brings them from PyPI); installed into a new environment, away
from src/, its ``ipl-coder`` command runs and codes a transcript. What it does not
do is fetch anything: the packages ipl-coder depends on are lent from the
environment running the tests, so nothing is downloaded and it takes seconds.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import IPL_CODEBOOK, ROOT, SAMPLES

PACKAGE = ROOT / "src" / "ipl_coder"


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def run(*args: str | Path, cwd: Path) -> str:
    env = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "PYTHONHOME")}
    finished = subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, f"{args}: {finished.stderr}"
    return finished.stdout


def build_wheel(tmp_path: Path) -> Path:
    """Build the wheel as pip does for ``pip install .``: from a copy, so that this folder gets no build/ of its own."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet",
        "--wheel-dir", tmp_path / "dist", source, cwd=tmp_path)  # fmt: skip
    [wheel] = (tmp_path / "dist").glob("ipl_coder-*.whl")
    return wheel


def imported_modules() -> set[str]:
    """The top-level modules the package imports, lazily or not, other than its own and the standard library's."""
    modules: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"ipl_coder", "__future__"}


def test_the_wheel_holds_every_module_and_declares_every_import(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = next(name.split("/")[0] for name in names if name.endswith(".dist-info/METADATA"))
        metadata = archive.read(f"{dist_info}/METADATA").decode("utf-8")
        entry_points = archive.read(f"{dist_info}/entry_points.txt").decode("utf-8")
    assert {path.relative_to(PACKAGE.parent).as_posix() for path in PACKAGE.rglob("*.py")} <= names
    assert "ipl-coder = ipl_coder.cli:main" in entry_points
    required = {normal(re.split(r"[<>=!~\[; (]", line.removeprefix("Requires-Dist: "), maxsplit=1)[0])
                for line in metadata.splitlines() if line.startswith("Requires-Dist: ") and "extra ==" not in line}  # fmt: skip
    assert {"spacy", "typer", "rich"} <= required
    distributions = importlib.metadata.packages_distributions()
    for module in sorted(imported_modules()):
        assert {normal(name) for name in distributions.get(module, [])} & required, f"'{module}' is imported but not a dependency"


def test_installed_from_a_wheel_the_command_runs_on_its_own(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path)
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    python = scripts / ("python.exe" if os.name == "nt" else "python")
    site_packages = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp_path).strip())
    # Lend it this environment's packages (spaCy and the rest), after its own: what pip would fetch from PyPI.
    (site_packages / "lent-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet", wheel, cwd=tmp_path)
    where = run(python, "-c", "import ipl_coder; print(ipl_coder.__file__)", cwd=tmp_path).strip()
    assert Path(where).is_relative_to(site_packages)  # the installed copy, not src/
    command = scripts / ("ipl-coder.exe" if os.name == "nt" else "ipl-coder")
    assert run(command, "--version", cwd=tmp_path).strip() == f"ipl-coder {importlib.metadata.version('ipl-coder')}"
    project = tmp_path / "project"
    run(command, "code", SAMPLES / "NO-PSW-09.txt", "--codebook", IPL_CODEBOOK, "--project", project, "--jobs", "1", "--quiet", cwd=tmp_path)
    segments = (project / "segments.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(segments) > 1 and segments[1].split(",")[1] == "NO-PSW-09"
