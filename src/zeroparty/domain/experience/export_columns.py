"""The columns of a response export, from the definition. Pure.

One column per element that takes an answer (screen order), then one per hidden field, after the
response's own columns. Each value becomes a cell through `domain/csv_cells.csv_cell`, which keeps a
spreadsheet from running a respondent's text as a formula."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zeroparty.domain.experience.model import Experience

RESPONSE_COLUMNS = ("response_id", "created_at", "completed_at", "outcome", "variant")
ANSWER_PREFIX = "answer."  # an element whose id is one of RESPONSE_COLUMNS is named with it


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
