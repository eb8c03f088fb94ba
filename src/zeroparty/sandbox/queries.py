"""Database helpers shared by the track store and the identity operations: finding profiles by an
identifier, creating them, reading them whole, and the per-address email subscription state."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from zeroparty.sandbox.rules.export_object import ProfileRecord, Tally
from zeroparty.sandbox.rules.identifiers import Candidate, Identifier, prioritize
from zeroparty.sandbox.tables import (
    sandbox_aliases,
    sandbox_email_states,
    sandbox_events,
    sandbox_profiles,
    sandbox_purchases,
)

P = sandbox_profiles.c
A = sandbox_aliases.c


def _locked() -> sa.Select[Any]:
    # Rows read to be changed are locked (FOR UPDATE on PostgreSQL): concurrent requests for one user
    # must not lose each other's updates. SQLite's writers are serialised by BEGIN IMMEDIATE already.
    return sa.select(sandbox_profiles).with_for_update(of=sandbox_profiles)


def lookup(ident: Identifier) -> sa.Select[Any]:
    """The profile an identifier names, as /users/track resolves it (at most one row), locked."""
    query = _locked()
    if ident.kind == "external_id":
        return query.where(P.external_id == ident.value)
    if ident.kind == "braze_id":
        return query.where(P.braze_id == ident.value)
    if isinstance(ident.value, tuple):
        name, label = ident.value
        return query.join(sandbox_aliases, A.braze_id == P.braze_id).where(A.alias_name == name, A.alias_label == label)
    # Several profiles may share an email or phone: Braze updates the most recently updated one that
    # has an external_id, else the most recently updated one
    # (https://www.braze.com/docs/api/endpoints/user_data/post_user_track, FAQ).
    column = P.email if ident.kind == "email" else P.phone
    return query.where(column == ident.value).order_by(P.external_id.is_(None), P.updated_at.desc()).limit(1)


def with_address(kind: str, value: str) -> sa.Select[Any]:
    """Every profile holding this email or phone, locked."""
    return _locked().where((P.email if kind == "email" else P.phone) == value)


def prioritized(conn: Connection, kind: str, value: str, order: list[str]) -> Row[Any] | None:
    """The single profile with this email or phone that `prioritization` picks, or None."""
    rows = {r.braze_id: r for r in conn.execute(with_address(kind, value)).all()}
    candidates = [Candidate(r.braze_id, r.external_id is not None, r.updated_at.timestamp()) for r in rows.values()]
    chosen = prioritize(candidates, order)
    return rows[chosen.braze_id] if chosen else None


def new_profile(
    conn: Connection, now: datetime, *, external_id: str | None = None, fields: dict[str, Any] | None = None
) -> str:
    braze_id = uuid.uuid4().hex[:24]
    fields = dict(fields or {})
    state = email_state(conn, fields.get("email"))
    if state is not None:
        fields.setdefault("email_subscribe", state)  # the address already has a global state
    conn.execute(
        sa.insert(sandbox_profiles).values(
            braze_id=braze_id, external_id=external_id, email=fields.get("email"), phone=fields.get("phone"),
            fields=fields, custom={}, data_points=0, created_at=now, updated_at=now,
        )
    )  # fmt: skip
    return braze_id


def add_alias(conn: Connection, braze_id: str, name: str, label: str) -> None:
    conn.execute(sa.insert(sandbox_aliases).values(alias_name=name, alias_label=label, braze_id=braze_id))


def alias_labels(conn: Connection, braze_id: str) -> set[str]:
    return set(conn.execute(sa.select(A.alias_label).where(A.braze_id == braze_id)).scalars())


def save_profile(
    conn: Connection, braze_id: str, fields: dict[str, Any], custom: dict[str, Any], now: datetime, **extra: Any
) -> None:
    conn.execute(
        sa.update(sandbox_profiles)
        .where(P.braze_id == braze_id)
        .values(
            fields=fields, custom=custom, email=fields.get("email"), phone=fields.get("phone"), updated_at=now, **extra
        )
    )


def delete_profiles(conn: Connection, braze_ids: Sequence[str]) -> None:
    for table in (sandbox_events, sandbox_purchases, sandbox_aliases):
        conn.execute(sa.delete(table).where(table.c.braze_id.in_(braze_ids)))
    conn.execute(sa.delete(sandbox_profiles).where(P.braze_id.in_(braze_ids)))


def email_state(conn: Connection, email: str | None) -> str | None:
    if not email:
        return None
    row = conn.execute(sa.select(sandbox_email_states.c.state).where(sandbox_email_states.c.email == email)).first()
    return None if row is None else str(row.state)


def record_email_state(conn: Connection, email: str, state: str, now: datetime) -> None:
    table = sandbox_email_states
    updated = conn.execute(sa.update(table).where(table.c.email == email).values(state=state, updated_at=now))
    if updated.rowcount == 0:
        conn.execute(sa.insert(table).values(email=email, state=state, updated_at=now))


def records(conn: Connection, rows: Iterable[Row[Any]]) -> list[ProfileRecord]:
    """Whole profiles (aliases, event and purchase tallies) for these profile rows, in their order."""
    rows = list(rows)
    ids = [r.braze_id for r in rows]
    if not ids:
        return []
    aliases: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for a in conn.execute(
        sa.select(A.braze_id, A.alias_name, A.alias_label).where(A.braze_id.in_(ids)).order_by(A.alias_label)
    ):
        aliases[a.braze_id].append((a.alias_name, a.alias_label))
    e, p = sandbox_events.c, sandbox_purchases.c
    events = _tallies(conn, e.braze_id, e.name, e.time, sa.func.count(), ids)
    purchases = _tallies(conn, p.braze_id, p.product_id, p.time, sa.func.sum(p.quantity), ids)
    return [
        ProfileRecord(
            r.braze_id, r.external_id, r.created_at, r.updated_at, dict(r.fields), dict(r.custom),
            aliases[r.braze_id], events[r.braze_id], purchases[r.braze_id], r.data_points,
        )
        for r in rows
    ]  # fmt: skip


def _tallies(conn: Connection, owner: Any, name: Any, time: Any, count: Any, ids: list[str]) -> dict[str, list[Tally]]:
    out: dict[str, list[Tally]] = defaultdict(list)
    query = (
        sa.select(owner, name, sa.func.min(time), sa.func.max(time), count)
        .where(owner.in_(ids))
        .group_by(owner, name)
        .order_by(owner, name)
    )
    for braze_id, n, first, last, c in conn.execute(query):
        out[braze_id].append(Tally(n, first, last, int(c)))
    return out
