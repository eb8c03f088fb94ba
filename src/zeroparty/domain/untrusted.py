"""Checks on text and documents that come from outside: JSON bodies, form fields, definition files,
URL parameters. Each entry point runs them once, where it parses, and answers a 4xx naming the field.

Rules (docs/security.md): no unpaired UTF-16 surrogates (they cannot be encoded, stored or sent to
Braze), no NUL or other control characters (tab and newline only where a long text allows them),
nesting and number sizes bounded so that parsing can never exhaust the stack or the CPU.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from zeroparty.errors import FieldError, InvalidInput

MAX_DEPTH = 32
MAX_INT_DIGITS = 20  # larger than any 64-bit integer; Braze's numbers are 64-bit at most
MAX_KEY_LENGTH = 255

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_SINGLE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be accepted as text, or None. Never quotes the offending text."""
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
    return None


def is_blank(value: str) -> bool:
    """Whitespace-only text counts as missing."""
    return not value.strip()


def safe_for_output(value: str) -> str:
    """`value` with anything unencodable replaced, for echoing in an error message."""
    return _SURROGATE.sub("\ufffd", value)


def tree_problems(doc: Any, root: str = "body", max_depth: int = MAX_DEPTH) -> list[FieldError]:
    """Every text, key, number and nesting problem in a parsed JSON document, by field path.

    Iterative, so a deep document cannot exhaust the stack here either."""
    problems: list[FieldError] = []
    stack: list[tuple[Any, str, int]] = [(doc, root, 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > max_depth:
            problems.append(FieldError(path, f"is nested more than {max_depth} levels deep"))
            continue
        if isinstance(value, dict):
            for key, child in value.items():
                key_problem = text_problem(key) or (
                    f"is longer than {MAX_KEY_LENGTH} characters" if len(key) > MAX_KEY_LENGTH else None
                )
                if key_problem:
                    problems.append(FieldError(path, f"has a key that {key_problem}"))
                    continue
                stack.append((child, f"{path}.{key}", depth + 1))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(value))
        elif isinstance(value, str):
            problem = text_problem(value, multiline=True)
            if problem:
                problems.append(FieldError(path, problem))
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(FieldError(path, "must be a finite number"))
    problems.reverse()  # the stack visits last fields first
    return problems


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"a number has more than {MAX_INT_DIGITS} digits")
    return int(text)


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes, root: str = "body", max_depth: int = MAX_DEPTH) -> Any:
    """The JSON document in `raw`, checked by `tree_problems`; InvalidInput naming what is wrong.

    Bad UTF-8, NaN/Infinity, oversized numbers and absurd nesting are refused, never a crash."""
    try:
        doc = json.loads(raw, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError:
        raise InvalidInput(FieldError(root, f"is nested more than {max_depth} levels deep"), "malformed JSON") from None
    except UnicodeDecodeError:
        raise InvalidInput(FieldError(root, "is not valid UTF-8"), "malformed JSON") from None
    except ValueError as exc:  # JSONDecodeError, and the hooks' refusals
        raise InvalidInput(FieldError(root, f"not valid JSON: {exc}"), "malformed JSON") from None
    problems = tree_problems(doc, root, max_depth)
    if problems:
        raise InvalidInput(problems, "the request holds text or numbers that cannot be accepted")
    return doc
