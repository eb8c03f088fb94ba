"""JSON as it goes over the wire and into the delivery's statements: compact UTF-8, no NaN or
infinities.

The delivery's hot path encodes every profile update more than once (its size, the request body,
the record of what Braze holds), so this uses orjson, several times faster than the standard
library, wherever its output means what `json.dumps(obj, separators=(",", ":"),
ensure_ascii=False, allow_nan=False)` would. Where orjson would differ the standard library
decides: orjson writes NaN and infinities as `null`, so an output holding `null` is encoded again
(which also raises the standard library's error for a non-finite number); it refuses integers
beyond 64 bits, keys that are not strings and lone surrogates, and with the options below it
refuses dates, dataclasses and subclasses of the basic types too, so those are encoded by the
standard library, which writes the first two and raises for the rest, as it always did. Floats may
be spelt differently (`0.00001` for `1e-05`), never valued differently. Pure: no I/O.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_NULL = b"null"
_AS_STANDARD = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def _standard(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def dumps(obj: Any) -> bytes:
    """`obj` as compact UTF-8 JSON. Raises ValueError (UnicodeEncodeError for a lone surrogate)
    for NaN or infinities, TypeError for what JSON cannot carry, RecursionError when too deep."""
    try:
        out = orjson.dumps(obj, option=_AS_STANDARD)
    except orjson.JSONEncodeError:
        return _standard(obj)
    return _standard(obj) if _NULL in out else out


def dumps_text(obj: Any) -> str:
    """`dumps` as text, for a statement's parameter."""
    return dumps(obj).decode()
