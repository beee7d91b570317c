"""What ``ipl-coder learn`` trained on, and the learned model's reasons, as the store keeps them.

The model itself lives in the project folder (see :mod:`ipl_coder.learning`);
the store records each training: when, where, with what seed and precision asked for,
from the decisions up to which one, and per code how many passages it learned
from or that it had too few. A model suggestion's reason is kept with the
segment, as JSON, so every export can show it without the model.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from ipl_coder.store.rows import LearnedCode, LearnedModelRow, ModelReason, SimilarPassage
from ipl_coder.store.sql import now


def reason_json(reason: ModelReason | None) -> str:
    if reason is None:
        return "{}"  # not known: a suggestion read back from a .qdpx file
    return json.dumps({
        "model_id": reason.model_id,
        "words": [[word, round(weight, 4)] for word, weight in reason.words],
        "similar": [{"transcript": item.transcript, "text": item.text, "similarity": round(item.similarity, 4)}
                    for item in reason.similar],
    }, ensure_ascii=False)  # fmt: skip


def reason_from_json(text: str) -> ModelReason | None:
    values = json.loads(text or "{}")
    if "model_id" not in values:
        return None
    return ModelReason(
        model_id=int(values["model_id"]),
        words=tuple((str(word), float(weight)) for word, weight in values.get("words", [])),
        similar=tuple(SimilarPassage(item["transcript"], item["text"], float(item["similarity"]))
                      for item in values.get("similar", [])),
    )  # fmt: skip


class LearnedQueries:
    connection: sqlite3.Connection

    def last_decision(self) -> tuple[int | None, str | None]:
        """The id and time of the latest decision in the project: what a training learns from is up to it."""
        row = self.connection.execute("SELECT decision_id, decided_at FROM decisions ORDER BY decision_id DESC LIMIT 1").fetchone()
        return (int(row["decision_id"]), row["decided_at"]) if row else (None, None)

    def record_learned_model(self, *, folder: str, seed: int, precision: float, last_decision: tuple[int | None, str | None],
                             transcripts: int, units: int, seconds: float, spacy_version: str, ipl_coder_version: str,
                             codes: Sequence[LearnedCode]) -> int:  # fmt: skip
        """Record one training and its codes; returns the model's id."""
        with self.connection:
            cursor = self.connection.execute(
                "INSERT INTO learned_models (trained_at, folder, seed, precision_target, last_decision_id, last_decided_at,"
                " transcripts, units, seconds, spacy_version, ipl_coder_version) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (now(), folder, seed, precision, *last_decision, transcripts, units, seconds, spacy_version, ipl_coder_version),
            )  # fmt: skip
            model_id = int(cursor.lastrowid or 0)
            self.connection.executemany(
                "INSERT INTO learned_codes (model_id, code_id, positives, negatives, from_examples, trained, suggested)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(model_id, code.code_id, code.positives, code.negatives, code.from_examples, int(code.trained),
                  None if code.suggested is None else int(code.suggested)) for code in codes],
            )  # fmt: skip
        return model_id

    def learned_model(self, model_id: int | None = None) -> LearnedModelRow | None:
        """The latest training (or the one with ``model_id``), if any."""
        row = self.connection.execute(
            "SELECT * FROM learned_models WHERE (? IS NULL OR model_id = ?) ORDER BY model_id DESC LIMIT 1",
            (model_id, model_id),
        ).fetchone()
        if row is None:
            return None
        codes = tuple(
            LearnedCode(code["code_id"], code["positives"], code["negatives"], code["from_examples"], bool(code["trained"]),
                        None if code["suggested"] is None else bool(code["suggested"]))
            for code in self.connection.execute(
                "SELECT * FROM learned_codes WHERE model_id = ? ORDER BY rowid", (row["model_id"],))
        )  # fmt: skip
        return LearnedModelRow(
            model_id=row["model_id"], trained_at=row["trained_at"], folder=row["folder"], seed=row["seed"],
            precision=row["precision_target"], last_decision_id=row["last_decision_id"], last_decided_at=row["last_decided_at"],
            transcripts=row["transcripts"], units=row["units"], seconds=row["seconds"], codes=codes,
        )  # fmt: skip
