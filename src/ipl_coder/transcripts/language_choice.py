"""Which language a transcript is coded in, and where that came from.

What people set wins: the transcript's front matter, then the participants
file. When nothing sets it, the language the words are detected in is used
(``code`` notes it where that is not the codebook's own language). When what is set clearly disagrees with the words, the set one
is kept and a warning says so: a wrong setting would code the text with the
wrong language's rules and find almost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ipl_coder.transcripts import Transcript
from ipl_coder.transcripts.languages import language_code
from ipl_coder.transcripts.participants import ParticipantTable, written_language

NOT_SET = "not set, and the text does not tell"


@dataclass(frozen=True)
class LanguageChoice:
    code: str | None  # None: nothing sets it and the text does not tell (or it is written as no language)
    written: str | None  # as written where it was set; None when detected or unset
    source: str  # "its front matter", "participants.csv, line 9", "detected from the text, 99% sure"
    warning: str | None = None

    @property
    def detected(self) -> bool:
        return self.code is not None and self.written is None

    @property
    def short_source(self) -> str:
        """For a table: "front matter", "participants.csv:9", "detected 99%", "not set"."""
        if self.written is None:
            return self.source.replace("detected from the text, ", "detected ").replace(" sure", "") if self.code else "not set"
        return self.source.removeprefix("its ").replace(", line ", ":")


def choose_language(transcript: Transcript, register: ParticipantTable | None) -> LanguageChoice:
    """The transcript's language: set in its front matter or the participants file, else detected from its words."""
    given = written_language(transcript.language, transcript.name, register)
    detected = transcript.detected_language
    if given is None:
        if detected is None:
            return LanguageChoice(None, None, NOT_SET)
        return LanguageChoice(detected.code, None, detected.describe())
    written, source = given
    code = language_code(written)
    if code is None or detected is None or detected.code == code:
        return LanguageChoice(code, written, source)
    warning = (f"its language is set to '{written}' (from {source}), but the text reads as '{detected.code}' "
               f"({detected.describe()}); it is coded as '{code}': correct the setting if it is wrong")  # fmt: skip
    return LanguageChoice(code, written, source, warning=warning)
