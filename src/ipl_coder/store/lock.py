"""One command changing a project at a time.

``code`` and a codebook rename take the project for themselves; review
sessions and sheet imports share it with each other (decisions are small
transactions SQLite keeps apart), but not with a run that replaces the
suggestions under them. Reading (``freq``, ``agreement``, exports) takes no
lock. The lock is an operating-system lock on ``project.lock``: it goes when
the command ends, however it ends, so a crash never leaves a project locked.
On systems without ``fcntl`` (Windows) there is no lock, and the docs say so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Literal

from ipl_coder.errors import ProjectError
from ipl_coder.files import new_file_permissions

LOCK_FILENAME = "project.lock"
LockKind = Literal["shared", "exclusive"]


class ProjectLock:
    def __init__(self, handle: IO[bytes] | None) -> None:
        self.handle = handle

    @classmethod
    def take(cls, project_dir: Path, kind: LockKind) -> ProjectLock:
        try:
            import fcntl
        except ImportError:
            return cls(None)
        path = project_dir / LOCK_FILENAME
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, new_file_permissions(project_dir))
        except OSError as error:
            raise ProjectError(f"{path}: cannot open the project's lock file: {error.strerror}") from None
        handle = os.fdopen(descriptor, "r+b")
        try:
            fcntl.flock(handle, (fcntl.LOCK_EX if kind == "exclusive" else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ProjectError(_busy(project_dir, kind)) from None
        except OSError:
            return cls(handle)  # a file system that cannot lock (some network drives): go on, as without fcntl
        return cls(handle)

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # closing the file releases the lock
            self.handle = None


def _busy(project_dir: Path, kind: LockKind) -> str:
    if kind == "exclusive":
        return (f"{project_dir}: another ipl-coder command is working on this project (a 'code' run, a review or a "
                "sheet import); wait until it has finished, then run this again")  # fmt: skip
    return f"{project_dir}: 'ipl-coder code' or a codebook rename is changing this project; wait until it has finished, then run this again"
