"""One change to a person's profile, as capture queues it for every destination (the outbox
payload): attributes and consent states under zeroparty's own names, the completion, and the
identifiers. Each destination renders it into Braze's shape when it sends (braze_payload.py).

Which key a destination queues, orders and records the change under is the identifier it sends:
the external id for a destination with `identity: external_id` (one person answering with two
emails is one queue and one record there), else the email.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProfileChange:
    email: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    subscription_groups: Mapping[str, str] = field(default_factory=dict)  # consent key → state
    completion: Mapping[str, Any] | None = None  # set when the change completes a response
    external_id: str | None = None  # the response's signed external id

    def payload(self) -> dict[str, Any]:
        """The stored form (`outbox.payload`)."""
        return {
            "attributes": dict(self.attributes),
            "subscription_groups": dict(self.subscription_groups),
            "completion": dict(self.completion) if self.completion is not None else None,
            "external_id": self.external_id,
            "email": self.email,
        }

    def key_for(self, identity: str) -> str:
        """The queue and record key at a destination naming people by `identity`. Without an
        external id such a destination cannot send the change: it is queued under the email and
        dead-lettered with the reason."""
        if identity == "external_id" and self.external_id is not None:
            return self.external_id
        return self.email


def identity_of(settings: Mapping[str, Any] | None) -> str:
    """The `identity` of stored destination settings (JSON), read without validating the rest:
    capture asks it of every destination on every submit."""
    identity = (settings or {}).get("identity")
    return identity if isinstance(identity, str) else "email"
