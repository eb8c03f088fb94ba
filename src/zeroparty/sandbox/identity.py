"""Profile identity operations: aliases, identify, merge, delete, subscription state.

Semantics follow Braze's pages:
- https://www.braze.com/docs/api/endpoints/user_data/post_user_alias: an alias with an external_id joins
  that user (none if the user does not exist); without one, an alias-only user is created. "Users can
  have multiple aliases with different labels, but only one alias_name per alias_label"
  (https://www.braze.com/docs/api/objects_filters/user_alias_object).
- https://www.braze.com/docs/api/endpoints/user_data/post_user_identify: with no user holding the
  external_id, the unidentified profile takes it; otherwise the fields found only on the unidentified
  profile are merged into the identified one and the unidentified profile is removed — unless the
  identified user already has an alias with the same label. Since August 7, 2023 every call merges
  ("this endpoint will merge data for all calls", https://github.com/braze-inc/braze-docs/pull/5763),
  so the older `merge_behavior: "none"` no longer leaves data behind.
- https://www.braze.com/docs/api/endpoints/user_data/post_users_merge: the listed fields, custom
  attributes, events and purchases are merged "if they're not found on the target user"; a skipped
  merge still answers 202.
- https://www.braze.com/docs/api/endpoints/user_data/post_user_delete: email and phone identifiers take
  a prioritization; deleting is free of data points.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from zeroparty.sandbox import queries as q
from zeroparty.sandbox import requests as rq
from zeroparty.sandbox.rules.fields import merge_groups
from zeroparty.sandbox.rules.identifiers import Identifier
from zeroparty.sandbox.tables import sandbox_aliases, sandbox_events, sandbox_profiles, sandbox_purchases

P = sandbox_profiles.c
A = sandbox_aliases.c
# The standard fields identify and merge carry over when the kept profile lacks them.
MERGED_FIELDS = (
    "first_name", "last_name", "email", "gender", "dob", "phone", "time_zone", "home_city", "country", "language",
)  # fmt: skip


def _fold(conn: Connection, keep: Row[Any], gone: Row[Any], now: datetime) -> None:
    """Fold `gone` into `keep`, then remove `gone`: the fields and custom attributes `keep` lacks, and
    all events and purchases, move over; its aliases follow unless `keep` already has an alias with
    that label."""
    fields, custom = dict(keep.fields), dict(keep.custom)
    for key in MERGED_FIELDS:
        if fields.get(key) is None and gone.fields.get(key) is not None:
            fields[key] = gone.fields[key]
            if key == "email" and "email_subscribe" in gone.fields and "email_subscribe" not in fields:
                # The state belongs to the address (every profile sharing it changes with it, see
                # store.py), so it comes along with the address (a sandbox choice).
                fields["email_subscribe"] = gone.fields["email_subscribe"]
    custom = {**gone.custom, **custom}
    for table in (sandbox_events, sandbox_purchases):
        conn.execute(sa.update(table).where(table.c.braze_id == gone.braze_id).values(braze_id=keep.braze_id))
    taken = q.alias_labels(conn, keep.braze_id)
    conn.execute(
        sa.update(sandbox_aliases)
        .where(A.braze_id == gone.braze_id, A.alias_label.not_in(taken))
        .values(braze_id=keep.braze_id)
    )
    q.delete_profiles(conn, [gone.braze_id])
    q.save_profile(conn, keep.braze_id, fields, custom, now, data_points=keep.data_points + gone.data_points)


def _find(conn: Connection, ref: rq.UserRef) -> Row[Any] | None:
    ident = ref.identifier()
    if ident.kind in ("email", "phone") and ref.prioritization is not None:
        return q.prioritized(conn, ident.kind, str(ident.value), ref.prioritization)
    return conn.execute(q.lookup(ident)).first()


class IdentityStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def alias_new(self, body: rq.AliasNew, now: datetime) -> int:
        done = 0
        with self._engine.begin() as conn:
            for a in body.user_aliases:
                if conn.execute(q.lookup(Identifier("user_alias", (a.alias_name, a.alias_label)))).first():
                    continue  # the alias already names a user
                if a.external_id is not None:
                    owner = conn.execute(q.lookup(Identifier("external_id", a.external_id))).first()
                    if owner is None or a.alias_label in q.alias_labels(conn, owner.braze_id):
                        continue  # no such user, or one alias per label
                    braze_id = owner.braze_id
                else:
                    braze_id = q.new_profile(conn, now)  # an alias-only user
                q.add_alias(conn, braze_id, a.alias_name, a.alias_label)
                done += 1
        return done

    def alias_update(self, body: rq.AliasUpdates) -> None:
        with self._engine.begin() as conn:
            for u in body.alias_updates:
                clash = conn.execute(q.lookup(Identifier("user_alias", (u.new_alias_name, u.alias_label)))).first()
                if clash is not None:
                    continue  # the new name already belongs to someone
                conn.execute(
                    sa.update(sandbox_aliases)
                    .where(A.alias_label == u.alias_label, A.alias_name == u.old_alias_name)
                    .values(alias_name=u.new_alias_name)
                )

    def identify(self, body: rq.Identify, now: datetime) -> int:
        with self._engine.begin() as conn:
            pairs: list[tuple[str, Row[Any] | None, str | None]] = []
            for item in body.aliases_to_identify:
                alias = (item.user_alias.alias_name, item.user_alias.alias_label)
                pairs.append(
                    (item.external_id, conn.execute(q.lookup(Identifier("user_alias", alias))).first(), alias[1])
                )
            for e in body.emails_to_identify:
                pairs.append(
                    (e.external_id, q.prioritized(conn, "email", e.email.strip().lower(), e.prioritization), None)
                )
            for p in body.phone_numbers_to_identify:
                pairs.append((p.external_id, q.prioritized(conn, "phone", p.phone, p.prioritization), None))
            for external_id, anonymous, label in pairs:
                if anonymous is None or anonymous.external_id is not None:
                    continue  # Braze answers 201 and does nothing (e.g. an alias whose casing differs)
                anonymous = conn.execute(q.lookup(Identifier("braze_id", anonymous.braze_id))).first()
                if anonymous is None:
                    continue  # folded into another user earlier in this request
                identified = conn.execute(q.lookup(Identifier("external_id", external_id))).first()
                if identified is None:
                    conn.execute(
                        sa.update(sandbox_profiles)
                        .where(P.braze_id == anonymous.braze_id)
                        .values(external_id=external_id, updated_at=now)
                    )
                elif label is None or label not in q.alias_labels(conn, identified.braze_id):
                    _fold(conn, identified, anonymous, now)  # every call merges, whatever merge_behavior says
        return len(pairs)

    def merge(self, body: rq.Merge, now: datetime) -> None:
        with self._engine.begin() as conn:
            for u in body.merge_updates:
                gone, keep = _find(conn, u.identifier_to_merge), _find(conn, u.identifier_to_keep)
                if gone is None or keep is None or gone.braze_id == keep.braze_id:
                    continue  # Braze still answers 202 when it skips a merge
                _fold(conn, keep, gone, now)

    def delete(self, body: rq.Delete) -> int:
        with self._engine.begin() as conn:
            ids = sorted(set(self._braze_ids(conn, body)))
            q.delete_profiles(conn, ids)
        return len(ids)

    def _braze_ids(self, conn: Connection, body: rq.Delete) -> list[str]:
        if body.user_aliases is not None:
            found = [
                conn.execute(q.lookup(Identifier("user_alias", (a.alias_name, a.alias_label)))).first()
                for a in body.user_aliases
            ]
            return [r.braze_id for r in found if r is not None]
        if body.external_ids is not None:
            return list(conn.execute(sa.select(P.braze_id).where(P.external_id.in_(body.external_ids))).scalars())
        if body.braze_ids is not None:
            return list(conn.execute(sa.select(P.braze_id).where(P.braze_id.in_(body.braze_ids))).scalars())
        kind = "email" if body.email_addresses is not None else "phone"
        ids: list[str] = []
        for ref in body.email_addresses or body.phone_numbers or []:
            if isinstance(ref, str):
                value = ref.strip().lower() if kind == "email" else ref
                ids += [r.braze_id for r in conn.execute(q.with_address(kind, value)).all()]
            else:
                value = (ref.email or "").strip().lower() if kind == "email" else str(ref.phone)
                row = q.prioritized(conn, kind, value, ref.prioritization)
                ids += [row.braze_id] if row is not None else []
        return ids

    def set_group_state(self, group_id: str, state: str, refs: Iterable[Identifier], now: datetime) -> None:
        """Subscription state follows the address: every profile with the email or phone changes."""
        update = [{"subscription_group_id": group_id, "subscription_state": state}]
        with self._engine.begin() as conn:
            for ident in refs:
                query = q.lookup(ident) if ident.kind == "external_id" else q.with_address(ident.kind, str(ident.value))
                for row in conn.execute(query).all():
                    fields = {
                        **row.fields,
                        "subscription_groups": merge_groups(row.fields.get("subscription_groups"), update),
                    }
                    q.save_profile(conn, row.braze_id, fields, dict(row.custom), now)

    def set_email_state(self, emails: Iterable[str], state: str, now: datetime) -> None:
        """The state is kept for the address, so a user who gets it later has it too."""
        with self._engine.begin() as conn:
            for email in {e.strip().lower() for e in emails}:
                q.record_email_state(conn, email, state, now)
                for row in conn.execute(q.with_address("email", email)).all():
                    q.save_profile(conn, row.braze_id, {**row.fields, "email_subscribe": state}, dict(row.custom), now)
