"""Read side of responses: answers, outcome and per-destination delivery state (the response's
outbox rows, read with `outbox_sql.reads.of_response`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.outbox_sql import reads
from zeroparty.adapters.db.schema import answers, responses


class DeliveryItem(BaseModel):
    destination: str
    state: str
    attempts: int
    attributes: dict[str, Any]
    delivered_at: datetime | None
    last_error: str | None


class ResponseStatus(BaseModel):
    id: str
    channel: str
    email: str | None
    external_id: str | None  # from a signed token, when the response carried one
    outcome: str | None
    created_at: datetime
    completed_at: datetime | None
    answers: dict[str, Any]
    path: list[str]  # the screens its rules routed it through, in order
    variables: dict[str, Any]  # its variables after them
    delivered: bool
    deliveries: list[DeliveryItem]


class SqlResponses:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def status(self, response_id: str) -> ResponseStatus | None:
        with reader(self._engine).connect() as conn:
            row = conn.execute(sa.select(responses).where(responses.c.id == response_id)).first()
            if row is None:
                return None
            given = conn.execute(
                sa.select(answers.c.element_id, answers.c.value).where(answers.c.response_id == response_id)
            ).all()
            items = reads.of_response(conn, response_id)
        deliveries = [
            DeliveryItem(
                destination=i.name,
                state=i.state,
                attempts=i.attempts,
                attributes=i.payload["attributes"],
                delivered_at=i.delivered_at,
                last_error=i.last_error,
            )
            for i in items
        ]
        return ResponseStatus(
            id=row.id,
            channel=row.channel,
            email=row.email,
            external_id=row.external_id,
            outcome=row.outcome_id,
            created_at=row.created_at,
            completed_at=row.completed_at,
            answers={a.element_id: a.value for a in given},
            path=list(row.path or []),
            variables=dict(row.variables or {}),
            delivered=bool(deliveries) and all(d.state == "delivered" for d in deliveries),
            deliveries=deliveries,
        )
