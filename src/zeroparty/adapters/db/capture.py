"""Capture's transactions: what a submit reads, and its writes (a response, its answers, its consent
records and its outbox rows, written by `capture_writes.py`); and the experiences' external id
token secrets."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from zeroparty.adapters.crypto import SecretBox
from zeroparty.adapters.db.capture_writes import PendingWrites
from zeroparty.adapters.db.engine import reader
from zeroparty.adapters.db.experiences import VersionCache, latest_published, version_by_id
from zeroparty.adapters.db.group_commit import GroupCommit
from zeroparty.adapters.db.schema import (
    answers,
    destinations,
    experience_secrets,
    experience_versions,
    experiences,
    responses,
)
from zeroparty.adapters.db.variants import variants_of
from zeroparty.domain.profile_change import identity_of
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.errors import FieldError, InvalidInput, NotFound
from zeroparty.services.ports import Published, ResponseWrite, StoredResponse, StoredVariant

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
        # A writer locks the row (PostgreSQL; SQLite's writer holds the whole file), so two submits
        # of one response take turns and the second sees what the first stored (a completion, say).
        rows = self._conn.execute(_RESPONSE_LOCKED if self._lock_rows else _RESPONSE, {"b_id": response_id}).all()
        if not rows:
            return None
        row = rows[0]
        return StoredResponse(
            id=row.id,
            version_id=row.experience_version_id,
            answers={r.answer_element: r.answer_value for r in rows if r.answer_element is not None},
            outcome_id=row.outcome_id,
            completed_at=row.completed_at,
            external_id=row.external_id,
            path=tuple(row.path or ()),
            variables=dict(row.variables or {}),
            variant=row.variant,
            language=row.language,
        )


# Built once, as the writes' statements are (capture_writes.py). The response and its answers in
# one statement: every screen's submit reads them, and a statement costs SQLAlchemy more than the
# few rows the join repeats.
_RESPONSE = (
    sa.select(responses, answers.c.element_id.label("answer_element"), answers.c.value.label("answer_value"))
    .select_from(responses.outerjoin(answers, answers.c.response_id == responses.c.id))
    .where(responses.c.id == sa.bindparam("b_id"))
)
_RESPONSE_LOCKED = _RESPONSE.with_for_update(of=responses)  # not the answers: the nullable side of the join


_DESTINATIONS = sa.select(destinations.c.id, destinations.c.settings).where(
    destinations.c.workspace_id == sa.bindparam("b_workspace")
)
_WORKSPACE_OF_VERSION = (
    sa.select(experiences.c.workspace_id)
    .join(experience_versions, experience_versions.c.experience_id == experiences.c.id)
    .where(experience_versions.c.id == sa.bindparam("b_version"))
)


class SqlCaptureUnit(SqlCaptureReader):
    """One write transaction. Held back (`held=True`, a group commit's unit, shared by the submits
    of one group): its writes go to the database together when it is flushed, or earlier when a
    read could see them (adapters/db/capture_writes.py). Otherwise each write goes at once.

    What capture never writes (the published versions, the variants, the destinations) is read
    once per transaction: a group's submits read it as one would."""

    _lock_rows = True

    def __init__(
        self,
        conn: Connection,
        box: SecretBox | None = None,
        versions: VersionCache | None = None,
        *,
        held: bool = False,
    ) -> None:
        super().__init__(conn, box, versions)
        self._held = held
        self._pending = PendingWrites()
        self._job_from = 0  # where the current submit's held writes start
        self._job_written = False  # some of them reached the database before the submit ended
        self._broken = False  # a flush failed: the transaction must be rolled back
        self._published: dict[str, Published | None] = {}
        self._variants: dict[str, tuple[StoredVariant, ...]] = {}
        self._versions_read: dict[int, Published] = {}
        # Per workspace: a response goes to its own experience's workspace's destinations only.
        self._targets: dict[int, list[tuple[int, str]]] = {}

    def published(self, slug: str) -> Published | None:
        if slug not in self._published:
            self._published[slug] = super().published(slug)
        return self._published[slug]

    def variants(self, slug: str) -> tuple[StoredVariant, ...]:
        if slug not in self._variants:
            self._variants[slug] = super().variants(slug)
        return self._variants[slug]

    def version(self, version_id: int) -> Published:
        if version_id not in self._versions_read:
            self._versions_read[version_id] = super().version(version_id)
        return self._versions_read[version_id]

    def response(self, response_id: str) -> StoredResponse | None:
        if self._pending.touches(response_id):
            self.flush()
        return super().response(response_id)

    def completed_responses(self, slug: str) -> int:
        self.flush()
        return super().completed_responses(slug)

    def write(self, w: ResponseWrite, now: datetime) -> int:
        if self._pending.touches(w.response_id):
            self.flush()  # one response once per flush: its statements run table by table
        change = w.profile_change()
        keys = {}
        if change is not None:
            keys = {d: change.key_for(identity) for d, identity in self._targets_of(w.version_id)}
        self._pending.hold(w, now, keys)
        if not self._held:
            self.flush()
        return len(keys)

    def _workspace_of(self, version_id: int) -> int:
        """The workspace of the version's experience: as the submit read it, else from the store."""
        read = self._versions_read.get(version_id) or next(
            (p for p in self._published.values() if p is not None and p.version_id == version_id), None
        )
        if read is not None:
            return read.workspace_id
        return int(self._conn.execute(_WORKSPACE_OF_VERSION, {"b_version": version_id}).scalar_one())

    def _targets_of(self, version_id: int) -> list[tuple[int, str]]:
        workspace = self._workspace_of(version_id)
        if workspace not in self._targets:
            found = self._conn.execute(_DESTINATIONS, {"b_workspace": workspace})
            self._targets[workspace] = [(d.id, identity_of(d.settings)) for d in found]
        return self._targets[workspace]

    # -- the group commit's side (adapters/db/group_commit.py `Unit`) --

    def start_job(self) -> None:
        self._job_from, self._job_written = len(self._pending), False

    def drop_job(self) -> bool:
        if self._broken or self._job_written:
            return False
        self._pending.drop_from(self._job_from)
        return True

    def flush(self) -> None:
        if not self._pending:
            return
        self._job_written = self._job_written or len(self._pending) > self._job_from
        self._job_from = 0
        try:
            self._pending.flush(self._conn)
        except BaseException:
            self._broken = True
            raise


class SqlCaptureStore:
    """`box` opens the experiences' token secrets; without it no token can be checked, so every
    token is refused."""

    def __init__(self, engine: Engine, box: SecretBox | None = None) -> None:
        self._engine = engine
        self._box = box
        self._versions = VersionCache()  # versions never change: each is read and parsed once
        self.group_commit = GroupCommit(engine, lambda conn: SqlCaptureUnit(conn, box, self._versions, held=True))

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
        return self.group_commit.run(work)

    async def run_async(self, work: Callable[[SqlCaptureUnit], T]) -> T:
        return await self.group_commit.run_async(work)


SECRET_PREFIX = "zps_"


class SqlExperienceSecrets:
    """Each experience's token secret: made here, shown once, kept only sealed (the `SecretMaker`
    port of services/experience_secrets.py)."""

    def __init__(self, engine: Engine, box: SecretBox, *, workspace_id: int = DEFAULT_WORKSPACE_ID) -> None:
        self._engine = engine
        self._box = box
        self._workspace_id = workspace_id  # another workspace's experience is not found

    def create(self, slug: str, now: datetime, *, rotate: bool = False) -> str:
        """A new secret for `slug`, returned in clear this once. Without `rotate` an existing one
        is kept (it cannot be shown again); with it, tokens signed with the old one stop working."""
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)  # 256 random bits, as HMAC-SHA256 wants
        with self._engine.begin() as conn:
            mine = sa.and_(experiences.c.slug == slug, experiences.c.workspace_id == self._workspace_id)
            known = conn.execute(sa.select(experiences.c.id).where(mine)).first()
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
