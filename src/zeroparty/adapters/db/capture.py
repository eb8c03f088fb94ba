"""Capture writes: a response, its answers and its outbox rows, in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db.experiences import latest_published, version_by_id
from zeroparty.adapters.db.queue import enqueue_users
from zeroparty.adapters.db.schema import answers, consent_records, destinations, outbox, responses
from zeroparty.services.ports import Published, ResponseWrite, StoredResponse


class SqlCaptureUnit:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def published(self, slug: str) -> Published | None:
        return latest_published(self._conn, slug)

    def version(self, version_id: int) -> Published:
        return version_by_id(self._conn, version_id)

    def response(self, response_id: str) -> StoredResponse | None:
        row = self._conn.execute(sa.select(responses).where(responses.c.id == response_id)).first()
        if row is None:
            return None
        stored = self._conn.execute(
            sa.select(answers.c.element_id, answers.c.value).where(answers.c.response_id == response_id)
        ).all()
        return StoredResponse(
            id=row.id,
            version_id=row.experience_version_id,
            answers={a.element_id: a.value for a in stored},
            outcome_id=row.outcome_id,
            completed_at=row.completed_at,
        )

    def write(self, w: ResponseWrite, now: datetime) -> int:
        conn = self._conn
        fields: dict[str, Any] = {"updated_at": now, "outcome_id": w.outcome_id}
        if w.email is not None:
            fields["email"] = w.email
        if w.completed:
            fields["completed_at"] = now
        if w.is_new:
            conn.execute(
                sa.insert(responses).values(
                    id=w.response_id,
                    experience_version_id=w.version_id,
                    channel=w.channel,
                    created_at=now,
                    **fields,
                )
            )
        else:
            conn.execute(sa.update(responses).where(responses.c.id == w.response_id).values(**fields))
        touched = set(w.answers) | set(w.cleared)
        if touched and not w.is_new:
            conn.execute(
                sa.delete(answers).where(answers.c.response_id == w.response_id, answers.c.element_id.in_(touched))
            )
        if w.answers:
            conn.execute(
                sa.insert(answers),
                [
                    {
                        "response_id": w.response_id,
                        "element_id": k,
                        "screen_id": s,
                        "value": v,
                        "answered_at": now,
                    }
                    for k, (s, v) in w.answers.items()
                ],
            )
        _insert_consents(conn, w, now)
        payload = w.outbox_payload()
        if payload is None or w.email is None:
            return 0
        dest_ids = conn.execute(sa.select(destinations.c.id)).scalars().all()
        if dest_ids:
            enqueue_users(conn, dest_ids, [w.email], now)  # first: it orders writers for one user
            conn.execute(
                sa.insert(outbox),
                [
                    {
                        "id": str(uuid.uuid4()),
                        "destination_id": d,
                        "response_id": w.response_id,
                        "user_key": w.email,
                        "payload": payload,
                        "state": "pending",
                        "attempts": 0,
                        "available_at": now,
                        "created_at": now,
                    }
                    for d in dest_ids
                ],
            )
        return len(dest_ids)


def _insert_consents(conn: Connection, w: ResponseWrite, now: datetime) -> None:
    """The audit record of each consent this submit gave or withdrew, in the response's transaction."""
    if w.consents:
        conn.execute(
            sa.insert(consent_records),
            [
                {
                    "response_id": w.response_id,
                    "element_id": c.element_id,
                    "purpose": c.purpose,
                    "consent_key": c.consent_key,
                    "given": c.given,
                    "text": c.text,
                    "recorded_at": now,
                }
                for c in w.consents
            ],
        )


class SqlCaptureStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @contextmanager
    def unit(self) -> Iterator[SqlCaptureUnit]:
        with self._engine.begin() as conn:
            yield SqlCaptureUnit(conn)
