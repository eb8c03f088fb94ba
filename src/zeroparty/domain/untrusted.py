"""Checks on text and documents that come from outside: JSON bodies, form fields, definition files,
URL parameters. Each entry point runs them once, where it parses, and answers a 4xx naming the field.

Rules (docs/security.md): no unpaired UTF-16 surrogates (they cannot be encoded, stored or sent to
Braze), no NUL or other control characters (tab and newline only where a long text allows them),
nesting and number sizes bounded so that parsing can never exhaust the stack or the CPU.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import unicodedata
import uuid
from datetime import date
from typing import Any

from zeroparty.errors import FieldError, InvalidInput, MalformedInput

MAX_DEPTH = 32
MAX_INT_DIGITS = 20  # larger than any 64-bit integer; Braze's numbers are 64-bit at most
MAX_KEY_LENGTH = 255

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")


# Embeddings, overrides and isolates reorder how the text around them is shown, so what a reader
# sees differs from what is stored ("Trojan Source", CVE-2021-42574). No text may hold them.
_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Format characters (Unicode category Cf) a one-line text keeps: the prepended concatenation marks,
# which are drawn (the Arabic number sign…); and the shaping controls of real writing (ZWNJ and ZWJ in
# Persian, Indic scripts and emoji sequences; the Mongolian vowel separator), right after a character
# they can act on.
_DRAWN_FORMAT = frozenset("\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd")
_SHAPING = frozenset("\u200c\u200d\u180e")
# A subdivision flag (England's, Scotland's…) is a black flag and invisible tag letters; tags
# anywhere else are invisible text.
_FLAG_TAGS = re.compile("(?<=\U0001f3f4)[\U000e0020-\U000e007e]+\U000e007f")


def _joins(before: str) -> bool:
    """Whether a shaping control may follow `before`: a character that is drawn, not a space or another
    control (a joiner at the start, after a space or after another one joins nothing: padding)."""
    return before != "" and not before.isspace() and unicodedata.category(before) not in ("Cc", "Cf", "Cs")


def _format_problem(value: str, multiline: bool) -> str | None:
    found = _BIDI_CONTROL.search(value)
    if found:
        return f"must not contain U+{ord(found.group()):04X}, an invisible control that reorders how text is shown"
    if multiline:  # long text keeps the others: zero-width spaces break Thai words, soft hyphens hyphenate
        return None
    text = _FLAG_TAGS.sub("", value)
    for i, char in enumerate(text):
        if char.isascii() or char in _DRAWN_FORMAT or unicodedata.category(char) != "Cf":
            continue
        if char not in _SHAPING:
            return f"must not contain U+{ord(char):04X}, an invisible formatting character"
        if not _joins(text[i - 1] if i else ""):
            return f"may hold U+{ord(char):04X} only right after a visible character, which it joins or shapes"
    return None


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be accepted as text, or None. Never quotes the offending text.

    One-line text (`multiline` False) refuses line breaks and tabs, and invisible format characters."""
    if _SURROGATE.search(value):
        return "is not valid Unicode (it holds an unpaired surrogate)"
    found = (_CONTROL if multiline else _CONTROL_SINGLE_LINE).search(value)
    if found:
        char = found.group()
        return (
            "must not contain a NUL character"
            if char == "\x00"
            else f"must not contain control character U+{ord(char):04X}"
        )
    return None if value.isascii() else _format_problem(value, multiline)


def is_blank(value: str) -> bool:
    """Whitespace-only text counts as missing."""
    return not value.strip()


def is_canonical_uuid(value: str) -> bool:
    """Ids we issue are lower-case hyphenated UUIDs; anything else names nothing (no lookup needed)."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def safe_for_output(value: str) -> str:
    """`value` with anything unencodable replaced, for echoing in an error message."""
    return _SURROGATE.sub("\ufffd", value)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def tree_problems(doc: Any, max_depth: int = MAX_DEPTH) -> list[FieldError]:
    """Every text, key, number and nesting problem in a parsed JSON document, by field path
    (`answers.first_name`; `body` for the document itself).

    Iterative, so a deep document cannot exhaust the stack here either."""
    problems: list[FieldError] = []
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        where = path or "body"
        if depth > max_depth:
            problems.append(FieldError(where, f"is nested more than {max_depth} levels deep"))
            continue
        if isinstance(value, dict):
            for key, child in value.items():
                key_problem = text_problem(key) or (
                    f"is longer than {MAX_KEY_LENGTH} characters" if len(key) > MAX_KEY_LENGTH else None
                )
                if key_problem:
                    problems.append(FieldError(where, f"has a key that {key_problem}"))
                    continue
                stack.append((child, _join(path, key), depth + 1))
        elif isinstance(value, list):
            stack.extend((child, f"{where}[{i}]", depth + 1) for i, child in enumerate(value))
        elif isinstance(value, str):
            problem = text_problem(value, multiline=True)
            if problem:
                problems.append(FieldError(where, problem))
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(FieldError(where, "must be a finite number"))
    problems.reverse()  # the stack visits last fields first
    return problems


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


# Longest first: UTF-32-LE's mark begins with UTF-16-LE's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "is UTF-32 (it starts with its byte order mark); send UTF-8"),
    (codecs.BOM_UTF32_BE, "is UTF-32 (it starts with its byte order mark); send UTF-8"),
    (codecs.BOM_UTF8, "starts with a UTF-8 byte order mark; send UTF-8 without one"),
    (codecs.BOM_UTF16_LE, "is UTF-16 (it starts with its byte order mark); send UTF-8"),
    (codecs.BOM_UTF16_BE, "is UTF-16 (it starts with its byte order mark); send UTF-8"),
)


def _utf8_text(raw: bytes) -> str:
    """`raw` as UTF-8 without a byte order mark (RFC 8259, section 8.1), else MalformedInput saying why.

    `json.loads` on bytes would guess UTF-16 and UTF-32 and skip a BOM; a body is read as UTF-8 only."""
    for bom, problem in _BOMS:
        if raw.startswith(bom):
            raise MalformedInput(FieldError("body", problem), "malformed JSON")
    if b"\x00" in raw:  # JSON text never holds NUL raw; UTF-16 and UTF-32 hold it around every ASCII character
        problem = "is not UTF-8: it holds NUL bytes, as UTF-16 and UTF-32 text does; send UTF-8"
        raise MalformedInput(FieldError("body", problem), "malformed JSON")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedInput(FieldError("body", "is not valid UTF-8"), "malformed JSON") from None


def parse_json(raw: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON document in `raw`, checked by `tree_problems`; InvalidInput naming what is wrong.

    Anything but UTF-8 (a BOM included), NaN/Infinity, oversized numbers and absurd nesting are
    refused, never a crash."""
    text = _utf8_text(raw)
    try:
        doc = json.loads(text, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError:
        raise MalformedInput(
            FieldError("body", f"is nested more than {max_depth} levels deep"), "malformed JSON"
        ) from None
    except ValueError as exc:  # JSONDecodeError, and the hooks' refusals
        raise MalformedInput(FieldError("body", f"not valid JSON: {exc}"), "malformed JSON") from None
    problems = tree_problems(doc, max_depth)
    if problems:
        raise InvalidInput(problems, "the request holds text or numbers that cannot be accepted")
    return doc


BLANK = "is empty; it is required"
_NOT_ONE_LINE = "must be one line: tabs and line breaks are allowed only in body and description"
_LINE_BREAK = re.compile("[\t\n\r]")
_UNPRINTABLE = re.compile("[\ud800-\udfff\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def definition_text_problem(value: str, *, multiline: bool = False, required: bool = False) -> str | None:
    """`text_problem` for a text an author wrote in a definition, saying in words what a single-line
    text may not hold; whitespace-only counts as missing when the text is `required`."""
    problem = text_problem(value, multiline=True)
    if problem is None and not multiline:
        one_line = text_problem(value)  # a line break or tab, or an invisible format character
        problem = _NOT_ONE_LINE if one_line is not None and _LINE_BREAK.search(value) else one_line
    if problem is None and required and is_blank(value):
        return BLANK
    return problem


def printable(value: str) -> str:
    """`value` as a terminal may show it on one line: surrogates, control characters (escape
    sequences included) and bidi controls become visible backslash escapes, so echoed input cannot act
    on the terminal or reorder the line."""
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], value)


def kind_of(value: object) -> str:
    """How a parsed value that is not what was expected reads to an author."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    for types, name in ((str, "text"), (int | float, "a number"), (list, "a list"), (dict, "a mapping")):
        if isinstance(value, types):
            return name
    return "a " + type(value).__name__


def not_text(value: object) -> str:
    """Why a parsed value where text belongs is not text, with what YAML made of it."""
    if isinstance(value, bool):
        return (
            f"YAML read this as the boolean {str(value).lower()}, not text "
            "(unquoted yes/no, on/off and true/false are booleans); "
            f'put it in quotes, e.g. "{"Yes" if value else "No"}"'
        )
    if value is None:
        return BLANK
    if isinstance(value, int | float):
        return "YAML read this as a number, not text; put it in quotes"
    if isinstance(value, date):
        return "YAML read this as a date, not text; put it in quotes"
    return f"should be text, not {kind_of(value)}"
