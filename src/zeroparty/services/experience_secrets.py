"""The secret a brand's server signs an experience's external id tokens with (docs/experiences.md,
"Signed external ids"): made on request and shown once, replaced on rotation. `zeroparty experiences
secret` is one face of it; the console will be another. The store makes and seals it behind
`SecretMaker`; capture reads it through its own port."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from zeroparty.services.clock import utcnow


class SecretMaker(Protocol):
    def create(self, slug: str, now: datetime, *, rotate: bool = False) -> str:
        """A new secret for `slug`, returned in clear this once and kept only sealed. NotFound when
        there is no such experience; InvalidInput when it has one already and not `rotate`."""
        ...


class ExperienceSecretService:
    def __init__(self, secrets: SecretMaker, clock: Callable[[], datetime] = utcnow) -> None:
        self._secrets = secrets
        self._clock = clock

    def make(self, slug: str, *, rotate: bool = False) -> str:
        """The new secret, in clear this once. With `rotate`, tokens signed with the old one are
        refused from now on; without it, an experience that has a secret keeps it (InvalidInput)."""
        return self._secrets.create(slug, self._clock(), rotate=rotate)
