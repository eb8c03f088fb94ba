"""The exception tree. Every error zeroparty raises on purpose derives from ZeropartyError.

ZeropartyError
├── InvalidInput            a caller's mistake; carries every (field, message) problem found
│   ├── MalformedInput      the input could not even be parsed (HTTP 400)
│   ├── NotFound            the thing named does not exist
│   ├── Gone                the thing named is closed to this request (a completed response)
│   ├── Conflict            the thing named is in a state that refuses this request (HTTP 409)
│   ├── TooManyRequests     this client asked too often; try again after `retry_after_s` (HTTP 429)
│   ├── Unauthorized        no valid credential was presented
│   └── Forbidden           the credential's role does not allow this, or it is another workspace's
├── ConfigurationError      settings or stored configuration are unusable
└── DeliveryError           sending to a destination failed
    ├── RetryableDeliveryError   try again later (5xx, timeouts, connection errors, 429)
    │   └── NotDeliveredError    and the request provably never reached the destination
    └── TerminalDeliveryError    the same request will never succeed (bad key, rejected data)
"""

from __future__ import annotations

from dataclasses import dataclass


class ZeropartyError(Exception):
    """Base of every error raised on purpose by zeroparty."""


@dataclass(frozen=True)
class FieldError:
    """One problem with one field; `field` is a dotted path such as `answers.skin_type`."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class InvalidInput(ZeropartyError):
    """The caller sent something we cannot accept; nothing was stored."""

    def __init__(self, errors: list[FieldError] | FieldError, summary: str = "invalid input") -> None:
        self.errors = [errors] if isinstance(errors, FieldError) else list(errors)
        self.summary = summary
        super().__init__("; ".join(str(e) for e in self.errors) or summary)


class MalformedInput(InvalidInput):
    """The input could not be parsed at all (not JSON, not UTF-8, nested too deep)."""


class NotFound(InvalidInput):
    """The resource named by the caller does not exist."""


class Gone(InvalidInput):
    """The resource named exists but can no longer be read or changed this way; nothing was changed."""


class Conflict(InvalidInput):
    """The resource named is in a state that refuses the request (a full response limit); nothing was changed."""


class TooManyRequests(InvalidInput):
    """The client sent too many such requests lately; nothing was stored."""

    def __init__(self, errors: list[FieldError] | FieldError, retry_after_s: int) -> None:
        super().__init__(errors, "too many requests")
        self.retry_after_s = retry_after_s


class Unauthorized(InvalidInput):
    """The request needs an operator credential and carries no valid one."""


class Forbidden(InvalidInput):
    """The caller is known but may not do this: their role is below what it needs (HTTP 403)."""


class ConfigurationError(ZeropartyError):
    """Settings or stored configuration cannot be used."""


class DeliveryError(ZeropartyError):
    """Sending to a destination failed."""


class RetryableDeliveryError(DeliveryError):
    """The same request may succeed later."""


class NotDeliveredError(RetryableDeliveryError):
    """The request never left: the connection was refused, the name did not resolve, connecting
    (or its TLS handshake) failed or timed out. Nothing can have been applied."""


class TerminalDeliveryError(DeliveryError):
    """The same request will not succeed; retrying is pointless."""
