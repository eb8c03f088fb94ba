"""What Braze's answers to the operator commands' calls mean: key checks, test sends, exports and
deletions. Pure: a status and a parsed body in, a verdict out.

The key check posts an empty body to `/users/track`, which writes nothing. Braze checks the key and
its permission before the body (https://www.braze.com/docs/api/basics, "Bearer token
authentication": 401 for an invalid or missing key, 403 for a key without the endpoint's
permission), so a good key gets the 400 for an empty batch ("Valid data must be provided…",
https://www.braze.com/docs/api/errors). A 401 is also what a key sent to another instance gets
(https://www.braze.com/docs/api/errors, "401 Unauthorized"), so at a documented instance host the
verdict names the instance the key was tried on.

Every other permission a destination needs is probed the same way, with an empty body to its own
endpoint: Braze checks the key and the endpoint's permission before it reads the body, so a key
with the permission gets a 400 for the empty body (nothing is identified, deleted or exported) and
a key without it a 403 (https://www.braze.com/docs/api/basics, "REST API key permissions").
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from zeroparty.domain.braze_instances import INSTANCES

if TYPE_CHECKING:  # the command line reads verdicts without loading the settings model
    from zeroparty.domain.destination_settings import DestinationSettings

VerdictKind = Literal[
    "ok", "bad_key", "wrong_instance", "missing_permission", "not_braze", "rate_limited", "unreachable", "unexpected"
]
NO_VALID_DATA = "Valid data must be provided"
KEY_PAGE = "Settings > APIs and Identifiers > API Keys"
# The fields the test command reads back; Braze requires the list for newer workspaces
# (https://www.braze.com/docs/api/endpoints/export/user_data/post_users_identifier).
EXPORT_FIELDS = ("braze_id", "external_id", "user_aliases", "email", "email_subscribe", "custom_attributes")


@dataclass(frozen=True)
class Verdict:
    kind: VerdictKind
    message: str

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


def instance_of(endpoint: str) -> str | None:
    """The instance name (`US-03`) of a documented REST endpoint; None for any other URL."""
    base = endpoint.rstrip("/")
    return next((name for name, url in INSTANCES.items() if url == base), None)


def braze_message(body: Any) -> str:
    """Braze's `message`, or the body itself in short, for showing next to a status."""
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    text = str(body)
    return text if len(text) <= 200 else text[:200] + "…"


def _said(status: int, body: Any) -> str:
    message = braze_message(body)
    return f"HTTP {status}" + (f" {message!r}" if message else "")


def key_verdict(endpoint: str, status: int, body: Any, permission: str = "users.track") -> Verdict:
    """What Braze's answer to the empty `/users/track` (or another write-free call needing
    `permission`) says about the key."""
    said = _said(status, body)
    if status == 401:
        return _refused_key(endpoint, said)
    if status == 403:
        return Verdict(
            "missing_permission",
            f"the key is valid but lacks the {permission} permission ({said}); create a key with {permission} "
            f"under {KEY_PAGE} (a key's permissions cannot be changed after it is made)",
        )
    if 200 <= status < 300 or (status == 400 and braze_message(body).startswith(NO_VALID_DATA)):
        return Verdict("ok", f"the key is valid and has the {permission} permission")
    if status == 404:
        return Verdict("not_braze", f"{endpoint} did not answer like Braze's REST API ({said}); check --endpoint")
    if status == 429:
        return Verdict("rate_limited", f"Braze is rate limiting this key ({said}); try again in a minute")
    if status >= 500:
        return Verdict("unreachable", f"Braze could not answer ({said}); try again later")
    return Verdict("unexpected", f"unexpected answer from {endpoint} ({said})")


def _refused_key(endpoint: str, said: str) -> Verdict:
    instance = instance_of(endpoint)
    if instance is None:
        return Verdict("bad_key", f"the key was refused ({said}): it is wrong, revoked or deleted")
    others = ", ".join(name for name in INSTANCES if name != instance)
    return Verdict(
        "wrong_instance",
        f"the key was refused by {instance} ({endpoint}, {said}): it is wrong or revoked, or it belongs to "
        f"another instance: a key works only on its own instance, the one shown next to it under {KEY_PAGE} "
        f"(the instances are {instance}, {others})",
    )


def missing_permission_advice(permission: str, endpoint: str) -> str:
    """What to tell an operator whose key lacks `permission`, which Braze's `endpoint` (a path such
    as `/users/identify`) needs: a key's permissions are fixed when it is made, so the fix is a new key."""
    return (
        f"the key lacks the {permission} permission, which POST {endpoint} needs: create a key with "
        f"{permission} under {KEY_PAGE} (a key's permissions cannot be changed after it is made) and set it "
        "with `zeroparty destinations update-key`"
    )


def permission_verdict(endpoint: str, path: str, permission: str, status: int, body: Any) -> Verdict:
    """What Braze's answer to an empty body posted to `path` says about the key's `permission`."""
    if path == "/users/track":
        return key_verdict(endpoint, status, body, permission)
    said = _said(status, body)
    if status == 403:
        return Verdict("missing_permission", f"{missing_permission_advice(permission, path)} ({said})")
    if 200 <= status < 300 or status == 400:  # the body was read: the key passed the permission check
        return Verdict("ok", f"the key has the {permission} permission")
    return key_verdict(endpoint, status, body, permission)


@dataclass(frozen=True)
class Permission:
    """A permission a destination's key needs, the endpoint that needs it, and what fails without it."""

    name: str
    path: str
    without: str  # what cannot happen without it
    required: bool  # delivery needs it: a key without it is not saved


TRACK = Permission("users.track", "/users/track", "nothing can be delivered", True)
IDENTIFY = Permission(
    "users.identify", "/users/identify", "identify_emails cannot fold email-only profiles in and delivery pauses", True
)
DELETE = Permission("users.delete", "/users/delete", "`people erase` cannot delete profiles in Braze", False)
EXPORT = Permission(
    "users.export.ids",
    "/users/export/ids",
    "`people erase` cannot look up the profiles to delete and `destinations test` cannot show the profile",
    False,
)


def permission_for(path: str) -> str | None:
    """The permission a key needs to call Braze's `path`, for the paths zeroparty calls."""
    return next((p.name for p in (TRACK, IDENTIFY, DELETE, EXPORT) if p.path == path), None)


def needed_permissions(settings: DestinationSettings) -> tuple[Permission, ...]:
    """The permissions a key needs for a destination with these settings
    (https://www.braze.com/docs/api/basics#rest-api-key-permissions): /users/identify is called
    only with identify_emails on an external_id destination."""
    identify = settings.identify_emails and settings.identity == "external_id"
    return (TRACK, *((IDENTIFY,) if identify else ()), DELETE, EXPORT)


def newly_needed(before: DestinationSettings, after: DestinationSettings) -> tuple[Permission, ...]:
    """The permissions `after` needs that `before` did not (a setting that turns on a new call)."""
    had = set(needed_permissions(before))
    return tuple(p for p in needed_permissions(after) if p not in had)


@dataclass(frozen=True)
class PermissionCheck:
    permission: Permission
    verdict: Verdict


@dataclass(frozen=True)
class PermissionReport:
    """What the checks come to: a refusal (nothing is saved), warnings, and the permissions granted."""

    refusal: str | None
    warnings: tuple[str, ...]
    granted: tuple[str, ...]


def permission_report(checks: Sequence[PermissionCheck]) -> PermissionReport:
    """A required permission missing (or not checkable) refuses; an optional one only warns. A key
    refused outright (the users.track check) says only that: every other check would repeat it."""
    first = next((c for c in checks if c.permission == TRACK and not c.verdict.ok), None)
    if first is not None:
        return PermissionReport(first.verdict.message, (), ())
    refusals: list[str] = []
    warnings: list[str] = []
    for check in checks:
        perm, verdict = check.permission, check.verdict
        if verdict.ok:
            continue
        if verdict.kind == "missing_permission":
            line = f"{verdict.message}; without it {perm.without}"
        else:
            line = f"{perm.name} could not be checked (POST {perm.path}): {verdict.message}"
        (refusals if perm.required else warnings).append(line)
    granted = tuple(c.permission.name for c in checks if c.verdict.ok)
    return PermissionReport("; ".join(refusals) or None, tuple(warnings), granted)


def names(permissions: Iterable[Permission]) -> str:
    return ", ".join(p.name for p in permissions)


def unreachable_verdict(problem: str) -> Verdict:
    """No answer at all (timeout, refused connection, unusable URL)."""
    return Verdict("unreachable", f"no answer: {problem}")


def track_succeeded(status: int, body: Any) -> bool:
    """A test send succeeded: 2xx and no per-object errors
    (https://www.braze.com/docs/api/endpoints/user_data/post_user_track)."""
    return 200 <= status < 300 and not (isinstance(body, dict) and body.get("errors"))


def exported_users(status: int, body: Any) -> list[dict[str, Any]] | None:
    """The users of a `/users/export/ids` answer; None when the answer carries none."""
    if not 200 <= status < 300 or not isinstance(body, dict) or not isinstance(body.get("users"), list):
        return None
    return [u for u in body["users"] if isinstance(u, dict)]


def delete_outcome(status: int, body: Any) -> tuple[bool, str]:
    """(done, what to log) for Braze's answer to `/users/delete`
    (https://www.braze.com/docs/api/endpoints/user_data/post_user_delete: `deleted` counts the
    profiles queued for deletion)."""
    said = _said(status, body)
    if 200 <= status < 300:
        deleted = body.get("deleted") if isinstance(body, dict) else None
        return True, f"deleted in Braze (HTTP {status}, deleted: {deleted})"
    if status == 403:
        return False, f"refused: the key lacks the users.delete permission ({said})"
    if status == 401:
        return False, f"refused: the key is not valid ({said})"
    return False, f"failed ({said})"


def email_sha256_hex(normalised_email: str) -> str:
    """How erasures logged before the HMAC (migration 0010) keyed the address: a plain SHA-256,
    which anyone holding a list of addresses can match. Read only to find those older entries."""
    return hashlib.sha256(normalised_email.encode()).hexdigest()


def email_hmac_hex(secret: bytes, normalised_email: str) -> str:
    """How an erased address is logged: an HMAC-SHA256 of the normalised address under a key derived
    from the secret key, never the address. Without the key, a list of addresses matches nothing."""
    return hmac.new(secret, normalised_email.encode(), hashlib.sha256).hexdigest()
