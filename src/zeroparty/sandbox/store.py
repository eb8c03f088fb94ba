"""The sandbox's profile store: resolving identifiers to profiles and applying /users/track."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.db.engine import reader
from zeroparty.sandbox.rules.identifiers import Identifier, identify, update_existing_only
from zeroparty.sandbox.rules.profile_ops import Profile, apply_attributes
from zeroparty.sandbox.rules.validation import attributes_problem, event_problem, parse_time, purchase_problem
from zeroparty.sandbox.tables import sandbox_aliases, sandbox_events, sandbox_profiles, sandbox_purchases

ARRAYS = ("attributes", "events", "purchases")


@dataclass
class TrackOutcome:
    processed: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    data_points: int = 0


@dataclass
class _Loaded:
    braze_id: str
    external_id: str | None
    profile: Profile
    data_points: int
    dirty: bool = False


class SandboxStore:
    def __init__(self, engine: Engine, array_cap: int = 25) -> None:
        self._engine = engine
        self._array_cap = array_cap

    def track(self, body: Mapping[str, Any], now: datetime) -> TrackOutcome:
        out = TrackOutcome()
        with self._engine.begin() as conn:
            cache: dict[str, _Loaded] = {}
            for array in ARRAYS:
                items = body.get(array)
                if not isinstance(items, list):
                    continue
                out.processed[array] = 0
                for index, obj in enumerate(items):
                    problem = (
                        attributes_problem(obj)
                        if array == "attributes"
                        else event_problem(obj, now)
                        if array == "events"
                        else purchase_problem(obj, now)
                    )
                    if problem:
                        out.errors.append({"type": problem, "input_array": array, "index": index})
                        continue
                    out.processed[array] += 1
                    ident = identify(obj)
                    loaded = self._resolve(conn, cache, ident, update_existing_only(obj, ident, array), now)
                    if loaded is None:
                        continue  # update-only and no such user: Braze skips it silently
                    out.data_points += self._apply(conn, loaded, array, obj, ident, now)
            for loaded in cache.values():
                self._save(conn, loaded, now)
        return out

    def _apply(
        self, conn: Connection, loaded: _Loaded, array: str, obj: Mapping[str, Any], ident: Identifier, now: datetime
    ) -> int:
        if array == "attributes":
            changes = dict(obj)
            if ident.kind in ("email", "phone"):
                changes.pop(ident.kind)  # the lookup key, not a change
            points = apply_attributes(loaded.profile, changes, now, self._array_cap)
        elif array == "events":
            conn.execute(
                sa.insert(sandbox_events).values(
                    braze_id=loaded.braze_id, name=obj["name"], time=parse_time(obj["time"], now),
                    properties=obj.get("properties") or {},
                )
            )  # fmt: skip
            points = 1
        else:
            quantity = int(obj.get("quantity", 1))
            conn.execute(
                sa.insert(sandbox_purchases).values(
                    braze_id=loaded.braze_id, product_id=obj["product_id"], currency=obj["currency"].upper(),
                    price=float(obj["price"]), quantity=quantity, time=parse_time(obj["time"], now),
                    properties=obj.get("properties") or {},
                )
            )  # fmt: skip
            points = quantity
        loaded.data_points += points
        loaded.dirty = True
        return points

    def _resolve(
        self, conn: Connection, cache: dict[str, _Loaded], ident: Identifier, update_only: bool, now: datetime
    ) -> _Loaded | None:
        query = lookup(ident)
        cached = next((c for c in cache.values() if _matches(c, ident)), None)
        if cached is not None:
            return cached
        row = conn.execute(query).first()
        if row is not None and row.braze_id in cache:
            return cache[row.braze_id]
        if row is not None:
            loaded = _Loaded(
                row.braze_id, row.external_id, Profile(dict(row.fields), dict(row.custom)), row.data_points, False
            )
            cache[loaded.braze_id] = loaded
            return loaded
        if update_only or ident.kind == "braze_id":
            return None
        braze_id = uuid.uuid4().hex[:24]
        fields: dict[str, Any] = {}
        if ident.kind in ("email", "phone"):
            fields[ident.kind] = ident.value
        external_id = ident.value if ident.kind == "external_id" and isinstance(ident.value, str) else None
        # Created at once (events and purchases refer to it); its attributes are written by _save.
        conn.execute(
            sa.insert(sandbox_profiles).values(
                braze_id=braze_id, external_id=external_id, email=fields.get("email"), phone=fields.get("phone"),
                fields=fields, custom={}, data_points=0, created_at=now, updated_at=now,
            )
        )  # fmt: skip
        if isinstance(ident.value, tuple):
            name, label = ident.value
            conn.execute(sa.insert(sandbox_aliases).values(alias_name=name, alias_label=label, braze_id=braze_id))
        loaded = _Loaded(braze_id, external_id, Profile(fields, {}), 0, dirty=True)
        cache[braze_id] = loaded
        return loaded

    def _save(self, conn: Connection, loaded: _Loaded, now: datetime) -> None:
        if not loaded.dirty:
            return
        values = {
            "external_id": loaded.external_id,
            "email": loaded.profile.fields.get("email"),
            "phone": loaded.profile.fields.get("phone"),
            "fields": loaded.profile.fields,
            "custom": loaded.profile.custom,
            "data_points": loaded.data_points,
            "updated_at": now,
        }
        conn.execute(sa.update(sandbox_profiles).where(sandbox_profiles.c.braze_id == loaded.braze_id).values(**values))

    # -- reading -------------------------------------------------------------------------------

    def export(self, query: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
        p = sandbox_profiles.c
        conditions: list[Any] = []
        invalid: list[str] = []
        if isinstance(query.get("external_ids"), list):
            conditions.append(p.external_id.in_([str(x) for x in query["external_ids"]]))
        if isinstance(query.get("email_address"), str):
            conditions.append(p.email == query["email_address"].lower())
        if isinstance(query.get("phone"), str):
            conditions.append(p.phone == query["phone"])
        if isinstance(query.get("braze_id"), str):
            conditions.append(p.braze_id == query["braze_id"])
        aliases = query.get("user_aliases")
        if isinstance(aliases, list):
            pairs = [(a.get("alias_name"), a.get("alias_label")) for a in aliases if isinstance(a, dict)]
            alias_ids = sa.select(sandbox_aliases.c.braze_id).where(
                sa.tuple_(sandbox_aliases.c.alias_name, sandbox_aliases.c.alias_label).in_(pairs)
            )
            conditions.append(p.braze_id.in_(alias_ids))
        with reader(self._engine).connect() as conn:
            rows = (
                conn.execute(sa.select(sandbox_profiles).where(sa.or_(*conditions)).order_by(p.created_at)).all()
                if conditions
                else []
            )
            users = [self._user(conn, row) for row in rows]
        found = {u.get("external_id") for u in users}
        invalid = [str(x) for x in query.get("external_ids") or [] if str(x) not in found]
        return users, invalid

    def _user(self, conn: Connection, row: Any) -> dict[str, Any]:
        user: dict[str, Any] = {"braze_id": row.braze_id}
        if row.external_id is not None:
            user["external_id"] = row.external_id
        user.update(row.fields)
        aliases = conn.execute(
            sa.select(sandbox_aliases.c.alias_name, sandbox_aliases.c.alias_label).where(
                sandbox_aliases.c.braze_id == row.braze_id
            )
        ).all()
        user["user_aliases"] = [{"alias_name": a.alias_name, "alias_label": a.alias_label} for a in aliases]
        user["custom_attributes"] = row.custom
        e = sandbox_events.c
        events = conn.execute(
            sa.select(e.name, sa.func.min(e.time), sa.func.max(e.time), sa.func.count())
            .where(e.braze_id == row.braze_id)
            .group_by(e.name)
            .order_by(e.name)
        ).all()
        user["custom_events"] = [
            {"name": n, "first": _iso(first), "last": _iso(last), "count": c} for n, first, last, c in events
        ]
        pu = sandbox_purchases.c
        purchases = conn.execute(
            sa.select(pu.product_id, sa.func.min(pu.time), sa.func.max(pu.time), sa.func.sum(pu.quantity))
            .where(pu.braze_id == row.braze_id)
            .group_by(pu.product_id)
            .order_by(pu.product_id)
        ).all()
        user["purchases"] = [
            {"name": n, "first": _iso(first), "last": _iso(last), "count": int(c)} for n, first, last, c in purchases
        ]
        user["data_points"] = row.data_points
        return user

    def search(self, q: str, limit: int = 50) -> list[dict[str, Any]]:
        p = sandbox_profiles.c
        like = f"%{q.lower()}%"
        with reader(self._engine).connect() as conn:
            alias_ids = sa.select(sandbox_aliases.c.braze_id).where(sandbox_aliases.c.alias_name.ilike(like))
            where = (
                sa.or_(p.email.ilike(like), p.external_id.ilike(like), p.braze_id == q, p.braze_id.in_(alias_ids))
                if q
                else sa.true()
            )
            rows = conn.execute(
                sa.select(sandbox_profiles).where(where).order_by(p.updated_at.desc()).limit(limit)
            ).all()
            return [self._user(conn, r) for r in rows]

    def count_profiles(self) -> int:
        with reader(self._engine).connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(sandbox_profiles)).scalar_one())

    def reset(self) -> None:
        with self._engine.begin() as conn:
            for table in (sandbox_purchases, sandbox_events, sandbox_aliases, sandbox_profiles):
                conn.execute(sa.delete(table))


def lookup(ident: Identifier) -> sa.Select[Any]:
    """The profile an identifier names (at most one row)."""
    p = sandbox_profiles.c
    query = sa.select(sandbox_profiles)
    if ident.kind == "external_id":
        return query.where(p.external_id == ident.value)
    if ident.kind == "braze_id":
        return query.where(p.braze_id == ident.value)
    if isinstance(ident.value, tuple):
        name, label = ident.value
        return query.join(sandbox_aliases, sandbox_aliases.c.braze_id == p.braze_id).where(
            sandbox_aliases.c.alias_name == name, sandbox_aliases.c.alias_label == label
        )
    # Several profiles may share an email or phone: Braze picks the most recently updated one that
    # has an external_id, else the most recently updated one.
    column = p.email if ident.kind == "email" else p.phone
    return query.where(column == ident.value).order_by(p.external_id.is_(None), p.updated_at.desc()).limit(1)


def _matches(loaded: _Loaded, ident: Identifier) -> bool:
    if ident.kind == "external_id":
        return loaded.external_id == ident.value
    if ident.kind == "braze_id":
        return loaded.braze_id == ident.value
    if ident.kind in ("email", "phone"):
        return loaded.profile.fields.get(ident.kind) == ident.value
    return False  # an alias is looked up in the database, which the cache then answers by braze_id


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")
