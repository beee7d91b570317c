"""The spaCy pipeline that codes transcripts, with the codebook compiled into it.

The default is a blank pipeline for the codebook's language, spaCy's rule-based
sentencizer, and a lemmatizer built on simplemma (chosen over
spacy-lookups-data: it installs from PyPI, needs no network, covers English,
Norwegian Bokmål and Swedish, and does not turn "broker" into "broke"; see
docs/performance.md). The codebook's rules go last, into one component
(``matching.CodebookMatcher``: spaCy's PhraseMatcher on lemmas and on lower-case
forms, and its Matcher for token patterns), which leaves its hits in
``doc.user_data[MATCHES]``.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ipl_coder.codebook.model import Codebook
from ipl_coder.coding.clitics import BE_BEFORE_S, CLITIC_LEMMAS, AmbiguousClitics, straight
from ipl_coder.coding.matching import RULES, CodebookMatcher, is_exact, unquote
from ipl_coder.errors import PipelineError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

LEMMATIZER = "ipl_lemmatizer"
SENTENCE_FIX = "ipl_sentence_openers"
SENTENCIZER = "ipl_sentencizer"  # spaCy's sentencizer reading arrays (sentences.py)
RULE_COMPONENTS = (RULES,)  # what the codebook adds; the rest decides tokens (see doc_cache.py)
DEFAULT_TOKEN_COMPONENTS = (SENTENCIZER, SENTENCE_FIX, LEMMATIZER)  # the blank default's, in order, before the rules


@dataclass(frozen=True)
class PipelineInfo:
    name: str  # "blank:en+simplemma" or the loaded pipeline's name
    spacy_version: str
    language: str
    # For a loaded pipeline, a hash of what it is (see ``model_fingerprint``): its name and version stay the same
    # when a folder is saved again over the old one, or another folder is saved from the same template.
    fingerprint: str = ""


class SimplemmaLemmatizer:
    """Sets each token's lemma to simplemma's lower-case lemma of its NORM, cached per NORM.

    The NORM is the lower-case form, except where spaCy's tokenizer exceptions
    say what a form stands for: "n't" is "not", "'m" is "am", "’ve" is "have"
    (see coding/clitics.py, which also reads the ambiguous "'s" and "'d").
    It works on whole attribute arrays rather than Token objects: creating a
    Python object per word cost more than the rest of the pipeline together.
    """

    def __init__(self, language: str) -> None:
        import simplemma

        self.language = language
        # The streamed word lists: the same lemmas as the full ones (checked on every word of the samples and the gold
        # set), a seventh of the memory (Norwegian: 10 MB, not 70), and each word is looked up once per run anyway.
        self.lemmatize = functools.partial(simplemma.lemmatize, low_memory=True)
        self.clitics = CLITIC_LEMMAS.get(language, {})
        self.ambiguous: AmbiguousClitics | None = None  # made with the first Doc's strings
        self.cache: dict[int, int] = {}  # NORM's hash -> lemma's hash

    def lemma(self, norm: str) -> str:
        form = straight(norm)
        if form in self.clitics:
            return self.clitics[form]
        return self.lemmatize(form, lang=self.language).lower() if form.isalpha() or "-" in form else form.lower()

    def __call__(self, doc: Doc) -> Doc:
        import numpy
        from spacy.attrs import LEMMA, NORM

        strings, cache = doc.vocab.strings, self.cache
        norms = doc.to_array(NORM).tolist()
        lemma_hashes = []
        for norm_hash in norms:
            lemma_hash = cache.get(norm_hash)
            if lemma_hash is None:
                lemma_hash = cache[norm_hash] = strings.add(self.lemma(strings[norm_hash]))
            lemma_hashes.append(lemma_hash)
        if self.language in BE_BEFORE_S:
            if self.ambiguous is None:
                self.ambiguous = AmbiguousClitics(self.language, strings)
            self.ambiguous.read(norms, lemma_hashes)
        doc.from_array([LEMMA], numpy.array(lemma_hashes, dtype="uint64").reshape(-1, 1))  # type: ignore[arg-type]  # thinc's Ints2d is this array
        return doc


class Pipeline:
    """A codebook's pipeline, built when first wanted, and what it is, known before: for the blank default without
    spaCy, so a run that finds every transcript's segments in the cache (segment_cache.py) never imports it.

    A ``model`` is loaded at once: its fingerprint needs it, and a bad one must fail before anything is written.
    """

    def __init__(self, codebook: Codebook, model: str | None = None, built: tuple[Language, PipelineInfo] | None = None) -> None:
        """``built``: a pipeline built already for ``codebook`` (a test's, say), and what it is."""
        self.codebook = codebook
        self._nlp: Language | None = None
        if model and not built:
            built = build_pipeline(codebook, model)
        if built:
            self._nlp, self.info = built
            self.token_components = token_components(self._nlp)
        else:
            self.info = PipelineInfo(blank_pipeline_name(codebook.language), _spacy_version(), codebook.language)
            self.token_components = DEFAULT_TOKEN_COMPONENTS
            if not _blank_builds(codebook.language):
                self.nlp  # noqa: B018 - now: its error, as a run that builds it at once gives, before anything is written

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            nlp, info = build_pipeline(self.codebook)
            # The cache's keys were made of what it would be (doc_cache.pipeline_key): it must be just that.
            if (info, token_components(nlp)) != (self.info, self.token_components):
                raise PipelineError(f"the pipeline built for '{self.codebook.language}' is not the one expected ({info.name}, "
                                    f"{info.language}, spaCy {info.spacy_version}): report this")  # fmt: skip
            self._nlp = nlp
        return self._nlp


def token_components(nlp: Language) -> tuple[str, ...]:
    """The components that decide tokens, sentences and lemmas: all but the codebook's rules."""
    return tuple(name for name in nlp.pipe_names if name not in RULE_COMPONENTS)


def _blank_builds(language: str) -> bool:
    """Whether the blank default surely builds for ``language``, asked without importing spaCy: simplemma has its
    words, and spaCy a module for it. False sends the caller to build it (a language a spaCy plugin adds builds)."""
    from importlib.util import find_spec

    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    spec = find_spec("spacy")
    folders = spec.submodule_search_locations if spec else None
    return language in SUPPORTED_LANGUAGES and any((Path(folder) / "lang" / language / "__init__.py").is_file()
                                                   for folder in folders or ())  # fmt: skip


def _spacy_version() -> str:
    """spaCy's version as ``spacy.__version__`` says it, without importing spaCy."""
    from importlib.metadata import version

    return version("spacy")


def _register_components() -> None:
    from spacy.language import Language

    from ipl_coder.coding.sentences import ArraySentencizer, keep_openers_with_next_sentence

    if not Language.has_factory(SENTENCE_FIX):
        Language.component(SENTENCE_FIX, func=keep_openers_with_next_sentence)
    if not Language.has_factory(SENTENCIZER):

        @Language.factory(SENTENCIZER, default_config={"punct_chars": None, "overwrite": False})
        def make_sentencizer(nlp: Language, name: str, punct_chars: list[str] | None, overwrite: bool) -> ArraySentencizer:
            return ArraySentencizer(name, punct_chars=punct_chars, overwrite=overwrite)
    if not Language.has_factory(LEMMATIZER):

        @Language.factory(LEMMATIZER, default_config={"language": "en"})
        def make_lemmatizer(nlp: Language, name: str, language: str) -> SimplemmaLemmatizer:
            return SimplemmaLemmatizer(language)

    if not Language.has_factory(RULES):

        @Language.factory(RULES)
        def make_rules(nlp: Language, name: str) -> CodebookMatcher:
            return CodebookMatcher(nlp, name)


def build_pipeline(codebook: Codebook, model: str | None = None) -> tuple[Language, PipelineInfo]:
    """A pipeline for ``codebook``: ``model`` if given (a name or a path), else the blank default.

    A model brings its own language; the codebook's rules in that language go into it.
    """
    import spacy
    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    _register_components()
    if model:
        nlp = _load_model(model)
        name = f"{nlp.meta.get('lang', '?')}_{nlp.meta.get('name', model)}-{nlp.meta.get('version', '?')}"
        fingerprint = model_fingerprint(nlp)
    else:
        try:
            nlp = spacy.blank(codebook.language)
        except ImportError:
            raise PipelineError(f"spaCy has no language '{codebook.language}': fix 'language' in the codebook") from None
        name, fingerprint = blank_pipeline_name(codebook.language), ""
    language = nlp.lang
    if language is None:
        raise PipelineError(f"the pipeline '{name}' names no language; use one made for a language, such as en_core_web_sm")
    if not ({"parser", "senter", "sentencizer"} & set(nlp.pipe_names)):
        nlp.add_pipe(SENTENCIZER, first=True)
        nlp.add_pipe(SENTENCE_FIX, after=SENTENCIZER)
    if "lemmatizer" not in nlp.pipe_names and "trainable_lemmatizer" not in nlp.pipe_names:
        if language not in SUPPORTED_LANGUAGES:
            raise PipelineError(f"no offline lemmatizer for language '{language}': use --model with a pipeline for it")
        nlp.add_pipe(LEMMATIZER, config={"language": language})
    add_codebook_rules(nlp, codebook.in_language(language))
    return nlp, PipelineInfo(name=name, spacy_version=spacy.__version__, language=language, fingerprint=fingerprint)


def model_fingerprint(nlp: Language) -> str:
    """A short hash of a loaded pipeline: its config and tokenizer rules, and every file of its folder by size and time.

    The cache's entries are keyed by it (doc_cache.py): a folder trained or saved again in place keeps its name
    and version, yet may split, tag or lemmatise otherwise. Its files are taken by size and modification time
    (their content can be hundreds of megabytes); the config and tokenizer, small, by content.
    """
    digest = hashlib.sha256(nlp.config.to_str().encode("utf-8"))
    to_bytes = getattr(nlp.tokenizer, "to_bytes", None)
    if to_bytes is not None:
        digest.update(to_bytes())
    folder = getattr(nlp, "_path", None)  # where spacy.load read it from: a folder, or an installed package's
    if folder is not None:
        for file in sorted(Path(folder).rglob("*")):
            try:
                if file.is_file():
                    status = file.stat()
                    digest.update(f"{file.relative_to(folder)}|{status.st_size}|{status.st_mtime_ns}\n".encode())
            except OSError:
                digest.update(f"{file.relative_to(folder)}|?\n".encode())
    return digest.hexdigest()[:16]


def sentence_splitter(language: str) -> Language:
    """Only the sentence splitting the default pipeline codes with: sentences as the coding unit sees them."""
    import spacy

    _register_components()
    try:
        nlp = spacy.blank(language)
    except ImportError:
        nlp = spacy.blank("xx")  # a language spaCy lacks still splits on punctuation
    nlp.add_pipe(SENTENCIZER)
    nlp.add_pipe(SENTENCE_FIX, after=SENTENCIZER)
    return nlp


def blank_pipeline_name(language: str) -> str:
    return f"blank:{language}+simplemma"


def _load_model(model: str) -> Language:
    import spacy

    try:
        return spacy.load(model)
    except OSError:
        raise PipelineError(
            f"cannot load the spaCy pipeline '{model}': it is not installed here. "
            "Install its package with pip, give the path of a pipeline folder, or leave out --model"
        ) from None


def add_codebook_rules(nlp: Language, codebook: Codebook) -> None:
    matcher = nlp.add_pipe(RULES, last=True)
    assert isinstance(matcher, CodebookMatcher)
    matcher.add_codebook(codebook)


__all__ = ["RULES", "CodebookMatcher", "is_exact", "unquote"]  # re-exported: lint and tests read them here
