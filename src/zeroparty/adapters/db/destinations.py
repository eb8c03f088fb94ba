"""Braze destinations. API keys are sealed with the SecretBox before they touch the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zeroparty.adapters.crypto import SecretBox, key_hint
from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.schema import destinations, outbox
from zeroparty.errors import FieldError, InvalidInput, NotFound


@dataclass(frozen=True)
class DestinationView:
    """What may be shown of a destination: never the key, only a hint of its last characters."""

    id: int
    name: str
    kind: str
    endpoint: str
    key_hint: str
    paused_reason: str | None
    paused_until: datetime | None
    pending: int
    delivered: int
    dead: int


class SqlDestinations:
    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box

    def add_braze(self, name: str, endpoint: str, api_key: str, now: datetime) -> int:
        with self._engine.begin() as conn:
            taken = conn.execute(sa.select(destinations.c.id).where(destinations.c.name == name)).first()
            if taken:
                raise InvalidInput(FieldError("name", f"a destination named '{name}' already exists"))
            return int(
                conn.execute(
                    sa.insert(destinations)
                    .values(
                        name=name,
                        kind="braze",
                        endpoint=endpoint,
                        api_key_encrypted=self._box.seal(api_key),
                        api_key_hint=key_hint(api_key),
                        created_at=now,
                    )
                    .returning(destinations.c.id)
                ).scalar_one()
            )

    def upsert_braze(self, name: str, endpoint: str, api_key: str, now: datetime) -> None:
        """Add the destination, or point the existing one at this endpoint and key and resume it
        (the demo's sandbox destination follows the port and key the demo serves with)."""
        with self._engine.begin() as conn:
            done = conn.execute(
                sa.update(destinations)
                .where(destinations.c.name == name)
                .values(
                    endpoint=endpoint,
                    api_key_encrypted=self._box.seal(api_key),
                    api_key_hint=key_hint(api_key),
                    paused_reason=None,
                    paused_until=None,
                )
            )
        if done.rowcount == 0:
            self.add_braze(name, endpoint, api_key, now)

    def list(self) -> list[DestinationView]:
        counts = (
            sa.select(
                outbox.c.destination_id,
                sa.func.sum(sa.case((outbox.c.state.in_(["pending", "in_flight"]), 1), else_=0)).label("pending"),
                sa.func.sum(sa.case((outbox.c.state == "delivered", 1), else_=0)).label("delivered"),
                sa.func.sum(sa.case((outbox.c.state == "dead", 1), else_=0)).label("dead"),
            )
            .group_by(outbox.c.destination_id)
            .subquery()
        )
        with reader(self._engine).connect() as conn:
            rows = conn.execute(
                sa.select(destinations, counts.c.pending, counts.c.delivered, counts.c.dead)
                .outerjoin(counts, counts.c.destination_id == destinations.c.id)
                .order_by(destinations.c.name)
            ).all()
        return [
            DestinationView(
                r.id,
                r.name,
                r.kind,
                r.endpoint,
                r.api_key_hint,
                r.paused_reason,
                r.paused_until,
                int(r.pending or 0),
                int(r.delivered or 0),
                int(r.dead or 0),
            )
            for r in rows
        ]

    def resume(self, name: str) -> None:
        with self._engine.begin() as conn:
            done = conn.execute(
                sa.update(destinations).where(destinations.c.name == name).values(paused_reason=None, paused_until=None)
            )
            if done.rowcount == 0:
                raise NotFound(FieldError("name", f"no destination named '{name}'"))
