"""An experience's token secret as `zeroparty experiences secret` and the console make it: stamped
with the service's clock, rotated only when asked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zeroparty.errors import FieldError, InvalidInput, NotFound
from zeroparty.services.experience_secrets import ExperienceSecretService

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Secrets:
    """The store's side: the secrets it holds (in clear here), by slug."""

    def __init__(self, slugs: set[str]) -> None:
        self.slugs = slugs
        self.held: dict[str, tuple[str, datetime]] = {}

    def create(self, slug: str, now: datetime, *, rotate: bool = False) -> str:
        if slug not in self.slugs:
            raise NotFound(FieldError("slug", f"no experience '{slug}'; import it first"))
        if slug in self.held and not rotate:
            raise InvalidInput(FieldError("slug", f"'{slug}' already has a secret"))
        made = f"zps_{slug}_{len(self.held) + (slug in self.held)}"
        self.held[slug] = (made, now)
        return made


def test_a_secret_is_made_once_and_rotated_on_request() -> None:
    store = Secrets({"quiz"})
    service = ExperienceSecretService(store, clock=lambda: T0)
    first = service.make("quiz")
    assert store.held["quiz"] == (first, T0)
    with pytest.raises(InvalidInput, match="already has a secret"):
        service.make("quiz")
    assert store.held["quiz"] == (first, T0)
    rotated = service.make("quiz", rotate=True)
    assert rotated != first and store.held["quiz"] == (rotated, T0)


def test_an_unknown_experience_is_not_found() -> None:
    with pytest.raises(NotFound, match="no experience 'nope'"):
        ExperienceSecretService(Secrets(set())).make("nope")
