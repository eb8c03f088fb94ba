"""Capture writes: a response, its answers and its outbox rows, in one transaction; and the
experiences' external id token secrets. The outbox rows and the queue go through the named
statements of `outbox_sql/`."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from zeroparty.adapters.crypto import SecretBox
from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.experiences import VersionCache, latest_published, version_by_id
from zeroparty.adapters.db.group_commit import GroupCommit
from zeroparty.adapters.db.outbox_sql import queue, rows
from zeroparty.adapters.db.schema import (
    answers,
    consent_records,
    destinations,
    experience_secrets,
    experience_versions,
    experiences,
    responses,
)
from zeroparty.adapters.db.variants import variants_of
from zeroparty.domain.profile_change import identity_of
from zeroparty.errors import FieldError, InvalidInput, NotFound
from zeroparty.services.ports import Published, ResponseExists, ResponseWrite, StoredResponse, StoredVariant

T = TypeVar("T")


class SqlCaptureReader:
    """Reads for one capture transaction; on its own (`SqlCaptureStore.reading`) it never writes."""

    _lock_rows = False

    def __init__(self, conn: Connection, box: SecretBox | None = None, versions: VersionCache | None = None) -> None:
        self._conn = conn
        self._box = box
        self._versions = versions

    def experience_secret(self, slug: str) -> str | None:
        sealed = self._conn.execute(
            sa.select(experience_secrets.c.secret_sealed).where(experience_secrets.c.slug == slug)
        ).scalar()
        if sealed is None or self._box is None:
            return None
        return self._box.open(sealed)

    def completed_responses(self, slug: str) -> int:
        if self._lock_rows:
            # Two starts counting at once would both see room for one more: on PostgreSQL the
            # experience's row is locked until this transaction ends (SQLite's writer holds the file).
            self._conn.execute(sa.select(experiences.c.id).where(experiences.c.slug == slug).with_for_update())
        v = experience_versions.c
        versions = sa.select(v.id).join(experiences, experiences.c.id == v.experience_id)
        query = (
            sa.select(sa.func.count())
            .select_from(responses)
            .where(
                responses.c.experience_version_id.in_(versions.where(experiences.c.slug == slug)),
                responses.c.completed_at.is_not(None),
            )
        )
        return int(self._conn.execute(query).scalar_one())

    def published(self, slug: str) -> Published | None:
        return latest_published(self._conn, slug, self._versions)

    def version(self, version_id: int) -> Published:
        return version_by_id(self._conn, version_id, self._versions)

    def variants(self, slug: str) -> tuple[StoredVariant, ...]:
        return variants_of(self._conn, slug)

    def response(self, response_id: str) -> StoredResponse | None:
        query = sa.select(responses).where(responses.c.id == response_id)
        # A writer locks the row (PostgreSQL; SQLite's writer holds the whole file), so two submits
        # of one response take turns and the second sees what the first stored (a completion, say).
        row = self._conn.execute(query.with_for_update() if self._lock_rows else query).first()
        if row is None:
            return None
        stored = self._conn.execute(
            sa.select(answers.c.element_id, answers.c.value).where(answers.c.response_id == response_id)
        ).all()
        return StoredResponse(
            id=row.id,
            version_id=row.experience_version_id,
            answers={a.element_id: a.value for a in stored},
            outcome_id=row.outcome_id,
            completed_at=row.completed_at,
            external_id=row.external_id,
            path=tuple(row.path or ()),
            variables=dict(row.variables or {}),
            variant=row.variant,
            language=row.language,
        )


# A submit's statements, built once: building them again on every submit (and keying them for
# SQLAlchemy's compiled cache) cost more than running them (measured with py-spy on
# benchmarks/capture.py). The SET clause of the update is the columns its parameters name.
_INSERT_RESPONSE = sa.insert(responses)
_UPDATE_RESPONSE = sa.update(responses).where(responses.c.id == sa.bindparam("b_id"))
_CLEAR_ANSWERS = sa.delete(answers).where(
    answers.c.response_id == sa.bindparam("b_id"), answers.c.element_id.in_(sa.bindparam("b_elements", expanding=True))
)
_DESTINATIONS = sa.select(destinations.c.id, destinations.c.settings)


class SqlCaptureUnit(SqlCaptureReader):
    _lock_rows = True

    def write(self, w: ResponseWrite, now: datetime) -> int:
        conn = self._conn
        fields: dict[str, Any] = {
            "updated_at": now,
            "outcome_id": w.outcome_id,
            "path": list(w.path),
            "variables": w.variables,
        }
        if w.email is not None:
            fields["email"] = w.email
        if w.completed:
            fields["completed_at"] = now
        if w.is_new:
            new = {
                "id": w.response_id,
                "experience_version_id": w.version_id,
                "channel": w.channel,
                "created_at": now,
                "external_id": w.external_id,
                "variant": w.variant,
                "language": w.language,
                **fields,
            }
            try:
                conn.execute(_INSERT_RESPONSE, new)
            except IntegrityError:  # the id, the table's one unique key: the caller's savepoint undoes this write
                raise ResponseExists(w.response_id) from None
        else:
            conn.execute(_UPDATE_RESPONSE, {"b_id": w.response_id, **fields})
        touched = set(w.answers) | set(w.cleared)
        if touched and not w.is_new:
            conn.execute(_CLEAR_ANSWERS, {"b_id": w.response_id, "b_elements": sorted(touched)})
        if w.answers:
            conn.execute(
                sa.insert(answers),
                [
                    {
                        "response_id": w.response_id,
                        "element_id": k,
                        "screen_id": s,
                        "value": v,
                        "answered_at": now,
                    }
                    for k, (s, v) in w.answers.items()
                ],
            )
        _insert_consents(conn, w, now)
        change = w.profile_change()
        if change is None:
            return 0
        targets = conn.execute(_DESTINATIONS).all()
        keys = {d.id: change.key_for(identity_of(d.settings)) for d in targets}
        for key in sorted(set(keys.values())):  # first: it orders writers for one user
            queue.enqueue_users(conn, [d for d, k in keys.items() if k == key], [key], now)
        rows.add(conn, [rows.NewRow(d, w.response_id, key, change) for d, key in keys.items()], now)
        return len(keys)


def _insert_consents(conn: Connection, w: ResponseWrite, now: datetime) -> None:
    """The audit record of each consent this submit gave or withdrew, in the response's transaction."""
    if w.consents:
        conn.execute(
            sa.insert(consent_records),
            [
                {
                    "response_id": w.response_id,
                    "element_id": c.element_id,
                    "purpose": c.purpose,
                    "consent_key": c.consent_key,
                    "given": c.given,
                    "text": c.text,
                    "recorded_at": now,
                }
                for c in w.consents
            ],
        )


class SqlCaptureStore:
    """`box` opens the experiences' token secrets; without it no token can be checked, so every
    token is refused."""

    def __init__(self, engine: Engine, box: SecretBox | None = None) -> None:
        self._engine = engine
        self._box = box
        self.group_commit = GroupCommit(engine)
        self._versions = VersionCache()  # versions never change: each is read and parsed once

    @contextmanager
    def reading(self) -> Iterator[SqlCaptureReader]:
        with reader(self._engine).begin() as conn:
            yield SqlCaptureReader(conn, self._box, self._versions)

    @contextmanager
    def unit(self) -> Iterator[SqlCaptureUnit]:
        with self._engine.begin() as conn:
            yield SqlCaptureUnit(conn, self._box, self._versions)

    def run(self, work: Callable[[SqlCaptureUnit], T]) -> T:
        """`work` in a write transaction shared with the submits that arrive meanwhile (group
        commit, adapters/db/group_commit.py); returns once it is committed."""
        return self.group_commit.run(lambda conn: work(SqlCaptureUnit(conn, self._box, self._versions)))


SECRET_PREFIX = "zps_"


class SqlExperienceSecrets:
    """Each experience's token secret: made here, shown once, kept only sealed."""

    def __init__(self, engine: Engine, box: SecretBox) -> None:
        self._engine = engine
        self._box = box

    def create(self, slug: str, now: datetime, *, rotate: bool = False) -> str:
        """A new secret for `slug`, returned in clear this once. Without `rotate` an existing one
        is kept (it cannot be shown again); with it, tokens signed with the old one stop working."""
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)  # 256 random bits, as HMAC-SHA256 wants
        with self._engine.begin() as conn:
            known = conn.execute(sa.select(experiences.c.id).where(experiences.c.slug == slug)).first()
            if known is None:
                raise NotFound(FieldError("slug", f"no experience '{slug}'; import it first"))
            exists = conn.execute(sa.select(experience_secrets.c.slug).where(experience_secrets.c.slug == slug)).first()
            if exists is not None and not rotate:
                raise InvalidInput(
                    FieldError(
                        "slug",
                        f"'{slug}' already has a secret, which cannot be shown again; --rotate replaces it "
                        "(tokens signed with the old one are refused from then on)",
                    )
                )
            conn.execute(sa.delete(experience_secrets).where(experience_secrets.c.slug == slug))
            conn.execute(
                sa.insert(experience_secrets).values(slug=slug, secret_sealed=self._box.seal(secret), created_at=now)
            )
        return secret
