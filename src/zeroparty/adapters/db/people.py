"""Erasing a person: their responses and everything made from them, locally, in one transaction; and
the erasure log (`erasures`), which keys the address with an HMAC, never the address itself.

Two steps, so nothing is erased before the operator has seen what will go in Braze: `find` reads
what each destination was sent for the person (nothing changes), `erase` deletes and logs. It is
the `PeopleStore` of services/people.py, which defines what it answers with.

The delivery tables (outbox, attempts, queue, records) are read and emptied through the named
statements of `outbox_sql/`; every other table keyed by the user or made from a response is
found in the schema, so a table added later is erased too."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.crypto import SecretBox
from zeroparty.adapters.db import outbox_sql
from zeroparty.adapters.db.metadata import metadata
from zeroparty.adapters.db.outbox_sql import queue, records, rows
from zeroparty.adapters.db.schema import destinations, erasures, responses
from zeroparty.adapters.db.workspace_scope import of_workspace
from zeroparty.domain.erasure import Delivered, Outcome, Sent, SentRow
from zeroparty.errors import FieldError, InvalidInput
from zeroparty.services.people import Found, LocalErasure, LogKeys, SentOf

CONSENT_TABLE = "consent_records"
# Key of a logged call not done yet: what the destination was sent, sealed with the SecretBox, so
# a later run can look the profiles up again once the responses are gone.
SEALED_SENT = "sealed_sent"
# The same for calls logged before lookups: only the external ids to delete by.
SEALED_IDS = "sealed_external_ids"


def _by_user(table: sa.Table) -> sa.Column[Any] | None:
    """The column naming the user a row is queued or recorded for (the email or an external id)."""
    return table.c.get("user_key")


def _by_response(table: sa.Table) -> sa.Column[Any] | None:
    fk = next((fk for fk in table.foreign_keys if fk.column.table is responses), None)
    return fk.parent if fk is not None else None


class SqlPeople:
    """A person as one workspace knows them: their responses to its experiences, what its
    destinations were sent, its erasure log. Another workspace's responses for the same address are
    neither counted nor erased."""

    def __init__(self, engine: Engine, box: SecretBox, *, workspace_id: int) -> None:
        self._engine = engine
        self._box = box
        self._workspace_id = workspace_id

    def find(self, email: str, keys: LogKeys, now: datetime) -> Found:
        """What each destination was sent for `email` (normalised), and what earlier erasures of it
        left unfinished. Refuses (InvalidInput) while a delivery for the person is in flight."""
        with self._engine.connect() as conn, conn.begin():
            return self._find(conn, email, keys, now)

    def _find(self, conn: Connection, email: str, keys: LogKeys, now: datetime) -> Found:
        ids, external_ids = self._responses(conn, email)
        user_keys = [email, *external_ids]
        busy_until = self._in_flight(conn, user_keys, now)
        if busy_until is not None:
            raise InvalidInput(
                FieldError(
                    "EMAIL",
                    f"a delivery for this address is in flight (its lease ends at {busy_until:%H:%M:%S} UTC); "
                    "erasing now could let it recreate the profile in Braze: run the command again after that",
                )
            )
        return Found(
            len(ids),
            tuple(external_ids),
            self._delivered(conn, user_keys, ids),
            self._not_done(self._log(conn, keys), email),
            tuple(
                conn.execute(
                    sa.select(destinations.c.name)
                    .where(destinations.c.workspace_id == self._workspace_id)
                    .order_by(destinations.c.name)
                ).scalars()
            ),
        )

    def erase(
        self, email: str, keys: LogKeys, now: datetime, calls: Sequence[str], seen: Found, sent_of: SentOf
    ) -> LocalErasure:
        """Delete every response given with `email` (normalised) and every row made from them or
        queued or recorded for that person (by the email or an external id their responses carried),
        then log the erasure with each destination in `calls` marked not done, and what it was sent
        (`sent_of`) sealed for a later run. One transaction: either all of it is gone and logged, or
        nothing changed. `seen` is what `find` read: a destination sent more since is reported."""
        sqlite = self._engine.dialect.name == "sqlite"
        with self._engine.connect() as conn:
            # Every SQLite connection deletes securely (adapters/db/engine.py): nothing erased stays
            # readable in free pages of the file.
            erased = self._erase(conn, email, keys, now, calls, seen, sent_of, sqlite)
            if sqlite:
                # Copy the WAL into the database file and empty it, so earlier versions of the erased
                # pages do not linger there (best effort: with readers active SQLite does what it can).
                _raw(conn).execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return erased

    def _erase(
        self,
        conn: Connection,
        email: str,
        keys: LogKeys,
        now: datetime,
        calls: Sequence[str],
        seen: Found,
        sent_of: SentOf,
        sqlite: bool,
    ) -> LocalErasure:
        with conn.begin():
            found = self._find(conn, email, keys, now)  # again, inside the transaction that deletes
            changed = frozenset(
                name
                for name in set(found.delivered) | set(seen.delivered)
                if found.delivered.get(name) != seen.delivered.get(name)
            )
            ids, _ = self._responses(conn, email)
            deleted = self._delete(conn, [email, *found.external_ids], ids)
            log = self._log(conn, keys)
            self._forget_sealed(conn, log)  # this run's entries carry what is still needed
            self._rekey(conn, keys)
            sealed = {name: sent_of(name, found) for name in sorted(set(calls) | changed)}
            entries = [self._entry(Outcome(name, False, "not called yet"), sent) for name, sent in sealed.items()]
            erasure_id = conn.execute(
                sa.insert(erasures)
                .values(
                    workspace_id=self._workspace_id,
                    at=now,
                    email_hmac=keys.hmac,
                    responses=len(ids),
                    destinations=entries,
                )
                .returning(erasures.c.id)
            ).scalar_one()
        return LocalErasure(int(erasure_id), len(ids), deleted, changed, sealed)

    def _entry(self, call: Outcome, sent: Sent | None) -> dict[str, Any]:
        """A call as logged; while it is not done, with what the destination was sent, sealed."""
        entry = call.as_json()
        if sent is not None and not call.done:
            entry[SEALED_SENT] = self._box.seal(sent.to_json())
        return entry

    def record_calls(self, erasure_id: int, calls: Sequence[Outcome], sent: Mapping[str, Sent]) -> None:
        """What each Braze call did; what a call not done was about stays sealed for the next run."""
        entries = [self._entry(c, sent.get(c.destination)) for c in calls]
        with self._engine.begin() as conn:
            conn.execute(sa.update(erasures).where(erasures.c.id == erasure_id).values(destinations=entries))

    def _responses(self, conn: Connection, email: str) -> tuple[list[str], list[str]]:
        """The person's response ids in the workspace, and the external ids those responses carried."""
        found = conn.execute(
            sa.select(responses.c.id, responses.c.external_id).where(
                responses.c.email == email, of_workspace(self._workspace_id)
            )
        )
        ids: list[str] = []
        external_ids: set[str] = set()
        for r in found:
            ids.append(r.id)
            if r.external_id is not None:
                external_ids.add(r.external_id)
        return ids, sorted(external_ids)

    def _delivered(self, conn: Connection, user_keys: Sequence[str], ids: Sequence[str]) -> dict[str, Delivered]:
        """Per destination, the person's rows Braze was sent (delivered, or attempted: the attempt may
        have landed) and the records of what it accepted for them."""
        sent: dict[str, list[SentRow]] = {}
        keys: dict[str, set[str]] = {}
        for r in rows.sent_to(conn, user_keys, ids, self._workspace_id):
            sent.setdefault(r.name, []).append(_sent_row(r.payload))
            keys.setdefault(r.name, set()).add(r.user_key)
        accepted: dict[str, list[Mapping[str, Any]]] = {}
        for r in records.of_users(conn, user_keys, self._workspace_id):
            values = r._mapping["values"]  # `values` is also a method of every row
            accepted.setdefault(r.name, []).append(values if isinstance(values, dict) else {})
            keys.setdefault(r.name, set()).add(r.user_key)
        return {
            name: Delivered(tuple(sent.get(name, ())), tuple(accepted.get(name, ())), frozenset(keys[name]))
            for name in sorted(keys)
        }

    @staticmethod
    def _in_flight(conn: Connection, user_keys: Sequence[str], now: datetime) -> datetime | None:
        """When the latest live lease on this person's rows ends (a worker may be sending them right
        now), or None: leases on the outbox rows and on the delivery queue."""
        ends = [rows.lease_end_of(conn, user_keys, now), queue.lease_end_of(conn, user_keys, now)]
        return max((end for end in ends if end is not None), default=None)

    def _not_done(self, log: Sequence[tuple[int, list[dict[str, Any]]]], email: str) -> dict[str, Sent]:
        """Destinations an earlier erasure of this address did not finish at (latest outcome wins),
        each with what it had been sent, as sealed then."""
        last: dict[str, dict[str, Any]] = {}
        for _id, calls in log:
            for call in calls:
                last[str(call["destination"])] = call
        left: dict[str, Sent] = {}
        for name, call in last.items():
            if call.get("done"):
                continue
            if SEALED_SENT in call:
                left[name] = Sent.from_json(self._box.open(call[SEALED_SENT]))
            else:  # logged before lookups: the external ids it deleted by, if any
                ids = json.loads(self._box.open(call[SEALED_IDS])) if SEALED_IDS in call else []
                left[name] = Sent(email, frozenset(ids))
        return left

    def _log(self, conn: Connection, keys: LogKeys) -> list[tuple[int, list[dict[str, Any]]]]:
        logged = conn.execute(
            sa.select(erasures.c.id, erasures.c.destinations)
            .where(
                sa.or_(erasures.c.email_hmac == keys.hmac, erasures.c.email_sha256 == keys.sha256),
                erasures.c.workspace_id == self._workspace_id,
            )
            .order_by(erasures.c.id)
        )
        return [(int(r.id), list(r.destinations or [])) for r in logged]

    def _rekey(self, conn: Connection, keys: LogKeys) -> None:
        """Rows logged with the plain SHA-256 of this address take its HMAC instead."""
        conn.execute(
            sa.update(erasures)
            .where(erasures.c.email_sha256 == keys.sha256, erasures.c.workspace_id == self._workspace_id)
            .values(email_hmac=keys.hmac, email_sha256=None)
        )

    @staticmethod
    def _forget_sealed(conn: Connection, log: Sequence[tuple[int, list[dict[str, Any]]]]) -> None:
        """Earlier runs' sealed records: the new run's entries hold what is still needed."""
        for erasure_id, calls in log:
            if any(SEALED_SENT in call or SEALED_IDS in call for call in calls):
                kept = [{k: v for k, v in call.items() if k not in (SEALED_SENT, SEALED_IDS)} for call in calls]
                conn.execute(sa.update(erasures).where(erasures.c.id == erasure_id).values(destinations=kept))

    def _delete(self, conn: Connection, user_keys: Sequence[str], ids: list[str]) -> dict[str, int]:
        counts: dict[str, int] = {}

        def count(name: str, n: int) -> None:
            if n:
                counts[name] = counts.get(name, 0) + n

        ws = self._workspace_id  # other workspaces' rows for the same person are theirs to erase
        attempts, outbox_rows = rows.delete_person(conn, user_keys, ids, ws)
        count("delivery_attempts", attempts)
        count("outbox", outbox_rows)
        count("delivery_queue", queue.delete_users(conn, user_keys, ws))
        count("delivery_state", records.delete_users(conn, user_keys, ws))
        # Children first: every other table keyed by the user or made from a response (answers,
        # consent records when declared).
        for table in reversed(metadata.sorted_tables):
            if table in outbox_sql.TABLES:
                continue
            conditions: list[sa.ColumnElement[bool]] = []
            user, response = _by_user(table), _by_response(table)
            if user is not None:
                conditions.append(user.in_(user_keys))
            if response is not None and ids:
                conditions.append(response.in_(ids))
            if conditions and table is not responses:
                count(table.name, conn.execute(sa.delete(table).where(sa.or_(*conditions))).rowcount)
        count(CONSENT_TABLE, _erase_consents(conn, user_keys[0], ids))
        if ids:
            count("responses", conn.execute(sa.delete(responses).where(responses.c.id.in_(ids))).rowcount)
        return counts


def _sent_row(payload: Any) -> SentRow:
    """An outbox row's payload as capture queued it (older rows may lack keys)."""
    payload = payload if isinstance(payload, dict) else {}
    attributes = payload.get("attributes")
    external_id = payload.get("external_id")
    return SentRow(
        dict(attributes) if isinstance(attributes, dict) else {},
        bool(payload.get("completion")),
        external_id if isinstance(external_id, str) else None,
    )


def _raw(conn: Connection) -> Any:
    """The DB-API connection under `conn`, for PRAGMAs that must run outside a transaction."""
    return conn.connection.driver_connection


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
