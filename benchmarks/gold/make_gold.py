"""How the gold set was made, and how its review sheets are rebuilt: ``python benchmarks/gold/make_gold.py``.

``packets``: every participant sentence of the gold interviews, numbered, as the
coders saw them (the same reader and sentence splitter as ``ipl-coder code``;
no codebook is loaded, so nothing of the rules shows).

``sheets``: the coders' labels (``labels.csv``: transcript, sentence, codes)
turned into one review sheet per half of added codes by coder ``gold``, with
``start``/``end`` in the store's coordinates and the sentence in ``text``.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from ipl_coder.coding.pipeline import sentence_splitter
from ipl_coder.transcripts.reader import TranscriptFile, read_transcript

HERE = Path(__file__).parent
HALVES = ("tuning", "reporting")
CODES = ("role", "expertise", "perspective", "boundary", "broker", "socialization")


@dataclass(frozen=True)
class Sentence:
    transcript: str
    number: int  # 1-based, in the transcript's participant turns
    turn: int
    speaker: str
    start: int
    end: int
    text: str


def sentences(path: Path) -> tuple[list[Sentence], list[tuple[int, str, str]]]:
    """The participant sentences of one transcript, and every turn (number, speaker, role) for context."""
    transcript = read_transcript(TranscriptFile(path, path.stem))
    nlp = sentence_splitter(transcript.language or "en")
    found: list[Sentence] = []
    for turn in transcript.turns:
        if turn.role == "interviewer":
            continue
        doc = nlp(transcript.turn_text(turn))
        for sentence in doc.sents:
            text = sentence.text.strip()
            if text:
                start = turn.start_char + sentence.start_char + (len(sentence.text) - len(sentence.text.lstrip()))
                found.append(Sentence(transcript.name, len(found) + 1, turn.number, turn.speaker, start, start + len(text), text))
    turns = [(turn.number, turn.speaker, transcript.turn_text(turn)) for turn in transcript.turns if turn.role == "interviewer"]
    return found, turns


def transcripts() -> list[tuple[str, Path]]:
    return [(half, path) for half in HALVES for path in sorted((HERE / half).glob("*.txt"))]


def write_packets(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for _, path in transcripts():
        found, questions = sentences(path)
        by_turn: dict[int, list[Sentence]] = {}
        for sentence in found:
            by_turn.setdefault(sentence.turn, []).append(sentence)
        lines = [f"# {path.stem}", ""]
        for number in sorted({*by_turn, *(turn for turn, _, _ in questions)}):
            if number in by_turn:
                lines.append(f"[{by_turn[number][0].speaker}]")
                lines += [f"{path.stem}#{sentence.number}: {sentence.text}" for sentence in by_turn[number]]
            else:
                lines += [f"(Interviewer: {text})" for turn, _, text in questions if turn == number]
            lines.append("")
        (out / f"{path.stem}.md").write_text("\n".join(lines), encoding="utf-8")


def write_sheets() -> None:
    labels: dict[tuple[str, int], list[str]] = {}
    with (HERE / "labels.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            codes = [code.strip() for code in row["codes"].replace(",", ";").split(";") if code.strip()]
            unknown = [code for code in codes if code not in CODES]
            if unknown:
                sys.exit(f"labels.csv: {row['transcript']}#{row['sentence']}: unknown code {unknown[0]}")
            labels[(row["transcript"], int(row["sentence"]))] = codes
    for half in HALVES:
        rows = []
        for row_half, path in transcripts():
            if row_half != half:
                continue
            found, _ = sentences(path)
            missing = [s.number for s in found if (s.transcript, s.number) not in labels]
            if missing:
                sys.exit(f"labels.csv: {path.stem} has no labels for sentences {missing[:5]}")
            for sentence in found:
                for code in labels[(sentence.transcript, sentence.number)]:
                    rows.append({"transcript": sentence.transcript, "code": code, "text": sentence.text,
                                 "start": sentence.start, "end": sentence.end, "coder": "gold", "speaker": sentence.speaker})
        with (HERE / f"{half}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, ["segment_id", "transcript", "speaker", "code", "text", "decision", "coder", "start", "end"],
                                    extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)


if __name__ == "__main__":
    if sys.argv[1:2] == ["packets"]:
        write_packets(Path(sys.argv[2]))
    elif sys.argv[1:2] == ["sheets"]:
        write_sheets()
    else:
        sys.exit("usage: make_gold.py packets OUT_FOLDER | sheets")
