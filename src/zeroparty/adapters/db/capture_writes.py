"""What submits write, held back and then written together: each table's rows for every submit of
a group commit go in one statement (an executemany), not one statement per submit and table.

Why: each statement costs SQLAlchemy tens of microseconds of Python before SQLite does anything,
and a whole response took eight of them; the writer thread, through which every submit passes,
spent most of its time there (py-spy on benchmarks/capture.py; docs/capture.md, "Throughput").

`SqlCaptureUnit` flushes before any read the held rows could change (the response they write,
the count of complete responses), so what a submit reads is what it would read had every earlier
submit been written at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from zeroparty.adapters.db.outbox_sql import queue, rows
from zeroparty.adapters.db.schema import answers, consent_records, responses
from zeroparty.services.ports import ResponseExists, ResponseWrite

# Built once: building them again on every submit (and keying them for SQLAlchemy's compiled
# cache) cost more than running them. An update's SET clause is the columns its parameters name.
_INSERT_RESPONSE = sa.insert(responses)
_UPDATE_RESPONSE = sa.update(responses).where(responses.c.id == sa.bindparam("b_id"))
_CLEAR_ANSWER = sa.delete(answers).where(
    answers.c.response_id == sa.bindparam("b_id"), answers.c.element_id == sa.bindparam("b_element")
)
_INSERT_ANSWER = sa.insert(answers)
_INSERT_CONSENT = sa.insert(consent_records)


@dataclass(frozen=True)
class _Held:
    write: ResponseWrite
    now: datetime
    keys: dict[int, str]  # destination id -> the key it names the user by; empty: nothing to queue


class PendingWrites:
    """Writes not yet in the database, in the order they were made."""

    def __init__(self) -> None:
        self._held: list[_Held] = []

    def __bool__(self) -> bool:
        return bool(self._held)

    def __len__(self) -> int:
        return len(self._held)

    def touches(self, response_id: str) -> bool:
        return any(h.write.response_id == response_id for h in self._held)

    def hold(self, w: ResponseWrite, now: datetime, keys: dict[int, str]) -> None:
        self._held.append(_Held(w, now, keys))

    def drop_from(self, start: int) -> None:
        """Forget the writes held since there were `start` of them (a submit that failed)."""
        del self._held[start:]

    def flush(self, conn: Connection) -> None:
        """Write what is held, a statement per table, and hold nothing. ResponseExists when a new
        response's id is taken and it is the only new one (otherwise the IntegrityError: the
        caller cannot tell whose it is)."""
        held, self._held = self._held, []
        if not held:
            return
        _insert_responses(conn, [h for h in held if h.write.is_new])
        _update_responses(conn, [h for h in held if not h.write.is_new])
        _executemany(conn, _CLEAR_ANSWER, held, _cleared)
        _executemany(conn, _INSERT_ANSWER, held, _answer_rows)
        _executemany(conn, _INSERT_CONSENT, held, _consent_rows)
        # The queue rows first: on PostgreSQL they order the writers of one user (queue.enqueue_users).
        queue.enqueue(conn, [(d, key, h.now) for h in held for d, key in h.keys.items()])
        change_rows = [
            (rows.NewRow(d, h.write.response_id, key, change), h.now)
            for h in held
            if (change := h.write.profile_change()) is not None
            for d, key in h.keys.items()
        ]
        rows.add_each(conn, change_rows)


def _response_fields(w: ResponseWrite, now: datetime) -> dict[str, Any]:
    return {"updated_at": now, "outcome_id": w.outcome_id, "path": list(w.path), "variables": w.variables}


def _insert_responses(conn: Connection, new: Sequence[_Held]) -> None:
    if not new:
        return
    params = [
        {
            "id": h.write.response_id,
            "experience_version_id": h.write.version_id,
            "channel": h.write.channel,
            "created_at": h.now,
            "external_id": h.write.external_id,
            "variant": h.write.variant,
            "language": h.write.language,
            "email": h.write.email,
            "completed_at": h.now if h.write.completed else None,
            **_response_fields(h.write, h.now),
        }
        for h in new
    ]
    try:
        conn.execute(_INSERT_RESPONSE, params)
    except IntegrityError:  # the id, the table's one unique key: the caller's rollback undoes the rest
        if len(new) > 1:
            raise
        raise ResponseExists(new[0].write.response_id) from None


def _update_responses(conn: Connection, known: Sequence[_Held]) -> None:
    # An executemany runs one statement text: updates that set different columns (an email given
    # or not, a completion or not) go in separate ones.
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for h in known:
        fields = _response_fields(h.write, h.now)
        if h.write.email is not None:
            fields["email"] = h.write.email
        if h.write.completed:
            fields["completed_at"] = h.now
        by_columns.setdefault(tuple(fields), []).append({"b_id": h.write.response_id, **fields})
    for params in by_columns.values():
        conn.execute(_UPDATE_RESPONSE, params)


def _executemany(
    conn: Connection,
    statement: sa.Executable,
    held: Sequence[_Held],
    params_of: Callable[[_Held], list[dict[str, Any]]],
) -> None:
    params = [p for h in held for p in params_of(h)]
    if params:
        conn.execute(statement, params)


def _cleared(h: _Held) -> list[dict[str, Any]]:
    """Answers are upserted per element: those this write gives or withdraws go first."""
    w = h.write
    if w.is_new:
        return []
    return [{"b_id": w.response_id, "b_element": e} for e in sorted(set(w.answers) | set(w.cleared))]


def _answer_rows(h: _Held) -> list[dict[str, Any]]:
    w = h.write
    return [
        {"response_id": w.response_id, "element_id": k, "screen_id": s, "value": v, "answered_at": h.now}
        for k, (s, v) in w.answers.items()
    ]


def _consent_rows(h: _Held) -> list[dict[str, Any]]:
    """The audit record of each consent the write gave or withdrew."""
    w = h.write
    return [
        {
            "response_id": w.response_id,
            "element_id": c.element_id,
            "purpose": c.purpose,
            "consent_key": c.consent_key,
            "given": c.given,
            "text": c.text,
            "recorded_at": h.now,
        }
        for c in w.consents
    ]
