"""Keeping a Braze API key out of text we store or log, and what may be shown of one (`key_hint`).

Braze (or a proxy, or the transport) may echo the key back: whole, upper-cased, cut short by a
length limit. Any run of `MIN_RUN` or more consecutive characters of the key, in any case, is
redacted; a shorter run is too common in ordinary text to be evidence of the key.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count, groupby
from typing import Any

MIN_RUN = 8
PEEK_CHARS = 200
_LABEL = "redacted"
_FENCES = "#*~|<>"


def key_hint(secret: str) -> str:
    """What may be shown of a key: its last four characters."""
    return "…" + secret[-4:] if len(secret) >= 12 else "…"


def redact_key(text: str, key: str) -> str:
    """`text` with every run of ≥ MIN_RUN characters of `key` (any case) replaced by a marker.

    A key shorter than MIN_RUN is redacted only when it appears whole.
    """
    if not key or not text:
        return text
    n = min(MIN_RUN, len(key))
    folded_key = [c.casefold() for c in key]
    grams = {tuple(folded_key[i : i + n]) for i in range(len(key) - n + 1)}
    folded = [c.casefold() for c in text]  # per character, so positions stay aligned with `text`
    covered = [False] * len(text)
    for i in range(len(text) - n + 1):
        if tuple(folded[i : i + n]) in grams:
            covered[i : i + n] = [True] * n
    if not any(covered):
        return text
    marker = _marker(key, grams, n)
    runs = groupby(zip(covered, text, strict=True), key=lambda pair: pair[0])
    return "".join(marker if hit else "".join(c for _, c in run) for hit, run in runs)


def scrub(text: str, key: str) -> str:
    """Text from outside made fit to store and log: no echo of `key`, only encodable characters
    (a lone surrogate would make the database driver or a log handler fail)."""
    return redact_key(text.encode("utf-8", "backslashreplace").decode("utf-8"), key)


def peek(text: str, limit: int = PEEK_CHARS, *, total: int | None = None) -> str:
    """Text from outside (an answer's message, a proxy's error page) made fit to quote in one log
    line or stored reason: whitespace runs become one space, and past `limit` characters it is cut,
    ending with "…" and the length of the whole (`total` when `text` is already a cut of a longer
    one). The result is at most `limit` long, so peeking again changes nothing. Scrub first: a cut
    can leave too little of a key for the scrubber to recognise."""
    flat = " ".join(text.split())
    whole = len(text) if total is None else total
    if len(flat) <= limit and whole <= len(text):
        return flat
    tail = f"… ({whole:,} characters)"
    return flat[: max(limit - len(tail), 0)].rstrip() + tail


def scrub_json(value: Any, key: str) -> Any:
    """`scrub` applied to every string (keys included) in a decoded JSON value."""
    if isinstance(value, str):
        return scrub(value, key)
    if isinstance(value, dict):
        return {scrub_json(k, key): scrub_json(v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_json(v, key) for v in value]
    return value


def _marker(key: str, grams: set[tuple[str, ...]], n: int) -> str:
    # Fenced by characters the key lacks, so no run of the key can span a marker and its
    # neighbours; the label is dropped in the odd case that it holds a run of the key itself.
    folded = key.casefold()
    if "[" not in folded and "]" not in folded:
        left, right = "[", "]"
    else:
        left = right = next(c for c in _fences() if c not in folded)
    label_runs = {tuple(_LABEL[i : i + n]) for i in range(len(_LABEL) - n + 1)}
    return f"{left}{_LABEL}{right}" if not label_runs & grams else left + right


def _fences() -> Iterator[str]:
    yield from _FENCES
    yield from (chr(c) for c in count(0x2500))
