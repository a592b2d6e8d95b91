"""Text that people see: names and free text refuse characters that hide, fake or break
what others are shown (issue 19, finding 10).

Refused in names (one line):
- control characters (Unicode Cc: NUL, ESC and so ANSI escapes, CR, LF, DEL, C1 ...),
- format characters (Cf): the bidirectional embeddings, overrides and isolates
  (U+202A-U+202E, U+2066-U+2069) that reorder what is shown, the marks U+200E/U+200F
  and U+061C, the invisible ones (zero-width space U+200B, word joiner U+2060, BOM
  U+FEFF, soft hyphen U+00AD, invisible operators, interlinear annotation and tag
  characters) that make two different strings look alike or smuggle text. Only the
  zero-width non-joiner and joiner (U+200C, U+200D) are kept: Persian and Indic words
  and emoji sequences are spelt with them,
- line and paragraph separators (U+2028, U+2029) and lone surrogates (not text).

Free text of several lines (reasons, purposes, intended uses) also allows tab, LF and
CR LF (what a browser's text area sends); a CR alone is refused.

``text_problem`` says why a text is refused (pure); ``check_text`` raises the domain's
InvalidInput with the code ``invalid_text``; ``Name`` and ``FreeText`` are the pydantic
field types (the error type is ``invalid_text`` too). A record read back from the store
(validation context ``STORED``) is read as it was written.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, ValidationInfo
from pydantic_core import PydanticCustomError

from twinstudio.domain.errors import InvalidInput, Problem

CODE = "invalid_text"
# joiners that spell words (Persian, Indic scripts) and emoji: the only format characters kept
_KEPT_FORMAT = frozenset({"\u200c", "\u200d"})
_MULTILINE = frozenset({"\t", "\n"})
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def _kind(char: str) -> str:
    category = unicodedata.category(char)
    if char in _BIDI:
        return "a bidirectional override"
    if category == "Cc":
        return "a control character"
    if category == "Cs":
        return "a lone surrogate"
    if category in ("Zl", "Zp"):
        return "a line separator"
    return "an invisible format character"


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` may not be shown to others (the first bad character, by code point
    and position), or None. ``multiline``: free text, where tab, LF and CR LF are fine."""
    for index, char in enumerate(value):
        if unicodedata.category(char) not in _REFUSED_CATEGORIES or char in _KEPT_FORMAT:
            continue
        if multiline and (char in _MULTILINE
                          or (char == "\r" and value[index + 1:index + 2] == "\n")):
            continue
        allowed = ("tab and line breaks are the only control characters allowed"
                   if multiline else "a name is one line of visible text")
        return (f"contains {_kind(char)} (U+{ord(char):04X}) at position {index + 1}; "
                f"{allowed}")
    return None


def check_text(value: str, field: str, *, multiline: bool = False) -> str:
    """``value`` unchanged, or InvalidInput (code ``invalid_text``) naming ``field``."""
    problem = text_problem(value, multiline=multiline)
    if problem is not None:
        raise InvalidInput(f"{field}: {problem}", code=CODE,
                           problems=[Problem(field, problem, CODE)])
    return value


def _validator(multiline: bool) -> AfterValidator:
    def check(value: str, info: ValidationInfo) -> str:
        if (info.context or {}).get("stored"):
            return value
        problem = text_problem(value, multiline=multiline)
        if problem is not None:
            raise PydanticCustomError(CODE, "{problem}", {"problem": problem})
        return value

    return AfterValidator(check)


Name = Annotated[str, _validator(multiline=False)]
FreeText = Annotated[str, _validator(multiline=True)]
