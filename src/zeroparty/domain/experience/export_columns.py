"""The columns of a response export, from the definition, and how a value becomes a CSV cell. Pure.

One column per element that takes an answer (screen order), then one per hidden field, after the response's own
columns. A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or
carriage return) as a formula: an answer such as `=HYPERLINK("http://evil", "click")` typed by a
respondent would run on the analyst's machine when the export is opened. Such text cells get a
leading `'`, which spreadsheets show as text and do not evaluate (OWASP, "CSV Injection"). Numbers
are left alone: `-3` is a number, not a formula."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zeroparty.domain.experience.model import Experience

RESPONSE_COLUMNS = ("response_id", "created_at", "completed_at", "outcome", "variant")
ANSWER_PREFIX = "answer."  # an element whose id is one of RESPONSE_COLUMNS is named with it
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportRow:
    """One response as exported: its own facts and its answers by element (or hidden field) id."""

    response_id: str
    created_at: datetime
    completed_at: datetime | None
    outcome_id: str | None
    variant: str | None
    answers: Mapping[str, Any]


def hidden_field_ids(exp: Experience) -> list[str]:
    """The keys of the hidden fields a definition declares: each is a column after the elements."""
    return [h.key for h in exp.hidden()]


def answer_ids(exp: Experience) -> list[str]:
    """The ids whose values a response holds, in column order: elements by screen (content, which
    takes no answer, left out), then hidden fields."""
    return [*(i for i, (_s, el) in exp.elements().items() if el.type != "content"), *hidden_field_ids(exp)]


def columns(exp: Experience) -> list[str]:
    return [*RESPONSE_COLUMNS, *(ANSWER_PREFIX + i if i in RESPONSE_COLUMNS else i for i in answer_ids(exp))]


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def row_values(exp_ids: Sequence[str], row: ExportRow) -> list[Any]:
    """The row's values in column order, as JSON values (None where nothing was answered)."""
    own = [row.response_id, _iso(row.created_at), _iso(row.completed_at), row.outcome_id, row.variant]
    return own + [row.answers.get(i) for i in exp_ids]


def csv_cell(value: Any) -> str:
    """A value as CSV cell text, neutralised against formula injection (see the module's text)."""
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
