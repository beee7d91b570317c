"""Decoding transcript bytes without ever mangling them silently.

UTF-8 (with or without a BOM) and UTF-16/32 with a BOM are certain. Anything
else is a legacy file: charset-normalizer guesses its encoding, the reader
warns with the name of the guess, and a file it cannot decode confidently is
refused rather than read as gibberish.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from ipl_coder.errors import locate_byte

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)  # fmt: skip  (UTF-32 LE first: its BOM begins with UTF-16 LE's)
# Where several guesses fit equally well, these come first: Word on Windows in
# Canada and Norway saves "plain text" as Windows-1252, and a short file fits
# Central European code pages just as well, turning "å" into "ĺ".
WESTERN = ("cp1252", "iso8859_15", "latin_1", "mac_roman")
MAX_CHAOS = 0.1  # charset-normalizer's "mess" ratio above which a guess is not trusted
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # as shown to the researcher: "utf-8", "utf-16 (with BOM)", "cp1252 (guessed)"
    warning: str | None = None


class UndecodableError(ValueError):
    """The bytes are not text this reader can decode confidently; the message says why and what to do."""


def decode_transcript_bytes(raw: bytes) -> Decoded:
    for bom, codec in BOMS:
        if raw.startswith(bom):
            try:
                return Decoded(raw.decode(codec), f"{codec.removesuffix('-sig')} (with BOM)")
            except UnicodeDecodeError as error:
                raise UndecodableError(f"starts like {codec} text but is not valid {codec} (at byte {error.start})") from None
    if raw.startswith(ZIP_MAGIC):
        raise UndecodableError("this is a zip file (a Word .docx renamed?), not text; give it its real suffix")
    if b"\x00" in raw:
        raise UndecodableError("this is a binary file, not text (it holds NUL bytes)")
    try:
        return Decoded(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as error:
        line, column = locate_byte(raw, error.start)
        where = f"byte 0x{raw[error.start]:02x} on line {line}, column {column}"
    return _guess_legacy(raw, where)


def _guess_legacy(raw: bytes, where: str) -> Decoded:
    from charset_normalizer import from_bytes
    from charset_normalizer.md import mess_ratio
    from charset_normalizer.utils import is_multi_byte_encoding

    # Windows-1252 first: detectors read a short Norwegian file as Big5 or
    # Central European just as happily, and that is what Word saves here.
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and mess_ratio(text) <= MAX_CHAOS:
        return _guessed(text, "cp1252", where)
    # Legacy multi-byte guesses (Big5, Shift JIS) fit almost any bytes: never trust them.
    matches = [m for m in from_bytes(raw) if m.chaos <= MAX_CHAOS and not is_multi_byte_encoding(m.encoding)]
    if not matches:
        raise UndecodableError(
            f"not UTF-8 ({where}) and its encoding cannot be told with confidence; open it and save it as UTF-8"
        )
    least_chaos = min(match.chaos for match in matches)
    best = min(
        (match for match in matches if match.chaos <= least_chaos + 0.01),
        key=lambda match: WESTERN.index(match.encoding) if match.encoding in WESTERN else len(WESTERN),
    )
    return _guessed(str(best), best.encoding, where)


def _guessed(text: str, encoding: str, where: str) -> Decoded:
    name = encoding.replace("_", "-")
    warning = f"not UTF-8 ({where}): read as {name}, the likeliest encoding; check its æøå, or save it as UTF-8"
    return Decoded(text, f"{name} (guessed)", warning)
