"""A value as CSV cell text, safe to open in a spreadsheet. Pure.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or carriage
return) as a formula: an answer such as `=HYPERLINK("http://evil", "click")` typed by a respondent
would run on the analyst's machine when the export is opened. Such text cells get a leading `'`,
which spreadsheets show as text and do not evaluate (OWASP, "CSV Injection"). Numbers are left
alone: `-3` is a number, not a formula. Every CSV the product writes (response exports, a person's
data, the audit log) goes through `csv_cell`.
"""

from __future__ import annotations

import json
from typing import Any

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A value as CSV cell text, neutralised against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = "; ".join(str(v) for v in value) if isinstance(value, list) else _text(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
