"""Erasing a person in Braze: which profiles to delete, and what Braze's answers mean. Pure.

`people erase` looks the person up in each destination that was sent something for them
(`/users/export/ids` by the email, and by every external id and user alias zeroparty sent), then
deletes by `braze_ids` only the profiles that hold something zeroparty sent:

- a profile carrying an identifier zeroparty wrote under (an external id it sent, or its user alias)
  is deleted whatever else it holds: zeroparty's writes landed on it by that identifier;
- a profile found by the email is deleted when it also holds a value zeroparty sent for the person:
  a custom attribute or custom event of a name zeroparty sent, or a standard profile field
  (first_name, dob…) with a value zeroparty sent. The email itself and subscription states do not
  count: Braze gives them to every profile with the address, so they say nothing about who wrote it;
- any other profile (one that merely shares the email, such as the brand's app profile) is kept.

A deleted profile that also carries an external id zeroparty never sent is shared with another
writer (Braze's /users/track by email updates the identified profile with that address,
https://www.braze.com/docs/api/endpoints/user_data/post_user_track): it is deleted, since it holds
the person's answers, and the plan says whose it also is so the operator can decline.

Sources: https://www.braze.com/docs/api/endpoints/export/user_data/post_users_identifier (body,
`fields_to_export`, 50 external_ids or aliases per request, `braze_id` in the export) and
https://www.braze.com/docs/api/endpoints/user_data/post_user_delete (`braze_ids`, 50 per request).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zeroparty.domain.braze_fields import RESERVED
from zeroparty.domain.destination_settings import DestinationSettings, braze_attributes
from zeroparty.domain.verify import KEY_PAGE, braze_message

MAX_IDS = 50  # external_ids or user_aliases per export, braze_ids per delete (both pages above)
EXPORT_PATH = "/users/export/ids"
DELETE_PATH = "/users/delete"
EXPORT_PERMISSION = "users.export.ids"
DELETE_PERMISSION = "users.delete"
# Profile fields /users/export/ids can return at the top level that zeroparty may write; a value sent
# under one of these names is looked for by value (apps set them too, so the name alone proves nothing).
PROFILE_FIELDS = frozenset(
    {"first_name", "last_name", "dob", "home_city", "country", "phone", "language", "time_zone", "gender"}
)
# State keys of the delivery engine's record (`$external_id`, `$group:…`) start with this.
_STATE_PREFIX = "$"
Alias = tuple[str, str]  # (alias_name, alias_label)


def canonical(value: Any) -> str:
    """A value as compared with Braze's copy of it: its JSON text, keys sorted."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class SentRow:
    """One queued change a destination was sent (delivered, or attempted: it may have landed)."""

    attributes: Mapping[str, Any]  # under zeroparty's names (attribute IDs)
    completion: bool  # it completed a response: the completion event went with it
    external_id: str | None


@dataclass(frozen=True)
class Delivered:
    """What the store holds of one destination's deliveries for one person."""

    rows: tuple[SentRow, ...] = ()
    accepted: tuple[Mapping[str, Any], ...] = ()  # the engine's records of what Braze accepted
    user_keys: frozenset[str] = frozenset()  # the keys (email, external ids) rows were queued under


@dataclass(frozen=True)
class Sent:
    """What zeroparty sent one destination for one person: the identifiers it wrote under and the
    values it wrote (by Braze name)."""

    email: str
    external_ids: frozenset[str] = frozenset()
    aliases: frozenset[Alias] = frozenset()
    attributes: frozenset[str] = frozenset()  # custom attribute names
    fields: frozenset[tuple[str, str]] = frozenset()  # (profile field, canonical value)
    events: frozenset[str] = frozenset()  # custom event names

    def __or__(self, other: Sent) -> Sent:
        return Sent(
            self.email,
            self.external_ids | other.external_ids,
            self.aliases | other.aliases,
            self.attributes | other.attributes,
            self.fields | other.fields,
            self.events | other.events,
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "email": self.email,
                "external_ids": sorted(self.external_ids),
                "aliases": sorted(list(a) for a in self.aliases),
                "attributes": sorted(self.attributes),
                "fields": sorted(list(f) for f in self.fields),
                "events": sorted(self.events),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Sent:
        data = json.loads(text)
        return cls(
            str(data["email"]),
            frozenset(data.get("external_ids", ())),
            frozenset((str(n), str(label)) for n, label in data.get("aliases", ())),
            frozenset(data.get("attributes", ())),
            frozenset((str(f), str(v)) for f, v in data.get("fields", ())),
            frozenset(data.get("events", ())),
        )

    def fields_to_export(self) -> list[str]:
        """Only what choosing needs: Braze answers faster the less it exports (the export page)."""
        wanted = ["braze_id", "external_id", "user_aliases", "email"]
        wanted += sorted({name for name, _ in self.fields})
        if self.attributes:
            wanted.append("custom_attributes")
        if self.events:
            wanted.append("custom_events")
        return wanted

    def lookups(self) -> list[dict[str, Any]]:
        """The `/users/export/ids` bodies that find every profile holding an identifier zeroparty
        used for the person: one by email, then the external ids and aliases 50 at a time."""
        fields = self.fields_to_export()
        bodies: list[dict[str, Any]] = [{"email_address": self.email, "fields_to_export": fields}]
        ids = sorted(self.external_ids)
        for n in range(0, len(ids), MAX_IDS):
            bodies.append({"external_ids": ids[n : n + MAX_IDS], "fields_to_export": fields})
        aliases = [{"alias_name": name, "alias_label": label} for name, label in sorted(self.aliases)]
        for n in range(0, len(aliases), MAX_IDS):
            bodies.append({"user_aliases": aliases[n : n + MAX_IDS], "fields_to_export": fields})
        return bodies


def _is_value(name: str) -> bool:
    """A name sent with a value of the person's (not an identifier, a state key or consent state)."""
    return not name.startswith(_STATE_PREFIX) and name not in RESERVED


def sent_to(
    email: str, settings: DestinationSettings, delivered: Delivered, response_external_ids: Iterable[str] = ()
) -> Sent:
    """What a destination with `settings` was sent for the person with `email`, from the rows it was
    sent and its records of what it accepted. External ids count only where the destination names
    people by them (elsewhere the profile with that id is not one zeroparty wrote to)."""
    values: dict[str, Any] = {}
    pairs: list[tuple[str, Any]] = []
    for row in delivered.rows:
        pairs += braze_attributes(dict(row.attributes), settings).items()
    for record in delivered.accepted:
        pairs += record.items()
    for name, value in pairs:
        if _is_value(name):
            values.setdefault(name, [])
            values[name].append(value)
    external_ids: set[str] = set()
    for record in delivered.accepted:
        found = record.get(_STATE_PREFIX + "external_id")
        if isinstance(found, str):
            external_ids.add(found)
    if settings.identity == "external_id":
        external_ids |= {r.external_id for r in delivered.rows if r.external_id is not None}
        external_ids |= set(response_external_ids)
        external_ids |= {k for k in delivered.user_keys if k != email}
    aliases = frozenset({(email, settings.alias_label)}) if settings.identity == "user_alias" else frozenset()
    completed = any(r.completion for r in delivered.rows)
    return Sent(
        email,
        frozenset(external_ids),
        aliases,
        frozenset(n for n in values if n not in PROFILE_FIELDS),
        frozenset((n, canonical(v)) for n, vs in values.items() if n in PROFILE_FIELDS for v in vs),
        frozenset({settings.completion_event}) if completed and settings.completion_event else frozenset(),
    )


@dataclass(frozen=True)
class Profile:
    """One exported Braze user, reduced to what choosing reads."""

    braze_id: str | None
    external_id: str | None = None
    email: str | None = None
    aliases: frozenset[Alias] = frozenset()
    attributes: frozenset[str] = frozenset()  # custom attributes it holds (with a value)
    fields: frozenset[tuple[str, str]] = frozenset()  # (profile field, canonical value)
    events: frozenset[str] = frozenset()

    @classmethod
    def from_export(cls, user: Mapping[str, Any]) -> Profile:
        """A user export object (fields missing from it are null, false or empty, says the page)."""
        aliases = frozenset(
            (str(a.get("alias_name")), str(a.get("alias_label")))
            for a in user.get("user_aliases") or []
            if isinstance(a, Mapping)
        )
        custom = user.get("custom_attributes")
        events = user.get("custom_events")
        return cls(
            _text(user.get("braze_id")),
            _text(user.get("external_id")),
            _text(user.get("email")),
            aliases,
            frozenset(k for k, v in custom.items() if v is not None) if isinstance(custom, Mapping) else frozenset(),
            frozenset((k, canonical(user[k])) for k in PROFILE_FIELDS if user.get(k) is not None),
            frozenset(str(e.get("name")) for e in events if isinstance(e, Mapping))
            if isinstance(events, list)
            else frozenset(),
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class Choice:
    """One profile found, and whether it goes: `holds` says what zeroparty sent that it holds."""

    profile: Profile
    delete: bool
    holds: tuple[str, ...] = ()
    # Set on a profile that goes though it carries an external id zeroparty never sent.
    shared_with: str | None = None
    why_kept: str | None = None

    def held(self) -> str:
        return ", ".join(self.holds) if self.holds else "nothing zeroparty sent"


def _held_values(sent: Sent, profile: Profile) -> list[str]:
    return (
        sorted(sent.attributes & profile.attributes)
        + sorted({name for name, _ in sent.fields & profile.fields})
        + [f"event {e}" for e in sorted(sent.events & profile.events)]
    )


def choose(sent: Sent, profiles: Iterable[Profile]) -> tuple[Choice, ...]:
    """The rule of the module docstring over every profile the look-ups found (each once)."""
    seen: set[str] = set()
    choices: list[Choice] = []
    for p in profiles:
        key = p.braze_id or f"external_id:{p.external_id}"
        if key in seen:
            continue
        seen.add(key)
        choices.append(_choose_one(sent, p))
    return tuple(choices)


def _choose_one(sent: Sent, p: Profile) -> Choice:
    identifiers = [f"external_id {p.external_id}"] if p.external_id in sent.external_ids else []
    identifiers += [f"alias {label}" for _, label in sorted(sent.aliases & p.aliases)]
    values = _held_values(sent, p)
    same_email = p.email is not None and p.email.strip().lower() == sent.email
    holds = tuple(identifiers + values)
    if not identifiers and not (same_email and values):
        return Choice(p, False, holds, why_kept="holds nothing zeroparty sent")
    if p.braze_id is None:  # never seen from Braze; without it the profile cannot be named
        return Choice(p, False, holds, why_kept="Braze exported it without a braze_id")
    shared = p.external_id if p.external_id is not None and p.external_id not in sent.external_ids else None
    return Choice(p, True, holds, shared_with=shared)


@dataclass(frozen=True)
class Plan:
    """One destination's part of an erasure: the profiles found and the ones to delete; or, when
    the look-up failed, why (`problem`)."""

    destination: str
    choices: tuple[Choice, ...] = ()
    problem: str | None = None

    @property
    def doomed(self) -> tuple[Choice, ...]:
        return tuple(c for c in self.choices if c.delete)

    @property
    def braze_ids(self) -> list[str]:
        return [c.profile.braze_id for c in self.doomed if c.profile.braze_id is not None]


def delete_bodies(braze_ids: Sequence[str]) -> list[dict[str, Any]]:
    """`/users/delete` bodies for these profiles, 50 at a time."""
    return [{"braze_ids": list(braze_ids[n : n + MAX_IDS])} for n in range(0, len(braze_ids), MAX_IDS)]


def _said(status: int, body: Any) -> str:
    message = braze_message(body)
    return f"HTTP {status}" + (f" {message!r}" if message else "")


def refusal(status: int, body: Any, permission: str, path: str) -> str:
    """Why Braze did not do what `path` asks, naming the permission a 403 means is missing
    (https://www.braze.com/docs/api/basics: 403 for a key without the endpoint's permission)."""
    said = _said(status, body)
    if status == 403:
        return (
            f"the key lacks the {permission} permission needed by POST {path} ({said}); create a key with "
            f"{permission} under {KEY_PAGE}"
        )
    if status == 401:
        return f"the key was refused by POST {path} ({said}): it is wrong, revoked or deleted"
    if status == 429:
        return f"Braze is rate limiting POST {path} for this key ({said}); try again in a minute"
    return f"POST {path} failed ({said})"


def exported(status: int, body: Any) -> list[Profile] | None:
    """The profiles of a `/users/export/ids` answer; None when it is not a successful export."""
    if not 200 <= status < 300 or not isinstance(body, Mapping) or not isinstance(body.get("users"), list):
        return None
    return [Profile.from_export(u) for u in body["users"] if isinstance(u, Mapping)]


@dataclass(frozen=True)
class Outcome:
    """What became of one destination's deletion, in words for the screen and the log."""

    destination: str
    done: bool
    outcome: str
    deleted: tuple[str, ...] = ()  # the braze_ids Braze accepted for deletion (shown, never logged)

    def as_json(self) -> dict[str, Any]:
        return {"destination": self.destination, "outcome": self.outcome, "done": self.done}


def deletion(destination: str, answers: Sequence[tuple[Sequence[str], int, Any]]) -> Outcome:
    """What Braze's answers to the `/users/delete` requests for these braze_ids mean (the requests
    stop at the first one refused). `deleted` counts the profiles queued for deletion: Braze
    deletes them shortly after answering (the delete page)."""
    if not answers:
        return Outcome(destination, True, "nothing to delete: no profile holds anything zeroparty sent")
    gone: list[str] = []
    queued = 0
    for braze_ids, status, body in answers:
        if not 200 <= status < 300:
            so_far = f" ({len(gone)} profile(s) were deleted before it)" if gone else ""
            return Outcome(
                destination, False, refusal(status, body, DELETE_PERMISSION, DELETE_PATH) + so_far, tuple(gone)
            )
        gone += braze_ids
        count = body.get("deleted") if isinstance(body, Mapping) else None
        queued += count if isinstance(count, int) else 0
    return Outcome(destination, True, f"deleted in Braze (HTTP {answers[-1][1]}, deleted: {queued})", tuple(gone))
