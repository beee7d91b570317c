"""Edit a codebook file the way its author would: comments, key order and layout kept.

The file is read with ruamel.yaml's round-trip loader, changed in place, dumped
with the file's own indentation, validated as a whole, and only then written,
atomically. A codebook that does not validate is never edited: fix it first.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from ipl_coder.codebook.model import Codebook
from ipl_coder.codebook.schema import (
    CODE_ID,
    COLOR,
    PALETTE,
    load_codebook,
    parse_codebook_text,
)
from ipl_coder.codebook.yaml_layout import (
    append_keeping_comments,
    detect_indentation,
    give_following_lines,
    remove_keeping_comments,
    take_following_lines,
)
from ipl_coder.errors import CodebookError, InputError, ProjectError
from ipl_coder.files import atomic_file
from ipl_coder.transcripts.languages import language_code
from ipl_coder.wording import count

# Where a new key goes in a code: before the first of these that the code has.
KEYS_AFTER_RULES = ("exclude_terms", "speakers", "unit", "examples", "memo", "codes")


@dataclass(frozen=True)
class EditResult:
    path: Path
    changes: tuple[str, ...]  # what was done, one sentence each
    unchanged: tuple[str, ...] = ()  # what was asked but already so
    project_changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Place:
    """Where a code's mapping sits: ``siblings[index]``, under ``parent`` (None at the top)."""

    siblings: CommentedSeq
    index: int
    code: CommentedMap
    parent: CommentedMap | None


class EditableCodebook:
    def __init__(self, path: Path) -> None:
        self.codebook = load_codebook(path)  # raises with every problem: never edit a broken codebook
        self.path = path
        text = self.codebook.yaml_text
        self.crlf = "\r\n" in text
        self.bom = path.read_bytes().startswith(b"\xef\xbb\xbf")
        self.yaml = YAML(typ="rt")
        self.yaml.preserve_quotes = True
        self.yaml.width = 4096  # never re-wrap the author's lines
        mapping, sequence, offset = detect_indentation(text)
        self.yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        self.root: CommentedMap = self.yaml.load(text)

    def places(self) -> Iterator[_Place]:
        def walk(siblings: CommentedSeq, parent: CommentedMap | None) -> Iterator[_Place]:
            for index, entry in enumerate(siblings):
                yield _Place(siblings, index, entry, parent)
                if isinstance(entry.get("codes"), CommentedSeq):
                    yield from walk(entry["codes"], entry)

        yield from walk(self.root["codes"], None)

    def place(self, code_id: str) -> _Place:
        for place in self.places():
            if str(place.code.get("id")) == code_id:
                return place
        known = ", ".join(code.code_id for code in self.codebook.codes)
        raise InputError(f"{self.path}: no code '{code_id}'; the codes are {known}")

    def append_code(self, entry: CommentedMap, parent_id: str | None, leading: list | None = None) -> None:
        """Add ``entry`` as the last code at the top level or under ``parent_id``."""
        if parent_id is None:
            append_keeping_comments(self.root["codes"], entry, leading)
            return
        parent = self.place(parent_id).code
        if isinstance(parent.get("codes"), CommentedSeq):
            append_keeping_comments(parent["codes"], entry, leading)
            return
        following = take_following_lines(parent)
        parent["codes"] = CommentedSeq([entry])
        give_following_lines(parent, following)

    def detach(self, place: _Place, *, keep_leading: bool = False) -> tuple[CommentedMap, list | None]:
        """Take a code out of the tree, with its leading comment unless ``keep_leading``; comments after it stay."""
        code, leading, leftover = remove_keeping_comments(place.siblings, place.index, keep_leading=keep_leading)
        if place.parent is not None and not place.siblings:
            del place.parent["codes"]
            give_following_lines(place.parent, leftover)
        elif leftover:
            give_following_lines(self.root, leftover)
        return code, leading

    def render(self) -> str:
        buffer = io.StringIO()
        self.yaml.dump(self.root, buffer)
        return buffer.getvalue()

    def validated(self) -> tuple[str, Codebook]:
        """The edited text, and the codebook it gives; raises if the edit made it invalid."""
        text = self.render()
        try:
            return text, parse_codebook_text(text, self.path)
        except CodebookError as error:
            problems = "; ".join(problem.message for problem in error.problems)
            raise InputError(f"{self.path}: not changed, the edit would make the codebook invalid: {problems}") from None

    def write(self, text: str) -> None:
        if self.crlf:
            text = text.replace("\n", "\r\n")
        with atomic_file(self.path, encoding="utf-8-sig" if self.bom else "utf-8") as handle:
            handle.write(text)


def _new_position(code: CommentedMap) -> int:
    for key in KEYS_AFTER_RULES:
        if key in code:
            return list(code).index(key)
    return len(code)


def _block_list(items: Sequence[str]) -> CommentedSeq:
    return CommentedSeq(list(items))


def _unused_color(codebook: Codebook) -> str:
    used = {code.color.upper() for code in codebook.codes}
    return next((color for color in PALETTE if color not in used), PALETTE[len(codebook.codes) % len(PALETTE)])


def _finish(document: EditableCodebook, changes: list[str], unchanged: Sequence[str] = ()) -> EditResult:
    if changes:
        text, _ = document.validated()
        document.write(text)
    return EditResult(document.path, tuple(changes), tuple(unchanged))


def add_code(path: Path, code_id: str, label: str, parent_id: str | None = None, definition: str | None = None,
             color: str | None = None, terms: Sequence[str] = ()) -> EditResult:  # fmt: skip
    document = EditableCodebook(path)
    if not CODE_ID.match(code_id):
        raise InputError(f"code id '{code_id}' may only hold letters, digits, '_', '-' and '.'")
    if any(code.code_id == code_id for code in document.codebook.codes):
        raise InputError(f"{path}: there is already a code '{code_id}'; pick another id")
    if color is not None and not COLOR.match(color):
        raise InputError(f"colour '{color}' is not #RRGGBB, such as #4E79A7")
    entry = CommentedMap()
    entry["id"] = code_id
    entry["label"] = label
    entry["color"] = DoubleQuotedScalarString((color or _unused_color(document.codebook)).upper())
    if definition:
        entry["definition"] = definition
    if terms:
        entry["terms"] = _block_list(terms)
    document.append_code(entry, parent_id)
    where = f"under '{parent_id}'" if parent_id else "at the top level"
    rules = f" with {len(terms)} term{'s' if len(terms) != 1 else ''}" if terms else " (no rules yet: add terms with add-term)"
    return _finish(document, [f"Added code '{code_id}' ({label}) {where}{rules}."])


def add_terms(path: Path, code_id: str, terms: Sequence[str], language: str | None = None) -> EditResult:
    document = EditableCodebook(path)
    place = document.place(code_id)
    wanted = language_code(language) if language else document.codebook.language
    if wanted is None:
        raise InputError(f"language '{language}' is not a language code such as en or nb")
    view = document.codebook.in_language(wanted).code(code_id)
    present = {term.casefold() for term in (view.term_rule.terms if view.term_rule else ())}
    added, unchanged = [], []
    for term in (" ".join(term.split()) for term in terms):
        if not term:
            continue
        if term.casefold() in present:
            unchanged.append(f"'{term}' is already a term of '{code_id}'.")
            continue
        present.add(term.casefold())
        added.append(term)
    if added:
        _put_terms(place.code, wanted, document.codebook.language, added)
    where = f" ({wanted})" if wanted != document.codebook.language else ""
    changes = [f"Added {len(added)} term{'s' if len(added) != 1 else ''} to '{code_id}'{where}: {', '.join(added)}."] if added else []
    return _finish(document, changes, unchanged)


def _put_terms(code: CommentedMap, language: str, codebook_language: str, added: list[str]) -> None:
    """Append to the code's term list in ``language``, making it (or a per-language mapping) if need be."""
    terms = code.get("terms")
    if terms is None:
        value = _block_list(added) if language == codebook_language else CommentedMap([(language, _block_list(added))])
        position = _new_position(code)
        following = take_following_lines(code) if position == len(code) else ""
        code.insert(position, "terms", value)
        give_following_lines(code, following)
    elif isinstance(terms, CommentedSeq) and language == codebook_language:
        for term in added:
            append_keeping_comments(terms, term)
    elif isinstance(terms, CommentedSeq):
        following = take_following_lines(terms)
        code["terms"] = CommentedMap([(codebook_language, terms), (language, _block_list(added))])
        give_following_lines(code["terms"], following)
    else:
        written = next((key for key in terms if language_code(str(key)) == language), None)
        if written is not None and isinstance(terms[written], CommentedSeq):
            for term in added:
                append_keeping_comments(terms[written], term)
            return
        following = take_following_lines(terms)
        terms[written if written is not None else language] = _block_list(added)
        give_following_lines(terms, following)


def remove_code(path: Path, code_id: str, project_dir: Path | None = None, *, force: bool = False,
                with_sub_codes: bool = False) -> EditResult:  # fmt: skip
    document = EditableCodebook(path)
    place = document.place(code_id)
    family = [code_id, *(code.code_id for code in document.codebook.descendants(code_id))]
    if len(family) > 1 and not with_sub_codes:
        raise InputError(
            f"'{code_id}' has sub-codes ({', '.join(family[1:])}); move them first with 'ipl-coder codebook move', "
            "or pass --with-sub-codes to remove them too"
        )
    if len(document.codebook.codes) == len(family):
        raise InputError(f"'{code_id}' is the last code: a codebook needs at least one")
    notes = []
    if project_dir is not None:
        from ipl_coder.store import ProjectStore

        with ProjectStore.open(project_dir) as store:
            work = store.human_work(family)
        if work:
            summary = "; ".join(f"'{item.code_id}': {count(item.decided_segments, 'decided segment')}, {count(item.decisions, 'decision')}"
                                for item in work)  # fmt: skip
            if not force:
                raise ProjectError(
                    f"{project_dir} holds people's decisions on it ({summary}); nothing was removed. "
                    "Pass --force to remove the code anyway: the decisions stay in the project"
                )
            notes.append(f"The project keeps the decisions on it ({summary}).")
    document.detach(place, keep_leading=True)
    removed = f"'{code_id}'" + (f" and its sub-codes {', '.join(family[1:])}" if len(family) > 1 else "")
    result = _finish(document, [f"Removed {removed}."])
    return EditResult(result.path, result.changes, project_changes=tuple(notes))


def move_code(path: Path, code_id: str, parent_id: str | None) -> EditResult:
    document = EditableCodebook(path)
    place = document.place(code_id)
    if parent_id is not None:
        below = {code.code_id for code in document.codebook.descendants(code_id)}
        if parent_id == code_id or parent_id in below:
            raise InputError(f"cannot move '{code_id}' under '{parent_id}': that is the code itself or one of its sub-codes")
        document.place(parent_id)  # says which codes there are if there is no such code
    old_parent_id = str(place.parent["id"]) if place.parent is not None else None
    if old_parent_id == parent_id:
        where = f"under '{parent_id}'" if parent_id else "at the top level"
        return _finish(document, [], [f"'{code_id}' is already {where}."])
    code, leading = document.detach(place)
    document.append_code(code, parent_id, leading)
    where = f"under '{parent_id}'" if parent_id else "to the top level"
    return _finish(document, [f"Moved '{code_id}' {where} (from {f'under {old_parent_id!r}' if old_parent_id else 'the top level'})."])


def rename_code(path: Path, old_id: str, new_id: str, project_dir: Path | None = None) -> EditResult:
    """Rename a code in the codebook and, with a project, in its segments and decisions too."""
    document = EditableCodebook(path)
    place = document.place(old_id)
    if not CODE_ID.match(new_id):
        raise InputError(f"code id '{new_id}' may only hold letters, digits, '_', '-' and '.'")
    if any(code.code_id == new_id for code in document.codebook.codes):
        raise InputError(f"{path}: there is already a code '{new_id}'; pick another id")
    place.code["id"] = new_id
    text, renamed = document.validated()
    changes = [f"Renamed '{old_id}' to '{new_id}' (its rule ids now start '{new_id}:')."]
    if project_dir is None:
        document.write(text)
        return EditResult(path, tuple(changes))
    from ipl_coder.coding.exports import write_project_exports
    from ipl_coder.store import ProjectStore

    with ProjectStore.open(project_dir, lock="exclusive") as store:
        outcome = store.rename_code(old_id, new_id, renamed, before_commit=lambda: document.write(text))
        write_project_exports(store, project_dir, store.export_statuses())  # what the latest run counted
    project_changes = [f"In {project_dir}: {count(outcome.segments, 'segment')} and {count(outcome.decisions, 'decision')} now have "
                       f"'{new_id}'; the exported files are rewritten."]  # fmt: skip
    if outcome.replaced_suggestions:
        were = "was" if outcome.replaced_suggestions == 1 else "were"
        project_changes.append(f"{count(outcome.replaced_suggestions, 'pending suggestion')} already under '{new_id}' {were} merged into them.")
    return EditResult(path, tuple(changes), project_changes=tuple(project_changes))
