"""The sandbox's profile store: applying /users/track, and reading profiles back (export, browser)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from zeroparty.adapters.db.engine import reader
from zeroparty.sandbox import queries as q
from zeroparty.sandbox.rules import data_points
from zeroparty.sandbox.rules.export_object import export_user, full_view
from zeroparty.sandbox.rules.fields import merge_groups
from zeroparty.sandbox.rules.identifiers import Identifier, identify, update_existing_only
from zeroparty.sandbox.rules.nested import is_nested_update, nested_problem
from zeroparty.sandbox.rules.profile_ops import Profile, apply_attributes
from zeroparty.sandbox.rules.times import not_after, parse_time
from zeroparty.sandbox.rules.validation import ARRAYS, CONTROL_KEYS, IDENTIFIER_KEYS, object_problem
from zeroparty.sandbox.tables import (
    sandbox_aliases,
    sandbox_email_states,
    sandbox_events,
    sandbox_profiles,
    sandbox_purchases,
)

P = sandbox_profiles.c
LIKE_ESCAPE = "!"  # not a backslash, whose quoting differs between SQLite and PostgreSQL
# Two requests creating the same user at once: the loser retries and finds it; a deadlock between
# requests locking the same users in another order (PostgreSQL) is retried the same way.
_ATTEMPTS = 3


@dataclass
class TrackOutcome:
    processed: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    data_points: int = 0
    notes: list[str] = field(default_factory=list)


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

    # -- /users/track --------------------------------------------------------------------------

    def track(
        self, body: Mapping[str, Any], now: datetime, forced: Mapping[tuple[str, int], str] | None = None
    ) -> TrackOutcome:
        """Apply a /users/track body; `forced` rejects more objects by (array, index), with their type."""
        valid: list[tuple[str, Mapping[str, Any]]] = []
        forced = forced or {}
        out = TrackOutcome()
        for array in ARRAYS:
            items = body.get(array)
            if not isinstance(items, list):
                continue
            out.processed[array] = 0
            for index, obj in enumerate(items):
                problem = object_problem(array, obj) or forced.get((array, index))
                if problem:
                    out.errors.append({"type": problem, "input_array": array, "index": index})
                else:
                    out.processed[array] += 1
                    valid.append((array, obj))
        drop_nested = self._nested_drop(valid, out.notes)
        for attempt in range(_ATTEMPTS):
            try:
                with self._engine.begin() as conn:
                    points, notes = self._apply_all(conn, valid, drop_nested, now)
            except (IntegrityError, OperationalError):
                if attempt == _ATTEMPTS - 1:
                    raise
                continue
            out.data_points = points
            out.notes.extend(notes)
            break
        return out

    @staticmethod
    def _nested_drop(valid: list[tuple[str, Mapping[str, Any]]], notes: list[str]) -> bool:
        for array, obj in valid:
            if array != "attributes":
                continue
            for key, value in obj.items():
                if key in CONTROL_KEYS or key in IDENTIFIER_KEYS or not is_nested_update(value):
                    continue
                problem = nested_problem(value)
                if problem:
                    notes.append(f"all nested custom attribute updates dropped: '{key}' holds a {problem}")
                    return True
        return False

    def _apply_all(
        self, conn: Connection, valid: list[tuple[str, Mapping[str, Any]]], drop_nested: bool, now: datetime
    ) -> tuple[int, list[str]]:
        cache: dict[str, _Loaded] = {}
        points = 0
        notes: list[str] = []
        subscription_changes: list[tuple[str, Mapping[str, Any]]] = []
        for array, obj in valid:
            ident = identify(obj)
            loaded = self._resolve(conn, cache, ident, update_existing_only(obj, ident, array), now)
            if loaded is None:
                notes.append(f"{array}: no user for {ident.kind} {ident.value!r} and update-only; skipped")
                continue  # update-only and no such user: Braze skips it silently
            if array == "attributes":
                changes = {k: v for k, v in obj.items() if not (k == ident.kind and k in ("email", "phone"))}
                applied = apply_attributes(
                    loaded.profile, changes, now, array_cap=self._array_cap, drop_nested=drop_nested
                )
                used, notes = applied.data_points, notes + applied.notes
                state = q.email_state(conn, loaded.profile.fields.get("email")) if "email" in changes else None
                if state is not None and "email_subscribe" not in obj:
                    loaded.profile.fields["email_subscribe"] = state  # the address's state (see /email/status)
                if "email_subscribe" in obj or "subscription_groups" in obj:
                    subscription_changes.append((loaded.braze_id, obj))
            else:
                used = self._record(conn, loaded, array, obj, now)
            loaded.data_points += used
            loaded.dirty = True
            points += used
        for loaded in cache.values():
            if loaded.dirty:
                q.save_profile(
                    conn, loaded.braze_id, loaded.profile.fields, loaded.profile.custom, now,
                    external_id=loaded.external_id, data_points=loaded.data_points,
                )  # fmt: skip
        for braze_id, obj in subscription_changes:
            self._share_subscriptions(conn, cache[braze_id], obj, now)
        return points, notes

    def _record(self, conn: Connection, loaded: _Loaded, array: str, obj: Mapping[str, Any], now: datetime) -> int:
        moment = parse_time(obj["time"])
        assert moment is not None  # validated
        when = not_after(moment, now)  # a time in the future is recorded as now
        if array == "events":
            conn.execute(
                sa.insert(sandbox_events).values(
                    braze_id=loaded.braze_id, name=obj["name"], time=when, properties=obj.get("properties") or {}
                )
            )
            return data_points.event()
        quantity = int(obj.get("quantity", 1))
        conn.execute(
            sa.insert(sandbox_purchases).values(
                braze_id=loaded.braze_id, product_id=obj["product_id"], currency=obj["currency"].upper(),
                price=float(obj["price"]), quantity=quantity, time=when, properties=obj.get("properties") or {},
            )
        )  # fmt: skip
        return data_points.purchase(quantity, obj.get("properties"))

    @staticmethod
    def _share_subscriptions(conn: Connection, owner: _Loaded, obj: Mapping[str, Any], now: datetime) -> None:
        """Subscription changes reach every user with the same email
        (https://www.braze.com/docs/api/endpoints/user_data/post_user_track, "Set subscription groups")."""
        email = owner.profile.fields.get("email")
        if not email:
            return
        for row in conn.execute(q.with_address("email", email).where(P.braze_id != owner.braze_id)).all():
            fields = dict(row.fields)
            if obj.get("email_subscribe") is not None:
                fields["email_subscribe"] = obj["email_subscribe"]
            if isinstance(obj.get("subscription_groups"), list):
                fields["subscription_groups"] = merge_groups(
                    fields.get("subscription_groups"), obj["subscription_groups"]
                )
            q.save_profile(conn, row.braze_id, fields, dict(row.custom), now)

    def _resolve(
        self, conn: Connection, cache: dict[str, _Loaded], ident: Identifier, update_only: bool, now: datetime
    ) -> _Loaded | None:
        cached = next((c for c in cache.values() if _matches(c, ident)), None)
        if cached is not None:
            return cached
        row = conn.execute(q.lookup(ident)).first()
        if row is not None:
            if row.braze_id not in cache:
                profile = Profile(dict(row.fields), dict(row.custom))
                cache[row.braze_id] = _Loaded(row.braze_id, row.external_id, profile, row.data_points)
            return cache[row.braze_id]
        if update_only or ident.kind == "braze_id":
            return None  # braze_ids are Braze's to assign: an unknown one names nobody
        fields: dict[str, Any] = {ident.kind: ident.value} if ident.kind in ("email", "phone") else {}
        external_id = ident.value if ident.kind == "external_id" and isinstance(ident.value, str) else None
        # Created at once (events and purchases refer to it); its attributes are written at the end.
        braze_id = q.new_profile(conn, now, external_id=external_id, fields=fields)
        if isinstance(ident.value, tuple):
            q.add_alias(conn, braze_id, *ident.value)
        created = conn.execute(sa.select(sandbox_profiles).where(P.braze_id == braze_id)).one()
        cache[braze_id] = _Loaded(braze_id, external_id, Profile(dict(created.fields), {}), 0, dirty=True)
        return cache[braze_id]

    # -- reading -------------------------------------------------------------------------------

    def export(self, query: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
        """Users for a validated /users/export/ids body, and the identifiers that matched nobody."""
        conditions: list[Any] = []
        if isinstance(query.get("external_ids"), list):
            conditions.append(P.external_id.in_(query["external_ids"]))
        if isinstance(query.get("user_aliases"), list):
            pairs = [(a["alias_name"], a["alias_label"]) for a in query["user_aliases"]]
            a = sandbox_aliases.c
            conditions.append(
                P.braze_id.in_(sa.select(a.braze_id).where(sa.tuple_(a.alias_name, a.alias_label).in_(pairs)))
            )
        for key, column in (("braze_id", P.braze_id), ("email_address", P.email), ("phone", P.phone)):
            if isinstance(query.get(key), str):
                value = query[key].strip().lower() if key == "email_address" else query[key]
                conditions.append(column == value)
        with reader(self._engine).connect() as conn:
            recs = []  # a device_id alone finds nobody: the sandbox has no devices
            if conditions:
                select = sa.select(sandbox_profiles).where(sa.or_(*conditions)).order_by(P.created_at)
                recs = q.records(conn, conn.execute(select).all())
        only = query.get("fields_to_export")
        users = [export_user(r, only) for r in recs]
        invalid = [x for x in query.get("external_ids") or [] if x not in {r.external_id for r in recs}]
        for key, found in (
            ("device_id", set()),
            ("braze_id", {r.braze_id for r in recs}),
            ("email_address", {r.fields.get("email") for r in recs}),
            ("phone", {r.fields.get("phone") for r in recs}),
        ):
            value = query.get(key)
            if isinstance(value, str) and (value.strip().lower() if key == "email_address" else value) not in found:
                invalid.append(value)
        return users, invalid

    def search(self, text: str, limit: int = 50) -> list[dict[str, Any]]:
        """Profiles whose email, external_id, phone or alias name contains `text` (all when empty).
        `text` is matched literally: `%` and `_` are not wildcards."""
        like = f"%{like_literal(text.lower())}%"
        with reader(self._engine).connect() as conn:
            alias_ids = sa.select(sandbox_aliases.c.braze_id).where(
                sa.func.lower(sandbox_aliases.c.alias_name).like(like, escape=LIKE_ESCAPE)
            )
            where = (
                sa.or_(
                    P.email.like(like, escape=LIKE_ESCAPE), sa.func.lower(P.external_id).like(like, escape=LIKE_ESCAPE),
                    P.phone.like(like, escape=LIKE_ESCAPE), P.braze_id == text, P.braze_id.in_(alias_ids),
                )
                if text
                else sa.true()
            )  # fmt: skip
            rows = conn.execute(sa.select(sandbox_profiles).where(where).order_by(P.updated_at.desc()).limit(limit))
            return [full_view(r) for r in q.records(conn, rows)]

    def profile(self, braze_id: str) -> dict[str, Any] | None:
        with reader(self._engine).connect() as conn:
            recs = q.records(conn, conn.execute(sa.select(sandbox_profiles).where(P.braze_id == braze_id)))
        return full_view(recs[0]) if recs else None

    def count_profiles(self) -> int:
        with reader(self._engine).connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(sandbox_profiles)).scalar_one())

    def reset(self) -> None:
        with self._engine.begin() as conn:
            for table in (sandbox_purchases, sandbox_events, sandbox_aliases, sandbox_profiles, sandbox_email_states):
                conn.execute(sa.delete(table))


def like_literal(text: str) -> str:
    """`text` for a LIKE pattern that matches it literally: the escape character, `%` and `_` escaped."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def _matches(loaded: _Loaded, ident: Identifier) -> bool:
    if ident.kind == "external_id":
        return loaded.external_id == ident.value
    if ident.kind == "braze_id":
        return loaded.braze_id == ident.value
    return False  # aliases, emails and phones are looked up in the database, which then names the profile
