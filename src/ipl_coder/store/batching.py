"""A run's suggestions committed about once a second, not once per transcript.

A commit waits for the disk to confirm (an fsync): about 10 ms on this
project's test machine, more on a laptop or a network drive, so a run of a few
hundred transcripts spent seconds only waiting. Within ``commits_every``, each
transcript is still saved all or nothing (a savepoint each), and one the store
refuses leaves the others in the batch as they were. The batch is committed
when the time is up and whenever the block ends, an error or Ctrl-C included,
so an interrupted run keeps every transcript it finished. Only a crash of the
computer itself can lose the last second of suggestions, which the next run
makes again; people's decisions are never written in a batch.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ipl_coder.errors import ProjectError
from ipl_coder.store.sql import write_error


class BatchedCommits:
    connection: sqlite3.Connection
    path: Path
    _commit_seconds: float | None = None  # inside commits_every: how often to commit
    _committed_at = 0.0

    @contextmanager
    def commits_every(self, seconds: float) -> Iterator[None]:
        """Within this block, save_coded_transcript commits at most every ``seconds`` (and once at its end)."""
        self._commit_seconds, self._committed_at = seconds, time.monotonic()
        try:
            yield
        finally:
            self._commit_seconds = None
            self._commit()

    @contextmanager
    def _transcript_transaction(self) -> Iterator[None]:
        """All or nothing for one transcript: a transaction of its own, or a savepoint in the open batch."""
        if self._commit_seconds is None:
            with self.connection:  # commits, or rolls back; the store words a failed write (core._Connection)
                yield
            return
        if not self.connection.in_transaction:
            self.connection.execute("BEGIN")
        self.connection.execute("SAVEPOINT transcript")
        try:
            yield
        except BaseException as error:
            self._undo_transcript()  # what the batch finished before this transcript stays
            if isinstance(error, sqlite3.Error):
                raise write_error(self.path, error) from error
            raise
        self.connection.execute("RELEASE transcript")
        if time.monotonic() - self._committed_at >= self._commit_seconds:
            self._commit()

    def _undo_transcript(self) -> None:
        try:
            self.connection.execute("ROLLBACK TO transcript")
            self.connection.execute("RELEASE transcript")
            self._commit()
        except (sqlite3.Error, ProjectError):
            self.connection.rollback()  # the disk refuses even that: the next run makes these suggestions again

    def _commit(self) -> None:
        with self.connection:  # commits whatever is open, and words a failed commit as the store does
            pass
        self._committed_at = time.monotonic()
