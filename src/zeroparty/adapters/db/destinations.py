"""Braze destinations. API keys are sealed with the SecretBox before they touch the database. What
belongs to a destination in the delivery tables is counted and removed with it through the named
statements of `outbox_sql/`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from zeroparty.adapters.crypto import SecretBox
from zeroparty.adapters.db import outbox_sql
from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.metadata import metadata
from zeroparty.adapters.db.outbox_sql import counters, queue, reads, records, rows
from zeroparty.adapters.db.schema import destinations
from zeroparty.domain.classify import paused_for_endpoint
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.scrub import key_hint
from zeroparty.errors import ConfigurationError, FieldError, InvalidInput
from zeroparty.services.destination_types import (
    BrazeConnection,
    DestinationView,
    Removed,
    no_destination,
    still_waiting,
)


def _settings(stored: Any, name: str) -> DestinationSettings:
    try:
        return DestinationSettings.model_validate(stored or {})
    except ValidationError as exc:
        raise ConfigurationError(f"the stored settings of destination '{name}' are not valid: {exc}") from None


def _dependents() -> list[sa.Table]:
    """Tables other than the delivery tables whose rows belong to a destination (a foreign key to
    destinations.id), children first: removing a destination removes them too, including tables
    added later."""
    return [
        t
        for t in reversed(metadata.sorted_tables)
        if t not in outbox_sql.TABLES and any(fk.column.table is destinations for fk in t.foreign_keys)
    ]


def list_destinations(engine: Engine, workspace_id: int) -> list[DestinationView]:
    """Every destination of the workspace with its queue counts, by name; reading them needs no key."""
    with reader(engine).connect() as conn:
        found = conn.execute(
            sa.select(destinations).where(destinations.c.workspace_id == workspace_id).order_by(destinations.c.name)
        ).all()
        counts = reads.counts_by_state(conn)
    return [
        DestinationView(
            r.id,
            r.name,
            r.kind,
            r.endpoint,
            r.api_key_hint,
            r.paused_reason,
            r.paused_until,
            sum(counts.get((r.id, state), 0) for state in rows.WAITING),
            counts.get((r.id, "delivered"), 0),
            counts.get((r.id, "dead"), 0),
            _settings(r.settings, r.name),
        )
        for r in found
    ]


class SqlDestinations:
    """The destinations of one workspace: another workspace's are "no destination named X" here."""

    def __init__(self, engine: Engine, box: SecretBox, *, workspace_id: int) -> None:
        self._engine = engine
        self._box = box
        self._workspace_id = workspace_id

    def _named(self, name: str) -> sa.ColumnElement[bool]:
        return sa.and_(destinations.c.workspace_id == self._workspace_id, destinations.c.name == name)

    def add_braze(
        self, name: str, endpoint: str, api_key: str, now: datetime, settings: DestinationSettings | None = None
    ) -> int:
        with self._engine.begin() as conn:
            taken = conn.execute(sa.select(destinations.c.id).where(self._named(name))).first()
            if taken:
                raise InvalidInput(FieldError("name", f"a destination named '{name}' already exists"))
            return int(
                conn.execute(
                    sa.insert(destinations)
                    .values(
                        workspace_id=self._workspace_id,
                        name=name,
                        kind="braze",
                        endpoint=endpoint,
                        api_key_encrypted=self._box.seal(api_key),
                        api_key_hint=key_hint(api_key),
                        created_at=now,
                        settings=(settings or DestinationSettings()).model_dump(mode="json"),
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
                .where(self._named(name))
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
        return list_destinations(self._engine, self._workspace_id)

    def pause(self, name: str, reason: str) -> None:
        with self._engine.begin() as conn:
            done = conn.execute(
                sa.update(destinations).where(self._named(name)).values(paused_reason=reason, paused_until=None)
            )
            if done.rowcount == 0:
                raise no_destination(name)

    def resume(self, name: str) -> None:
        with self._engine.begin() as conn:
            done = conn.execute(
                sa.update(destinations).where(self._named(name)).values(paused_reason=None, paused_until=None)
            )
            if done.rowcount == 0:
                raise no_destination(name)

    def connection(self, name: str) -> BrazeConnection:
        with reader(self._engine).connect() as conn:
            r = conn.execute(sa.select(destinations).where(self._named(name))).first()
        if r is None:
            raise no_destination(name)
        return BrazeConnection(
            r.id,
            r.name,
            r.endpoint,
            self._box.open(r.api_key_encrypted),
            r.api_key_hint,
            r.paused_reason,
            _settings(r.settings, r.name),
        )

    def settings(self, name: str) -> DestinationSettings:
        with reader(self._engine).connect() as conn:
            stored = conn.execute(sa.select(destinations.c.settings).where(self._named(name))).first()
        if stored is None:
            raise no_destination(name)
        return _settings(stored.settings, name)

    def set_settings(self, name: str, settings: DestinationSettings, endpoint: str | None = None) -> str | None:
        """Store `settings` (and a new `endpoint`, if given) for the destination. A destination paused
        because its endpoint was wrong resumes with a new one: the reason it was paused for, if so."""
        values: dict[str, Any] = {"settings": settings.model_dump(mode="json")}
        with self._engine.begin() as conn:
            row = conn.execute(
                sa.select(destinations.c.endpoint, destinations.c.paused_reason).where(self._named(name))
            ).first()
            if row is None:
                raise no_destination(name)
            resumed = None
            if endpoint is not None and endpoint != row.endpoint:
                values["endpoint"] = endpoint
                if paused_for_endpoint(row.paused_reason):
                    values |= {"paused_reason": None, "paused_until": None}
                    resumed = str(row.paused_reason)
            conn.execute(sa.update(destinations).where(self._named(name)).values(**values))
        return resumed

    def update_key(self, name: str, api_key: str) -> str | None:
        """Replace the key and resume the destination; the pause reason it had, if any."""
        with self._engine.begin() as conn:
            row = conn.execute(sa.select(destinations.c.paused_reason).where(self._named(name))).first()
            if row is None:
                raise no_destination(name)
            conn.execute(
                sa.update(destinations)
                .where(self._named(name))
                .values(
                    api_key_encrypted=self._box.seal(api_key),
                    api_key_hint=key_hint(api_key),
                    paused_reason=None,
                    paused_until=None,
                )
            )
        return str(row.paused_reason) if row.paused_reason is not None else None

    def remove(self, name: str, *, force: bool = False) -> Removed:
        """Delete the destination with its outbox rows and delivery history, in one transaction.
        Refused while rows still wait to be delivered, unless `force`."""
        with self._engine.begin() as conn:
            dest_id = conn.execute(sa.select(destinations.c.id).where(self._named(name))).scalar()
            if dest_id is None:
                raise no_destination(name)
            held = rows.of_destination(conn, dest_id)
            counts = Removed(held.total, held.waiting, held.attempts)
            if counts.waiting and not force:
                raise still_waiting(name, counts.waiting)
            rows.delete_destination(conn, dest_id)
            queue.delete_destination(conn, dest_id)
            records.delete_destination(conn, dest_id)
            counters.delete_destination(conn, dest_id)
            for table in _dependents():
                column = next(fk.parent for fk in table.foreign_keys if fk.column.table is destinations)
                conn.execute(sa.delete(table).where(column == dest_id))
            conn.execute(sa.delete(destinations).where(destinations.c.id == dest_id))
        return counts
