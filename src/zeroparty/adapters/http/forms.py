"""Strict parsing of the hosted pages' form posts.

Browsers send `application/x-www-form-urlencoded` UTF-8. Starlette's parser quietly turns bytes that are
not UTF-8 into replacement characters; here they are refused, naming the field, before anything is
stored, and every value passes the untrusted-text rules.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from zeroparty.domain.untrusted import text_problem
from zeroparty.errors import FieldError, InvalidInput, MalformedInput

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS = 200


def _decode(part: str) -> str:
    """One percent-encoded name or value; UnicodeDecodeError when its bytes are not UTF-8."""
    return unquote_to_bytes(part.replace("+", " ")).decode("utf-8")


def parse_form(content_type: str | None, body: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs of a form post, in order; MalformedInput/InvalidInput naming the field."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media != FORM_TYPE:
        raise MalformedInput(FieldError("content-type", f"must be {FORM_TYPE}"), "unsupported form encoding")
    try:
        text = body.decode("ascii")
    except UnicodeDecodeError:
        raise MalformedInput(FieldError("body", "a form post must be percent-encoded"), "malformed form") from None
    parts = [p for p in text.split("&") if p]
    if len(parts) > MAX_FORM_FIELDS:
        raise MalformedInput(FieldError("body", f"more than {MAX_FORM_FIELDS} fields"), "malformed form")
    pairs: list[tuple[str, str]] = []
    problems: list[FieldError] = []
    for part in parts:
        raw_name, _, raw_value = part.partition("=")
        try:
            name = _decode(raw_name)
        except UnicodeDecodeError:
            problems.append(FieldError("body", "a field name is not valid UTF-8"))
            continue
        if text_problem(name):
            problems.append(FieldError("body", f"a field name {text_problem(name)}"))
            continue
        try:
            value = _decode(raw_value)
        except UnicodeDecodeError:
            problems.append(FieldError(name, "is not valid UTF-8"))
            continue
        # Line breaks are for a text area to send; each element's own check refuses them elsewhere.
        problem = text_problem(value, multiline=True)
        if problem:
            problems.append(FieldError(name, problem))
            continue
        pairs.append((name, value))
    if problems:
        raise InvalidInput(problems, "the form holds text that cannot be accepted")
    return pairs
