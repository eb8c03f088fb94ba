"""The one owner of the outbox tables: every statement on them, each named.

The tables are `outbox` and `delivery_attempts` (`rows.py`), `delivery_queue` (`queue.py`),
`delivery_state` (`records.py`), `delivery_counters` and `delivery_months` (`counters.py`); the
operators' read side (`zeroparty deliveries`, a response's status, /metrics, the destination
listing) is in `reads.py`. Nothing else in the product builds SQL on them: the modules that use
them call these statements inside their own transactions.

Who decides what (the statements decide nothing):

- `adapters/db/outbox.py` (`SqlOutbox`): claiming, recovering expired leases, handing users back,
  replay; which statements run, in which order, in one transaction;
- `adapters/db/settling.py`: applying one answer's settle plan (rows, record, counters, requeue,
  end of leases);
- `capture.py`, `backfill.py`: queueing a change (`queue.enqueue_users` first, then `rows.add`);
- `people.py` (erasure), `delivery_state.py` (`destinations forget`), `destinations.py`
  (removing a destination): deleting what belongs to a person or a destination.

The hot statements are `BulkSql` (`adapters/db/bulk.py`): fixed text compiled once, lists as one
parameter (docs/delivery.md, "Throughput"). `tests/unit/adapters/test_outbox_sql_owner.py` checks
that no other module imports these tables or names them in SQL text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from zeroparty.adapters.db.schema import (
    delivery_attempts,
    delivery_counters,
    delivery_months,
    delivery_queue,
    delivery_state,
    destinations,
    outbox,
)

# The tables this package owns. Code that walks every table (erasure, removing a destination)
# leaves these to the statements here.
TABLES = frozenset({outbox, delivery_attempts, delivery_queue, delivery_state, delivery_counters, delivery_months})


def in_workspace(destination_id: sa.ColumnElement[int], workspace_id: int | None) -> sa.ColumnElement[bool]:
    """`destination_id` is one of the workspace's destinations (any destination when None): what
    one workspace's erasure reads and deletes."""
    if workspace_id is None:
        return sa.true()
    return destination_id.in_(sa.select(destinations.c.id).where(destinations.c.workspace_id == workspace_id))


def all_rows(conn: Connection, query: sa.Select[Any]) -> Sequence[Row[Any]]:
    """Every row `query` reads (typed loosely: callers read the columns by name)."""
    return conn.execute(query).all()
