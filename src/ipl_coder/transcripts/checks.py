"""After a transcript is read, the checks a careful reader would make: is this what the interview looks like?

No rule foresees every layout. These catch the mis-reads that would otherwise
show only as counts that look fine but are wrong: a participant whose label was
missed, speech merged into one turn, labels that were not taken as speakers.
Each warning says what to check.
"""

from __future__ import annotations

from collections.abc import Sequence

from ipl_coder.transcripts import PARTICIPANT, Turn
from ipl_coder.transcripts.plain import UnreadLabel

MIN_WORDS = 200  # share-of-words checks mean little on a few lines
INTERVIEWER_SHARE = 0.5
TURN_SHARE = 0.5
MIN_TURNS = 5  # a short exchange may well be one long answer
UNREAD_LABELS = 3
SHOW = "check it with 'ipl-coder transcripts show'"


def reading_warnings(turns: Sequence[Turn], word_counts: Sequence[int], unread: Sequence[UnreadLabel]) -> list[str]:
    """Warnings about a transcript as read: who holds the words, and label-like lines left out."""
    total = sum(word_counts)
    participant = sum(count for turn, count in zip(turns, word_counts, strict=True) if turn.role == PARTICIPANT)
    warnings = []
    if total and not participant:
        warnings.append(f"no participant words: every turn is read as the interviewer's; {SHOW} and name the "
                        "interviewer's label with --interviewer")  # fmt: skip
    elif total >= MIN_WORDS and total - participant > INTERVIEWER_SHARE * total:
        warnings.append(f"the interviewer holds {(total - participant) / total:.0%} of the words: a participant's "
                        f"label may have been missed; {SHOW}")  # fmt: skip
    if total >= MIN_WORDS and len(turns) >= MIN_TURNS:
        largest = max(range(len(turns)), key=lambda index: word_counts[index])
        if word_counts[largest] > TURN_SHARE * total:
            turn = turns[largest]
            warnings.append(f"turn {turn.number} ({turn.speaker or 'unlabelled'}) holds {word_counts[largest] / total:.0%} "
                            f"of the words: labels inside it may have been missed; {SHOW}")  # fmt: skip
    if len(unread) >= UNREAD_LABELS:
        examples = ", ".join(f"'{line.label}:' on line {line.line}" for line in unread[:3])
        more = f" and {len(unread) - 3} more" if len(unread) > 3 else ""
        warnings.append(f"{len(unread)} lines start like a speaker label but were not read as one ({examples}{more}); "
                        "if they are speakers, name them in the participants file's speaker column or under "
                        "'speakers:' in the front matter")  # fmt: skip
    return warnings
