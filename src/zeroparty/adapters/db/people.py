"""Erasing a person: their responses and everything made from them, locally, in one transaction; and
the erasure log (`erasures`), which keeps a SHA-256 of the address, never the address."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.crypto import SecretBox
from zeroparty.adapters.db.metadata import metadata
from zeroparty.adapters.db.schema import delivery_attempts, destinations, erasures, outbox, responses
from zeroparty.errors import FieldError, InvalidInput

CONSENT_TABLE = "consent_records"
# Key of a logged call not done yet: the external ids to delete by, sealed with the SecretBox.
SEALED_IDS = "sealed_external_ids"


@dataclass(frozen=True)
class BrazeCall:
    """One destination's part of an erasure: what happened when Braze was asked to delete."""

    destination: str
    outcome: str
    done: bool

    def as_json(self) -> dict[str, Any]:
        return {"destination": self.destination, "outcome": self.outcome, "done": self.done}


@dataclass(frozen=True)
class LocalErasure:
    """What the local erasure deleted, and the destinations Braze must be asked to delete at."""

    erasure_id: int
    responses: int
    rows: dict[str, int]  # table -> rows deleted
    destinations: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)  # of them, left over from earlier runs
    # destination → the signed ids to delete by: those the responses carried, and those an
    # unfinished earlier erasure kept sealed for it (the responses are gone by then)
    external_ids: dict[str, list[str]] = field(default_factory=dict)


def _by_user(table: sa.Table) -> sa.Column[Any] | None:
    """The column naming the user a row is queued or recorded for (the normalised email)."""
    return table.c.get("user_key")


def _by_response(table: sa.Table) -> sa.Column[Any] | None:
    fk = next((fk for fk in table.foreign_keys if fk.column.table is responses), None)
    return fk.parent if fk is not None else None


class SqlPeople:
    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box

    def erase(self, email: str, email_sha256: str, now: datetime) -> LocalErasure:
        """Delete every response given with `email` (normalised) and every row made from them or
        queued for that user, then log the erasure with each destination to call marked not done.
        One transaction: either all of it is gone and logged, or nothing changed."""
        sqlite = self._engine.dialect.name == "sqlite"
        with self._engine.connect() as conn:
            try:
                erased = self._erase(conn, email, email_sha256, now, sqlite)
            finally:
                if sqlite:  # the pooled connection deletes at normal cost again
                    _raw(conn).execute("PRAGMA secure_delete=OFF")
            if sqlite:
                # Copy the WAL into the database file and empty it, so earlier versions of the erased
                # pages do not linger there (best effort: with readers active SQLite does what it can).
                _raw(conn).execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return erased

    def _erase(self, conn: Connection, email: str, email_sha256: str, now: datetime, sqlite: bool) -> LocalErasure:
        with conn.begin():
            if sqlite:
                # Deleted rows would otherwise stay readable in free pages of the file until reused.
                conn.exec_driver_sql("PRAGMA secure_delete=ON")
            busy_until = self._in_flight(conn, email, now)
            if busy_until is not None:
                raise InvalidInput(
                    FieldError(
                        "EMAIL",
                        f"a delivery for this address is in flight (its lease ends at {busy_until:%H:%M:%S} UTC); "
                        "erasing now could let it recreate the profile in Braze: run the command again after that",
                    )
                )
            ids = list(conn.execute(sa.select(responses.c.id).where(responses.c.email == email)).scalars())
            # Read before the rows go: a destination naming people by external_id deletes by it.
            external_ids = sorted(
                set(
                    conn.execute(
                        sa.select(responses.c.external_id).where(
                            responses.c.email == email, responses.c.external_id.is_not(None)
                        )
                    ).scalars()
                )
            )
            mine = sa.or_(outbox.c.user_key == email, outbox.c.response_id.in_(ids))
            received = set(
                conn.execute(
                    sa.select(destinations.c.name)
                    .join(outbox, outbox.c.destination_id == destinations.c.id)
                    .where(mine, sa.or_(outbox.c.attempts > 0, outbox.c.state == "delivered"))
                ).scalars()
            )
            received |= self._recorded_at(conn, email)
            log = self._log(conn, email_sha256)
            leftover = self._not_done(log)
            rows = self._delete(conn, email, ids, mine)
            calls = sorted(received | set(leftover))
            by = {d: sorted(set(external_ids) | set(leftover.get(d, []))) for d in calls}
            self._forget_sealed(conn, log)  # this run's entries carry what is still needed
            erasure_id = conn.execute(
                sa.insert(erasures)
                .values(
                    at=now,
                    email_sha256=email_sha256,
                    responses=len(ids),
                    destinations=[self._entry(BrazeCall(d, "not called yet", False), by[d]) for d in calls],
                )
                .returning(erasures.c.id)
            ).scalar_one()
        return LocalErasure(int(erasure_id), len(ids), rows, calls, sorted(set(leftover) - received), by)

    def _entry(self, call: BrazeCall, external_ids: Sequence[str]) -> dict[str, Any]:
        """A call as logged; while it is not done, with the ids to delete by, sealed."""
        entry = call.as_json()
        if external_ids and not call.done:
            entry[SEALED_IDS] = self._box.seal(json.dumps(list(external_ids)))
        return entry

    def record_calls(
        self, erasure_id: int, calls: Sequence[BrazeCall], external_ids: Mapping[str, Sequence[str]]
    ) -> None:
        """What each Braze call did; the ids of a call not done stay sealed for the next run."""
        entries = [self._entry(c, external_ids.get(c.destination, ())) for c in calls]
        with self._engine.begin() as conn:
            conn.execute(sa.update(erasures).where(erasures.c.id == erasure_id).values(destinations=entries))

    @staticmethod
    def _in_flight(conn: Connection, email: str, now: datetime) -> datetime | None:
        """When the latest live lease on this user's rows ends (a worker may be sending them right
        now), or None. Any table with a user and a lease counts: the outbox and the delivery queue."""
        latest: datetime | None = None
        for table in metadata.sorted_tables:
            user, until, owner = _by_user(table), table.c.get("lease_expires_at"), table.c.get("lease_owner")
            if user is None or until is None or owner is None:
                continue
            found = conn.execute(
                sa.select(sa.func.max(until)).where(user == email, owner.is_not(None), until > now)
            ).scalar()
            if found is not None and (latest is None or found > latest):
                latest = found
        return latest

    @staticmethod
    def _recorded_at(conn: Connection, email: str) -> set[str]:
        """Destinations holding a record of what they accepted for this user (any table keyed by
        destination and user besides the queue itself)."""
        found: set[str] = set()
        for table in metadata.sorted_tables:
            user, dest = _by_user(table), table.c.get("destination_id")
            if table is outbox or user is None or dest is None or "queue" in table.name:
                continue
            found |= set(
                conn.execute(
                    sa.select(destinations.c.name).join(table, dest == destinations.c.id).where(user == email)
                ).scalars()
            )
        return found

    def _not_done(self, log: Sequence[tuple[int, list[dict[str, Any]]]]) -> dict[str, list[str]]:
        """Destinations an earlier erasure of this address did not finish at (latest outcome wins),
        each with the external ids it kept sealed for them."""
        last: dict[str, dict[str, Any]] = {}
        for _id, calls in log:
            for call in calls:
                last[str(call["destination"])] = call
        return {
            name: json.loads(self._box.open(call[SEALED_IDS])) if SEALED_IDS in call else []
            for name, call in last.items()
            if not call.get("done")
        }

    @staticmethod
    def _log(conn: Connection, email_sha256: str) -> list[tuple[int, list[dict[str, Any]]]]:
        rows = conn.execute(
            sa.select(erasures.c.id, erasures.c.destinations)
            .where(erasures.c.email_sha256 == email_sha256)
            .order_by(erasures.c.id)
        )
        return [(int(r.id), list(r.destinations or [])) for r in rows]

    @staticmethod
    def _forget_sealed(conn: Connection, log: Sequence[tuple[int, list[dict[str, Any]]]]) -> None:
        """Earlier runs' sealed ids: the new run's entries hold what is still needed."""
        for erasure_id, calls in log:
            if any(SEALED_IDS in call for call in calls):
                kept = [{k: v for k, v in call.items() if k != SEALED_IDS} for call in calls]
                conn.execute(sa.update(erasures).where(erasures.c.id == erasure_id).values(destinations=kept))

    @staticmethod
    def _delete(conn: Connection, email: str, ids: list[str], mine: sa.ColumnElement[bool]) -> dict[str, int]:
        counts: dict[str, int] = {}

        def count(name: str, n: int) -> None:
            if n:
                counts[name] = counts.get(name, 0) + n

        attempts = sa.select(outbox.c.id).where(mine).scalar_subquery()
        count("delivery_attempts", conn.execute(sa.delete(delivery_attempts).where(attempts_in(attempts))).rowcount)
        # Children first: every table keyed by the user or made from a response (answers, outbox, the
        # delivery engine's queue and last-accepted values, consent records when declared).
        for table in reversed(metadata.sorted_tables):
            conditions: list[sa.ColumnElement[bool]] = []
            user, response = _by_user(table), _by_response(table)
            if user is not None:
                conditions.append(user == email)
            if response is not None and ids:
                conditions.append(response.in_(ids))
            if conditions and table is not responses:
                count(table.name, conn.execute(sa.delete(table).where(sa.or_(*conditions))).rowcount)
        count(CONSENT_TABLE, _erase_consents(conn, email, ids))
        if ids:
            count("responses", conn.execute(sa.delete(responses).where(responses.c.id.in_(ids))).rowcount)
        return counts


def _raw(conn: Connection) -> Any:
    """The DB-API connection under `conn`, for PRAGMAs that must run outside a transaction."""
    return conn.connection.driver_connection


def attempts_in(outbox_ids: sa.ScalarSelect[Any]) -> sa.ColumnElement[bool]:
    return delivery_attempts.c.outbox_id.in_(outbox_ids)


def _erase_consents(conn: Connection, email: str, ids: list[str]) -> int:
    """Consent records, when the database has that table but this schema does not declare it (a
    newer or older release made it): matched by response or by address, whichever columns it has."""
    if CONSENT_TABLE in metadata.tables or not sa.inspect(conn).has_table(CONSENT_TABLE):
        return 0
    table = sa.Table(CONSENT_TABLE, sa.MetaData(), autoload_with=conn)
    conditions: list[sa.ColumnElement[bool]] = []
    if "response_id" in table.c and ids:
        conditions.append(table.c.response_id.in_(ids))
    if "email" in table.c:
        conditions.append(table.c.email == email)
    if not conditions:
        return 0
    return int(conn.execute(sa.delete(table).where(sa.or_(*conditions))).rowcount)
