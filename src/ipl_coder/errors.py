"""Every error ipl-coder raises on purpose, worded for the researcher reading it.

The CLI's single error boundary prints ``str(error)`` as one line (or several
for a codebook with several problems) and exits with status 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


def locate_byte(data: bytes, offset: int) -> tuple[int, int]:
    """The 1-based line and column of byte ``offset``, for "not UTF-8" messages."""
    before = data[:offset]
    return before.count(b"\n") + 1, offset - (before.rfind(b"\n") + 1) + 1


class IplCoderError(Exception):
    """Base class: a problem the user can fix, described in plain words."""


@dataclass(frozen=True)
class Problem:
    """One located problem in a file the user wrote."""

    path: Path
    line: int  # 1-based
    column: int  # 1-based
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class CodebookError(IplCoderError):
    """The codebook cannot be used; lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        summary = f"{count} in codebook {problems[0].path}; fix {'them' if len(problems) != 1 else 'it'} and run again"
        # The summary goes last, where the eye lands after the list.
        super().__init__("\n".join([*(str(problem) for problem in problems), summary]))

    def __reduce__(self) -> tuple[type[CodebookError], tuple[list[Problem]]]:
        return CodebookError, (self.problems,)


class TranscriptError(IplCoderError):
    """A transcript cannot be read or parsed."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.reason = message
        super().__init__(f"{path}: {message}")

    def __reduce__(self) -> tuple[type[TranscriptError], tuple[Path, str]]:
        return TranscriptError, (self.path, self.reason)  # a coding worker sends it back pickled


class InputError(IplCoderError):
    """The paths or options given on the command line do not make sense together."""


class PipelineError(IplCoderError):
    """The spaCy pipeline asked for cannot be loaded."""


class ProjectError(IplCoderError):
    """The project folder or its store cannot be used."""


class CodebookTestFailed(IplCoderError):
    """Some of a codebook's examples do not get (or do get) their code."""
