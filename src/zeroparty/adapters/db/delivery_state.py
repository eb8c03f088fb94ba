"""Forgetting what a destination holds: the store behind `services/destination_forget.py` (the
statements on `delivery_state` are `outbox_sql/records.py`'s).

`delivery_state` is the record of the values each destination last accepted for each user (under
the names it received), which lets the engine leave out what Braze already holds. When the brand
knows Braze changed (a profile deleted or edited there), dropping the record makes the next delivery
send every value again. A dropped record can only cause values to be sent again, never a change to
be lost (docs/delivery.md, "Forgetting what a destination holds").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.outbox_sql import records
from zeroparty.adapters.db.schema import responses
from zeroparty.adapters.db.workspace_scope import of_workspace

CHUNK = 500  # addresses per IN (…), within SQLite's parameter limit


def person_keys(engine: Engine, emails: Sequence[str], workspace_id: int | None = None) -> list[str]:
    """Every key a destination may hold these people's records under: their (normalised) addresses,
    and each external id their responses (to the workspace's experiences, if given) carried (an
    external_id destination keys records by it)."""
    keys = dict.fromkeys(emails)
    with reader(engine).connect() as conn:
        for start in range(0, len(emails), CHUNK):
            query = sa.select(responses.c.external_id).where(
                responses.c.email.in_(list(emails[start : start + CHUNK])), responses.c.external_id.is_not(None)
            )
            if workspace_id is not None:
                query = query.where(of_workspace(workspace_id))
            found = conn.execute(query.distinct()).scalars()
            keys.update(dict.fromkeys(str(x) for x in found))
    return list(keys)


def held_records(engine: Engine, destination_id: int) -> int:
    """How many users the destination holds a record for."""
    with reader(engine).connect() as conn:
        return records.held(conn, destination_id)


def forget(engine: Engine, destination_id: int, user_keys: Sequence[str] | None) -> int:
    """Drop the destination's records of `user_keys` (every record when None); how many went.

    No lease is taken or waited for: a worker delivering one of these users meanwhile records what
    Braze accepts from it as usual, and the rest of the user's values count as unknown."""
    with engine.begin() as conn:
        return records.forget(conn, destination_id, user_keys)


class SqlHeldRecords:
    """The functions above on one store, as `services.destination_forget.HeldRecords`."""

    def __init__(self, engine: Engine, *, workspace_id: int | None = None) -> None:
        self._engine = engine
        self._workspace_id = workspace_id  # whose respondents' external ids count (None: everyone's)

    def person_keys(self, emails: Sequence[str]) -> list[str]:
        return person_keys(self._engine, emails, self._workspace_id)

    def held_records(self, destination_id: int) -> int:
        return held_records(self._engine, destination_id)

    def forget(self, destination_id: int, user_keys: Sequence[str] | None) -> int:
        return forget(self._engine, destination_id, user_keys)
