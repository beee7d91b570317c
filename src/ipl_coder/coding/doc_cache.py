"""A cache of processed transcript pieces, so re-coding after a codebook edit skips tokenising and lemmatising.

Most of a run's time goes on what the codebook does not change: the tokenizer,
sentences and lemmas. The Docs a pipeline makes of a transcript's pieces (the
turns it codes, see ``layout.pieces``) are kept in ``PROJECT/cache/docs/`` as
one spaCy ``DocBin`` file per transcript, named by the hash of the transcript's
text and of the pipeline key: everything that could change a token. A run that
finds the file with exactly the pieces it needs, in order, runs only the
codebook's matcher on them; otherwise the whole pipeline runs and the file
is (re)written. The matcher always runs afresh, so a cached run finds what a
fresh one finds.

A file that cannot be read is coded afresh and replaced, and so is one changed
in any byte since it was written or holding another entry's Docs: it ends with a
checksum of its name and content (``files.with_checksum``), as DocBin reads a
changed lemma or another transcript's words as well as the right ones. One that cannot be
written is skipped: the cache only ever saves time, so deleting it is safe.
Entries no transcript of a run used are removed when the run ends (see
``prune``): after a run of the whole project at once, so the folder holds one
entry per transcript; after a run of some transcripts, only long-unused ones.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipl_coder.coding.pipeline import LEMMATIZER, RULE_COMPONENTS, SENTENCE_FIX, SENTENCIZER, Pipeline, PipelineInfo
from ipl_coder.errors import ProjectError
from ipl_coder.files import atomic_path, remove_leftovers, sources_hash, with_checksum, without_checksum

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# Bump whenever this file's layout changes: every older entry then misses, and is replaced. A change to
# ipl-coder's own token components misses them too, by itself: their sources are in the key (_TOKEN_SOURCES).
# 2: lemmas of NORMs, so "n't" is "not" and "it's" is "it be" (coding/clitics.py).
# 3: the default pipeline's entries hold only the attributes it sets (docbin.py).
# 4: a checksum line, of the entry's name and content (files.with_checksum).
CACHE_FORMAT = 4
# What makes a piece's tokens, sentences and lemmas: the lemmatizer and pipeline set-up, the sentence rules, the
# clitics' lemmas, what an entry keeps.
_TOKEN_SOURCES = ("pipeline.py", "sentences.py", "clitics.py", "docbin.py", "doc_cache.py")
CACHE_FOLDER = "cache"  # in the project folder; holds nothing else than this cache
DOCS_FOLDER = "docs"
CODEBOOKS_FOLDER = "codebooks"  # the last checked codebook, as JSON (codebook/saved.py)
SUFFIX = ".spacy"
SEGMENTS_SUFFIX = ".segments.json"  # each code's segments beside the Docs (segment_cache.py)
UNITS_FOLDER = "units"  # the sentences agreement and the report compare by (units_cache.py)
UNITS_SUFFIX = ".sentences.json"
READINGS_FOLDER = "learned"  # what the learned model read of each transcript (learning/reading.py)
KEEP_UNUSED_DAYS = 30  # how long a run of some transcripts keeps the entries it did not use (see prune)
DEFAULT_COMPONENTS = frozenset({SENTENCIZER, SENTENCE_FIX, LEMMATIZER})  # see docbin.py


def cache_folder(project_dir: Path) -> Path:
    return project_dir / CACHE_FOLDER


def pipeline_key(info: PipelineInfo, components: Sequence[str]) -> str:
    """A short hash of everything but the text that decides a piece's tokens, sentences and lemmas.

    ``components``: the pipeline's, but the codebook's rules (``pipeline.token_components``); for the default
    pipeline they are known without building it, so the key is too."""
    try:
        lemmas = version("simplemma")
    except PackageNotFoundError:
        lemmas = "?"
    parts = {
        "format": CACHE_FORMAT, "sources": _token_hash(), "pipeline": info.name, "fingerprint": info.fingerprint,
        "spacy": info.spacy_version, "language": info.language, "simplemma": lemmas,
        "components": list(components),
    }  # fmt: skip
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()[:16]


@functools.cache
def _token_hash() -> str:
    return sources_hash(Path(__file__).parent, _TOKEN_SOURCES)


class PieceDocs:
    """The coded Docs of a transcript's pieces: from the cache if it holds exactly these texts, else from the pipeline.

    Without a folder it is the plain pipeline, as before there was a cache.
    """

    def __init__(self, pipeline: Pipeline, folder: Path | None = None, writable: bool = True, keyed: bool = True) -> None:
        """``keyed``: False for a pipeline whose info says nothing of it (a test's): no cache, whatever ``folder``."""
        self.pipeline = pipeline  # built when the first Doc is wanted: a run that needs none never imports spaCy
        self.folder = folder if keyed else None
        self.writable = writable  # False: read the entries there are, write none (codebook diff's second codebook)
        self.key = pipeline_key(pipeline.info, pipeline.token_components) if keyed else ""
        self.reused = False  # whether the last call's Docs came from the cache
        # A model's tags, parse and entities may be in token patterns: its entries keep all that DocBin can.
        self.default = set(pipeline.token_components) <= DEFAULT_COMPONENTS
        # Whether its sentences are those ``pipeline.sentence_splitter`` cuts (the learned model takes them, coders.py):
        # the default's components on spaCy's own tokenizer. A --model folder adding no component has its own tokenizer.
        self.default_sentences = self.default and keyed and not pipeline.info.fingerprint

    @property
    def nlp(self) -> Language:
        return self.pipeline.nlp

    @functools.cached_property
    def rules(self) -> list[tuple[str, Any]]:
        return [(name, component) for name, component in self.nlp.pipeline if name in RULE_COMPONENTS]

    def docs(self, content_hash: str, texts: Sequence[str]) -> Iterator[Doc]:
        """Every text's Doc, in order, with the codebook's matches in ``doc.user_data`` (see matching.py)."""
        self.reused = False
        if self.folder is None:
            return self.nlp.pipe(texts)
        path = self._path(self.folder, content_hash, texts)
        cached = self._load(path, texts)
        if cached is not None:
            self.reused = True
            touch_entry(path)  # marks it used by this run, for prune
            return (self._match(doc) for doc in cached)
        return self._fresh(path, texts)

    def cached(self, content_hash: str, texts: Sequence[str]) -> list[Doc] | None:
        """The Docs the cache holds for exactly these texts, with no rule run on them; None when it holds none."""
        return self._load(self._path(self.folder, content_hash, texts), texts) if self.folder is not None else None

    def keep(self, content_hash: str, texts: Sequence[str]) -> None:
        """Mark the entry for these texts used by this run, though its Docs were not needed (see segment_cache.py)."""
        if self.folder is not None:
            touch_entry(self._path(self.folder, content_hash, texts))

    def _path(self, folder: Path, content_hash: str, texts: Sequence[str]) -> Path:
        # The pieces are in the name too: other turns coded (a codebook's 'speakers', --interviewer) make another entry.
        pieces = hashlib.sha256("\x00".join(texts).encode("utf-8", "surrogatepass")).hexdigest()
        return folder / f"{hashlib.sha256(f'{content_hash}|{self.key}|{pieces}'.encode()).hexdigest()[:32]}{SUFFIX}"

    def _match(self, doc: Doc) -> Doc:
        for _name, component in self.rules:
            doc = component(doc)
        return doc

    def _fresh(self, path: Path, texts: Sequence[str]) -> Iterator[Doc]:
        from spacy.tokens import DocBin

        from ipl_coder.coding.docbin import DefaultDocBin

        # The token attributes the rulers and coders read (ORTH, LEMMA, NORM, SENT_START, ...; LOWER comes from
        # ORTH), and a model's tags and parse, which token patterns may use. Saved before the rulers run, so
        # the file holds no codebook's matches.
        entry = DefaultDocBin() if self.default else DocBin(store_user_data=False)
        for doc in self.nlp.pipe(texts, disable=[name for name, _ in self.rules]):
            if self.writable:
                entry.add(doc)
            yield self._match(doc)
        if self.writable:
            save_entry(path, with_checksum(entry.to_bytes(), bound_to=path.name))

    def _load(self, path: Path, texts: Sequence[str]) -> list[Doc] | None:
        """The entry's Docs if it holds exactly ``texts``; None for a missing, stale, changed or unreadable file."""
        from spacy.tokens import DocBin

        try:
            data = without_checksum(path.read_bytes(), bound_to=path.name)
        except OSError:
            return None
        if data is None:
            return None  # not as this program wrote it under this name, though DocBin may read it: wrong words
        try:
            docs = list(DocBin().from_bytes(data).get_docs(self.nlp.vocab))
        except Exception:  # noqa: BLE001 - a damaged file fails in msgpack, zlib or spaCy, in many ways: code afresh
            return None
        if len(docs) != len(texts) or any(len(doc) and _end_char(doc) > len(text) for doc, text in zip(docs, texts, strict=True)):
            return None  # not what this file should hold (the name says which texts it holds): code afresh
        return docs


def _end_char(doc: Doc) -> int:
    """Where the Doc's last token ends; ``doc.text`` would join every token to tell."""
    last = doc[-1]
    return last.idx + len(last.text)


def touch_entry(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass  # not ours to touch: it is only pruned a run early


def save_entry(path: Path, data: bytes) -> None:
    """Write the entry atomically; a cache that cannot be written only costs time, so failing is silent."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            temporary.write_bytes(data)
    except (OSError, ProjectError):
        pass


def run_started(project_dir: Path) -> float | None:
    """The time a run starts, by the cache folder's own clock (a network drive's may differ from ours)."""
    folder = cache_folder(project_dir) / DOCS_FOLDER
    try:
        # It holds the interviews' words: as private as the project folder, or as open as a team made it.
        mode = stat.S_IMODE(project_dir.stat().st_mode)
        for level in (folder.parent, folder):
            level.mkdir(mode=mode, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".started.") as marker:
            return os.stat(marker.name).st_mtime
    except OSError:
        return None


def prune(project_dir: Path, started: float | None, every_transcript: bool) -> int:
    """Remove entries this run neither wrote nor reused; the cache's size in bytes after.

    After a run of ``every_transcript`` of the project, an entry it did not use
    is stale (an old text, an old pipeline). After a run of only some, it may
    be another transcript's, waiting for the next run of all: it goes only once
    unused for ``KEEP_UNUSED_DAYS``.
    """
    cache = cache_folder(project_dir)
    docs, units, readings = cache / DOCS_FOLDER, cache / UNITS_FOLDER, cache / READINGS_FOLDER
    for folder in (docs, units, readings):
        remove_leftovers(folder, ["*"])  # half-written entries of a killed run: ".<name>.<random>.spacy"
    long_unused = None if started is None else started - KEEP_UNUSED_DAYS * 24 * 3600
    unused = started if every_transcript else long_unused
    # The sentences and the learned model's readings are not every run's: only their age tells that they are stale.
    return (_prune(docs.glob(f"*{SUFFIX}"), unused) + _prune(docs.glob(f"*{SEGMENTS_SUFFIX}"), unused)
            + _prune(units.glob(f"*{UNITS_SUFFIX}"), long_unused) + _prune(readings.glob("*.json"), long_unused))


def _prune(entries: Iterable[Path], before: float | None) -> int:
    """Remove the entries last used before ``before`` (None: none); the others' size in bytes."""
    size = 0
    for entry in entries:
        try:
            status = entry.stat()
            if before is not None and status.st_mtime < before:
                entry.unlink()
                continue
            size += status.st_size
        except OSError:
            continue
    return size
