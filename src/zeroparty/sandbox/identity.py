"""Profile identity operations: aliases, identify, merge, delete, subscription state.

Semantics follow Braze's pages: https://www.braze.com/docs/api/endpoints/user_data/post_user_alias ,
.../post_user_identify (an alias-only or email-only profile becomes identified, or with
`merge_behavior: merge` is merged into the existing identified one), .../post_users_merge (fields
missing on the kept profile are filled from the merged one; events and purchases move over; the
merged profile is removed), .../post_user_delete, and the subscription group and email status
endpoints.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from zeroparty.sandbox import requests as rq
from zeroparty.sandbox.rules.identifiers import Identifier
from zeroparty.sandbox.store import lookup
from zeroparty.sandbox.tables import sandbox_aliases, sandbox_events, sandbox_profiles, sandbox_purchases

P = sandbox_profiles.c


def _ref(ref: rq.UserRef) -> Identifier:
    if ref.external_id is not None:
        return Identifier("external_id", ref.external_id)
    if ref.user_alias is not None:
        return Identifier("user_alias", (ref.user_alias.alias_name, ref.user_alias.alias_label))
    if ref.email is not None:
        return Identifier("email", ref.email.lower())
    return Identifier("phone", str(ref.phone))


def _new_profile(conn: Connection, now: datetime, external_id: str | None = None) -> str:
    braze_id = uuid.uuid4().hex[:24]
    conn.execute(
        sa.insert(sandbox_profiles).values(
            braze_id=braze_id, external_id=external_id, email=None, phone=None, fields={}, custom={},
            data_points=0, created_at=now, updated_at=now,
        )
    )  # fmt: skip
    return braze_id


def _absorb(conn: Connection, keep: Row[Any], gone: Row[Any], now: datetime, merge_data: bool) -> None:
    """Fold `gone` into `keep` and remove `gone`. With merge_data, fields and custom attributes
    missing on `keep` are filled from `gone`, and its events and purchases move over."""
    fields, custom = dict(keep.fields), dict(keep.custom)
    if merge_data:
        fields = {**gone.fields, **fields}
        custom = {**gone.custom, **custom}
        for table in (sandbox_events, sandbox_purchases):
            conn.execute(sa.update(table).where(table.c.braze_id == gone.braze_id).values(braze_id=keep.braze_id))
    for table in (sandbox_events, sandbox_purchases):
        conn.execute(sa.delete(table).where(table.c.braze_id == gone.braze_id))
    conn.execute(
        sa.update(sandbox_aliases).where(sandbox_aliases.c.braze_id == gone.braze_id).values(braze_id=keep.braze_id)
    )
    conn.execute(sa.delete(sandbox_profiles).where(P.braze_id == gone.braze_id))
    conn.execute(
        sa.update(sandbox_profiles)
        .where(P.braze_id == keep.braze_id)
        .values(fields=fields, custom=custom, email=fields.get("email"), phone=fields.get("phone"), updated_at=now)
    )


class IdentityStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def alias_new(self, body: rq.AliasNew, now: datetime) -> int:
        done = 0
        with self._engine.begin() as conn:
            for a in body.user_aliases:
                taken = conn.execute(lookup(Identifier("user_alias", (a.alias_name, a.alias_label)))).first()
                if taken is not None:
                    continue
                if a.external_id is not None:
                    owner = conn.execute(lookup(Identifier("external_id", a.external_id))).first()
                    if owner is None:
                        continue
                    braze_id = owner.braze_id
                else:
                    braze_id = _new_profile(conn, now)  # an alias-only profile
                conn.execute(
                    sa.insert(sandbox_aliases).values(
                        alias_name=a.alias_name, alias_label=a.alias_label, braze_id=braze_id
                    )
                )
                done += 1
        return done

    def alias_update(self, body: rq.AliasUpdates) -> None:
        a = sandbox_aliases.c
        with self._engine.begin() as conn:
            for u in body.alias_updates:
                conn.execute(
                    sa.update(sandbox_aliases)
                    .where(a.alias_label == u.alias_label, a.alias_name == u.old_alias_name)
                    .values(alias_name=u.new_alias_name)
                )

    def identify(self, body: rq.Identify, now: datetime) -> int:
        merge = body.merge_behavior == "merge"
        done = 0
        with self._engine.begin() as conn:
            pairs: list[tuple[str, Row[Any] | None]] = []
            for item in body.aliases_to_identify:
                alias = (item.user_alias.alias_name, item.user_alias.alias_label)
                pairs.append((item.external_id, conn.execute(lookup(Identifier("user_alias", alias))).first()))
            for e in body.emails_to_identify:
                unidentified = conn.execute(
                    sa.select(sandbox_profiles)
                    .where(P.email == e.email.lower(), P.external_id.is_(None))
                    .order_by(P.updated_at.desc() if "least_recently_updated" not in e.prioritization else P.updated_at)
                    .limit(1)
                ).first()
                pairs.append((e.external_id, unidentified))
            for external_id, anonymous in pairs:
                done += 1
                if anonymous is None or anonymous.external_id is not None:
                    continue  # Braze answers 201 and does nothing (e.g. alias casing differs)
                identified = conn.execute(lookup(Identifier("external_id", external_id))).first()
                if identified is None:
                    conn.execute(
                        sa.update(sandbox_profiles)
                        .where(P.braze_id == anonymous.braze_id)
                        .values(external_id=external_id, updated_at=now)
                    )
                else:
                    _absorb(conn, identified, anonymous, now, merge)
        return done

    def merge(self, body: rq.Merge, now: datetime) -> None:
        with self._engine.begin() as conn:
            for u in body.merge_updates:
                gone = conn.execute(lookup(_ref(u.identifier_to_merge))).first()
                keep = conn.execute(lookup(_ref(u.identifier_to_keep))).first()
                if gone is None or keep is None or gone.braze_id == keep.braze_id:
                    continue  # Braze still answers 202 when it skips a merge
                _absorb(conn, keep, gone, now, merge_data=True)

    def delete(self, body: rq.Delete) -> int:
        with self._engine.begin() as conn:
            ids = self._braze_ids(conn, body)
            for table in (sandbox_events, sandbox_purchases, sandbox_aliases):
                conn.execute(sa.delete(table).where(table.c.braze_id.in_(ids)))
            conn.execute(sa.delete(sandbox_profiles).where(P.braze_id.in_(ids)))
        return len(ids)

    def _braze_ids(self, conn: Connection, body: rq.Delete) -> list[str]:
        if body.user_aliases is not None:
            found = [
                conn.execute(lookup(Identifier("user_alias", (a.alias_name, a.alias_label)))).first()
                for a in body.user_aliases
            ]
            return [r.braze_id for r in found if r is not None]
        column, values = (
            (P.external_id, body.external_ids)
            if body.external_ids is not None
            else (P.braze_id, body.braze_ids)
            if body.braze_ids is not None
            else (P.email, [e.lower() for e in body.email_addresses or []])
            if body.email_addresses is not None
            else (P.phone, body.phone_numbers or [])
        )
        return list(conn.execute(sa.select(P.braze_id).where(column.in_(values or []))).scalars())

    def set_group_state(self, group_id: str, state: str, refs: Iterable[Identifier], now: datetime) -> None:
        with self._engine.begin() as conn:
            for ident in refs:
                rows = conn.execute(_all_matching(ident)).all()
                for row in rows:
                    fields = dict(row.fields)
                    groups = [
                        g for g in fields.get("subscription_groups") or [] if g.get("subscription_group_id") != group_id
                    ]
                    fields["subscription_groups"] = [
                        *groups,
                        {"subscription_group_id": group_id, "subscription_state": state},
                    ]
                    conn.execute(
                        sa.update(sandbox_profiles)
                        .where(P.braze_id == row.braze_id)
                        .values(fields=fields, updated_at=now)
                    )

    def set_email_state(self, emails: Iterable[str], state: str, now: datetime) -> None:
        with self._engine.begin() as conn:
            for email in emails:
                for row in conn.execute(sa.select(sandbox_profiles).where(P.email == email.lower())).all():
                    fields = {**row.fields, "email_subscribe": state}
                    conn.execute(
                        sa.update(sandbox_profiles)
                        .where(P.braze_id == row.braze_id)
                        .values(fields=fields, updated_at=now)
                    )


def _all_matching(ident: Identifier) -> sa.Select[Any]:
    """Every profile with this external_id, email or phone: subscription state follows the address
    (https://www.braze.com/docs/api/endpoints/user_data/post_user_track, "Set subscription groups")."""
    if ident.kind == "email":
        return sa.select(sandbox_profiles).where(P.email == ident.value)
    if ident.kind == "phone":
        return sa.select(sandbox_profiles).where(P.phone == ident.value)
    return lookup(ident)
