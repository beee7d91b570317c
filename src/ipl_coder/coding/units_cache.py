"""The sentences of a transcript's participant turns, kept so that they are cut once, not on every command.

``agreement``, ``agreement --against`` and the report compare and count by
sentence, and cutting a project's sentences means loading spaCy and
tokenising every word: most of what those commands take. Researchers run
them again and again while they review, on the same texts. So the cut is
kept in ``PROJECT/cache/units/``, one JSON file per transcript, named by a
hash of everything it depends on: the text, where the participants' turns
are, the language, spaCy's version and this program's own sentence code.
Another text, other turns or a new version simply miss. A file that cannot be
read, does not end with the checksum of what was written, or does not fit the
transcript, is ignored and replaced; deleting the
folder is always safe. JSON, never pickle: reading a shared project folder
must never run code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ipl_coder import __version__
from ipl_coder.coding.doc_cache import UNITS_SUFFIX, save_entry, touch_entry
from ipl_coder.files import sources_hash, with_checksum, without_checksum
from ipl_coder.store import TurnRow

SENTENCES_FORMAT = 1  # bump when the file's layout changes
# What cuts a turn into sentences: a change to any of them is a new name for every file.
_SENTENCE_SOURCES = ("units.py", "units_cache.py", "pipeline.py", "sentences.py")

Cut = tuple[int, int, int]  # the participant turn's index among the spoken ones, and the sentence's start and end


class SentenceCache:
    """Per transcript, where its participant turns' sentences start and end (see the module's doc)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def entry(self, language: str, text: str, spoken: Sequence[TurnRow]) -> Path:
        context = json.dumps([SENTENCES_FORMAT, __version__, _sentence_hash(), _spacy_version(), language,
                              [[turn.start_char, turn.end_char] for turn in spoken]])  # fmt: skip
        digest = hashlib.sha256(context.encode("utf-8"))
        digest.update(text.encode("utf-8", "surrogatepass"))
        return self.folder / f"{digest.hexdigest()[:32]}{UNITS_SUFFIX}"

    def load(self, path: Path, spoken: Sequence[TurnRow]) -> list[Cut] | None:
        """The cuts saved for these turns; None when there is no file, or one this program did not write for them."""
        try:
            checked = without_checksum(path.read_bytes(), bound_to=path.name)
            if checked is None:
                return None  # not as this program wrote it, though it may parse: a boundary moved is a wrong figure
            cuts = [(index, start, end) for index, start, end in json.loads(checked)]
        except (OSError, ValueError, TypeError):
            return None
        for index, start, end in cuts:
            if not (type(index) is int and type(start) is int and type(end) is int and 0 <= index < len(spoken)
                    and spoken[index].start_char <= start < end <= spoken[index].end_char):  # fmt: skip
                return None
        touch_entry(path)
        return cuts

    def save(self, path: Path, cuts: Sequence[Cut]) -> None:
        save_entry(path, with_checksum(json.dumps([list(cut) for cut in cuts]).encode("utf-8"), bound_to=path.name))


@cache
def _sentence_hash() -> str:
    return sources_hash(Path(__file__).parent, _SENTENCE_SOURCES)


@cache
def _spacy_version() -> str:
    try:
        return version("spacy")
    except PackageNotFoundError:
        return "?"
