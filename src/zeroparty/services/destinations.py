"""Operating destinations: adding one, its key, its settings and endpoint, pausing and removal, and
what a test send would carry. `zeroparty destinations` is one face of it; the console will be
another. The store answers through `DestinationStore`; the checks that call Braze are
`destination_probe.DestinationCalls`'s, which the faces run between the steps here."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from zeroparty.domain.array_limit import array_limit_problems
from zeroparty.domain.consent_groups import subscription_keys
from zeroparty.domain.destination_settings import DestinationSettings
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.synthetic import SyntheticSend, synthetic_send
from zeroparty.domain.verify import TRACK, Permission, needed_permissions, newly_needed
from zeroparty.errors import FieldError, InvalidInput
from zeroparty.services.audit import AuditService, Detail
from zeroparty.services.clock import utcnow
from zeroparty.services.destination_types import BrazeConnection, DestinationView, Removed, StoredDefinition
from zeroparty.services.ports import Published

MAX_PAUSE_REASON = 200


class DestinationStore(Protocol):
    """The destinations as stored; the key sealed at rest. Each method naming a destination raises
    NotFound (naming `name`) when there is none by that name."""

    def list(self) -> list[DestinationView]:
        """Every destination with its queue counts, by name."""
        ...

    def add_braze(
        self, name: str, endpoint: str, api_key: str, now: datetime, settings: DestinationSettings | None = None
    ) -> int:
        """The new destination's id; InvalidInput when the name is taken."""
        ...

    def pause(self, name: str, reason: str) -> None:
        """Hold every delivery to `name` until it is resumed, saying why (NotFound when unknown)."""
        ...

    def resume(self, name: str) -> None: ...

    def connection(self, name: str) -> BrazeConnection: ...

    def settings(self, name: str) -> DestinationSettings: ...

    def set_settings(self, name: str, settings: DestinationSettings, endpoint: str | None = None) -> str | None:
        """Store them (and a new endpoint); the pause reason a new endpoint lifted, if any."""
        ...

    def update_key(self, name: str, api_key: str) -> str | None:
        """Replace the key and resume the destination; the pause reason it had, if any."""
        ...

    def remove(self, name: str, *, force: bool = False) -> Removed:
        """Delete it with everything delivery holds for it; InvalidInput while rows still wait,
        unless `force`."""
        ...


class PublishedExperiences(Protocol):
    def list_published(self) -> Iterator[Published]:
        """Every published experience, by slug."""
        ...


@dataclass(frozen=True)
class SendPlan:
    """What `destinations test` sends: the destination, the experience whose mapping it uses (None:
    a synthetic set of attributes) and the requests."""

    dest: BrazeConnection
    experience: Experience | None
    send: SyntheticSend


def permissions_for_change(
    before: DestinationSettings, after: DestinationSettings, *, moving: bool
) -> tuple[Permission, ...]:
    """The permissions the stored key must be checked for when a destination's settings change
    (and it moves to another endpoint, with `moving`); none: no check. Pure.

    A key belongs to one instance: at a new endpoint it is checked for everything the settings
    need. Otherwise only for what the new settings add, users.track first, so that a refused key
    says so rather than as a missing permission."""
    if moving:
        return needed_permissions(after)
    needs = newly_needed(before, after)
    if needs and TRACK not in needs:
        needs = (TRACK, *needs)
    return needs


class DestinationsService:
    def __init__(
        self,
        store: DestinationStore,
        definitions: Callable[[], Sequence[StoredDefinition]],
        published: PublishedExperiences,
        clock: Callable[[], datetime] = utcnow,
        *,
        audit: AuditService | None = None,
        workspace_id: int | None = None,
    ) -> None:
        self._store = store
        self._definitions = definitions  # each experience's latest version
        self._published = published
        self._clock = clock
        self._audit = audit
        self._workspace_id = workspace_id

    def _record(self, actor: str | None, action: str, name: str, detail: Detail | None = None) -> None:
        """Log a change made on behalf of `actor` (None: a caller that logs it itself)."""
        if actor is not None and self._audit is not None:
            self._audit.record(self._workspace_id, actor, action, name, detail)

    def views(self) -> list[DestinationView]:
        """Every destination with its queue counts, by name."""
        return self._store.list()

    def find(self, name: str) -> DestinationView | None:
        return next((d for d in self._store.list() if d.name == name), None)

    def add_braze(
        self, name: str, endpoint: str, api_key: str, settings: DestinationSettings, *, actor: str | None = None
    ) -> int:
        found = self._store.add_braze(name, endpoint, api_key, self._clock(), settings)
        self._record(actor, "destination.add", name, {"endpoint": endpoint})
        return found

    def connection(self, name: str) -> BrazeConnection:
        return self._store.connection(name)

    def settings(self, name: str) -> DestinationSettings:
        return self._store.settings(name)

    def pause(self, name: str, reason: str, *, actor: str | None = None) -> None:
        """Hold `name`'s deliveries until resumed; the reason is shown wherever the pause is."""
        reason = " ".join(reason.split())
        if not reason or len(reason) > MAX_PAUSE_REASON:
            raise InvalidInput(FieldError("reason", f"say why in 1 to {MAX_PAUSE_REASON} characters"))
        self._store.pause(name, f"paused by hand: {reason}")
        self._record(actor, "destination.pause", name, {"reason": reason})

    def resume(self, name: str, *, actor: str | None = None) -> None:
        self._store.resume(name)
        self._record(actor, "destination.resume", name)

    def update_key(self, name: str, api_key: str, *, actor: str | None = None) -> str | None:
        lifted = self._store.update_key(name, api_key)
        self._record(actor, "destination.key", name, {"resumed": lifted is not None})  # never the key itself
        return lifted

    def set_settings(
        self, name: str, settings: DestinationSettings, endpoint: str | None = None, *, actor: str | None = None
    ) -> str | None:
        before = self._store.settings(name) if actor is not None else None
        lifted = self._store.set_settings(name, settings, endpoint=endpoint)
        detail: Detail = {"endpoint": endpoint} if endpoint else {}
        if before is not None:  # which settings changed, not their values (a value may be long)
            changed = [k for k in DestinationSettings.model_fields if getattr(before, k) != getattr(settings, k)]
            detail["changed"] = ", ".join(changed)
        self._record(actor, "destination.settings", name, detail)
        return lifted

    def remove(self, name: str, *, force: bool = False, actor: str | None = None) -> Removed:
        done = self._store.remove(name, force=force)
        self._record(actor, "destination.remove", name, {"force": force})
        return done

    def consent_keys(self) -> dict[str, list[str]]:
        """Each subscription group key the workspace's experiences' consent boxes name, with the
        experiences (slugs) that ask for it, in the order first asked."""
        used: dict[str, list[str]] = {}
        for d in self._definitions():
            for key in subscription_keys(d.definition):
                used.setdefault(key, []).append(d.slug)
        return used

    def array_limit_problems(self, name: str, limit: int) -> list[str]:
        """Why `name`'s array_limit cannot go down to `limit`: a published experience could send
        more values than it keeps, and Braze would drop picks the record says it holds."""
        return [
            f"experience '{d.slug}' {p.field}: {p.message}"
            for d in self._definitions()
            for p in array_limit_problems(Experience.model_validate(d.definition), limit, name)
        ]

    def test_plan(self, name: str, experience: str | None = None) -> SendPlan:
        """The test send to `name`, with the mapping of published `experience` (default: the first
        published one, else none). InvalidInput (naming `--experience`) when it is not published;
        NotSendable when the destination's settings leave nothing to send."""
        dest = self._store.connection(name)
        published = list(self._published.list_published())
        if experience is not None:
            published = [p for p in published if p.experience.slug == experience]
            if not published:
                raise InvalidInput(FieldError("--experience", f"no published experience '{experience}'"))
        chosen = published[0] if published else None
        exp = chosen.experience if chosen is not None else None
        send = synthetic_send(name, dest.settings, exp, chosen.version if chosen else None, self._clock())
        return SendPlan(dest, exp, send)
