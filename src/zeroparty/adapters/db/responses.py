"""Read side of responses: answers, outcome and per-destination delivery state (the response's
outbox rows, read with `outbox_sql.reads.of_response`); and the counts the metrics report."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.outbox_sql import reads
from zeroparty.adapters.db.schema import answers, responses
from zeroparty.adapters.db.workspace_scope import of_workspace
from zeroparty.services.read_ports import DeliveryItem, OutboxCount, ResponseStatus, StoreCounts


class SqlResponses:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def counts(self) -> StoreCounts:
        """Outbox items by destination and state, and responses stored (the metrics, at scrape time)."""
        with reader(self._engine).connect() as conn:
            rows = reads.counts_by_name(conn)
            total = conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one()
        return StoreCounts([OutboxCount(r.name, r.state, r.n) for r in rows], int(total))

    def status(self, response_id: str, workspace_id: int | None = None) -> ResponseStatus | None:
        """Where the response stands; None when there is none (to the workspace's experiences, if given:
        another workspace's response is as unknown as one never given)."""
        mine = responses.c.id == response_id
        if workspace_id is not None:
            mine = sa.and_(mine, of_workspace(workspace_id))
        with reader(self._engine).connect() as conn:
            row = conn.execute(sa.select(responses).where(mine)).first()
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
