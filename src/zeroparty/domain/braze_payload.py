"""Building `/users/track` request bodies: coalesce per user, render each user for one destination
(identity, renames, only what Braze does not hold yet, the completion event), set aside what can
never be sent, then batch the rest within Braze's limits.

Limits (https://www.braze.com/docs/api/api_limits): 75 objects per request, counted combined or
per array as the company's contract says (`batch_limits`), 4 MB per request; 100 KB per object.
Data points (https://www.braze.com/docs/user_guide/data/data_points/): every attribute sent costs
one, "at face value" even when unchanged, the email address included ("Profile data: Email
address" is billable) when it is sent as an attribute; subscription states ("Subscription state
changes … do not log data points") and identifiers are free. Each custom event costs one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zeroparty.domain import json_bytes
from zeroparty.domain.classify import ObjectRef
from zeroparty.domain.destination_settings import DestinationSettings, braze_attributes
from zeroparty.domain.holdings import event_mark

# Subscription states: they cost no data point, and they are sent whenever a response gives them,
# never left out as "already held": a person may have unsubscribed in Braze since.
SUBSCRIPTION_FIELDS = frozenset({"email_subscribe", "push_subscribe"})
GROUP_KEY = "$group:"  # state key prefix for a subscription group's state
# State keys (never sent as attributes): the external id the destination last wrote the user's
# values under, and the one /users/identify last folded the user's email-only profile into.
EXTERNAL_ID_KEY = "$external_id"
IDENTIFIED_KEY = "$identified"
NO_EXTERNAL_ID = "this destination names people by external_id; the response carried no signed external id"
# /users/identify picks the profile to fold in by this ordered rule: an email-only profile, the most
# recently updated when there are several (Braze merges nothing when the rule leaves more than one,
# https://www.braze.com/docs/api/endpoints/user_data/post_user_identify).
IDENTIFY_PRIORITIZATION = ("unidentified", "most_recently_updated")
IDENTIFY_MAX = 50  # entries per /users/identify request (same page)


@dataclass(frozen=True)
class BrazeLimits:
    max_objects: int = 75
    per_array: bool = False  # batch_limits per_array: max_objects of each array, not combined
    max_request_bytes: int = 4 * 1024 * 1024
    max_object_bytes: int = 100 * 1024


@dataclass(frozen=True)
class Change:
    """One queued profile change (outbox row `item_id`) for the user `user_key` (their email)."""

    item_id: str
    user_key: str
    attributes: dict[str, Any]
    groups: Mapping[str, str] = field(default_factory=dict)  # consent key → subscribed / unsubscribed
    completion: Mapping[str, Any] | None = None  # set when the change completed a response
    external_id: str | None = None  # the signed external id of the response the change came from
    email: str | None = None  # the respondent's email (older rows: None, `user_key` is the email)


@dataclass(frozen=True)
class UserChanges:
    """Every queued change for one user (`rows`, in order), merged: later values win, every
    completion is kept."""

    user_key: str
    rows: tuple[Change, ...]

    @property
    def attributes(self) -> dict[str, Any]:
        return {k: v for row in self.rows for k, v in row.attributes.items()}

    @property
    def groups(self) -> dict[str, str]:
        return {k: v for row in self.rows for k, v in row.groups.items()}

    @property
    def completions(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(row.completion for row in self.rows if row.completion is not None)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(row.item_id for row in self.rows)

    @property
    def email(self) -> str:
        """The latest email among the rows: a person named by external id may answer with a new one."""
        return next((row.email for row in reversed(self.rows) if row.email is not None), self.user_key)

    @property
    def external_id(self) -> str | None:
        """The latest external id among the rows: when a brand names the same email by a new id,
        the later one wins for everything sent from then on."""
        return next((row.external_id for row in reversed(self.rows) if row.external_id is not None), None)


def coalesce(changes: Iterable[Change]) -> list[UserChanges]:
    """Group changes per user, in first-seen user order, each user's rows in their order."""
    merged: dict[str, list[Change]] = {}
    for ch in changes:
        merged.setdefault(ch.user_key, []).append(ch)
    return [UserChanges(user, tuple(rows)) for user, rows in merged.items()]


@dataclass(frozen=True)
class Rendered:
    """One user as one destination receives it: an attributes object (None when Braze already
    holds every value), the completion events not yet accepted, and what each would record once
    Braze accepts it."""

    user: UserChanges
    attributes: dict[str, Any] | None
    events: tuple[dict[str, Any], ...]
    sent: dict[str, Any]  # record key → value, recorded once Braze accepts the attributes object
    points_sent: int
    points_saved: int
    # The /users/identify entry to post before this user's attributes (identify_emails), or None.
    identify: dict[str, Any] | None = None
    event_rows: tuple[str, ...] = ()  # the outbox row each event comes from, in order
    event_marks: tuple[str, ...] = ()  # the record key of each event, recorded once Braze accepts it
    record: bool = True  # False: what is sent is not recorded (Braze may not have applied it)

    @property
    def objects(self) -> int:
        return (self.attributes is not None) + len(self.events)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return self.user.item_ids

    @property
    def attribute_points(self) -> int:
        return self.points_sent - len(self.events)


class NotSendable(ValueError):
    """This user cannot be sent to this destination as configured; the message says why."""


def identifier(user_key: str, settings: DestinationSettings, external_id: str | None = None) -> dict[str, Any]:
    """How this destination names the user (https://www.braze.com/docs/api/objects_filters/user_attributes_object).
    With identity external_id the user needs a signed external id; the email is then a plain
    attribute, since Braze reads email as an identifier only when no external_id is present
    (https://www.braze.com/docs/api/endpoints/user_data/post_user_track, "Identifier resolution")."""
    if settings.identity == "email":
        ident: dict[str, Any] = {"email": user_key}
    elif settings.identity == "user_alias":
        ident = {"user_alias": {"alias_name": user_key, "alias_label": settings.alias_label}}
    elif external_id is None:
        raise NotSendable(NO_EXTERNAL_ID)
    else:
        ident = {"external_id": external_id}
    if settings.update_existing_only is not None:
        ident["_update_existing_only"] = settings.update_existing_only
    elif settings.identity == "user_alias":
        ident["_update_existing_only"] = False  # an alias only creates a profile when told so
    return ident


def render(
    user: UserChanges, settings: DestinationSettings, accepted: Mapping[str, Any], full: bool = False
) -> Rendered:
    """`user` for this destination, leaving out every value Braze is known to hold already (the
    record of what it last accepted, as far as it is still trusted), unless `full`: after a worker
    died mid-request nobody knows what it sent, so everything the rows carry goes out again.
    Subscription states are always sent; a completion event Braze accepted never is."""
    external_id = user.external_id if settings.identity == "external_id" else None
    ident = identifier(user.user_key, settings, external_id)  # NotSendable before anything else
    marks: dict[str, Any] = {}
    identify: dict[str, Any] | None = None
    if external_id is not None:
        # Values recorded under another id (or none) were written to another profile.
        full = full or accepted.get(EXTERNAL_ID_KEY) != external_id
        marks[EXTERNAL_ID_KEY] = external_id
        if settings.identify_emails and accepted.get(IDENTIFIED_KEY) != external_id:
            identify = identify_entry(user.email, external_id)
            marks[IDENTIFIED_KEY] = external_id
    wanted: dict[str, Any] = braze_attributes(user.attributes, settings)
    if settings.identity != "email":
        wanted.setdefault("email", user.email)
    # One pass over the values (this runs for every user of every claim): what goes, what Braze
    # holds already (a data point saved), what it costs.
    fresh: dict[str, Any] = {}
    saved = cost = 0
    for k, v in wanted.items():
        if full or k in SUBSCRIPTION_FIELDS or accepted.get(k, _ABSENT) != v:
            fresh[k] = v
            cost += k not in SUBSCRIPTION_FIELDS
        elif k not in SUBSCRIPTION_FIELDS:
            saved += 1
    states: dict[str, str] = {}  # group id → state; two consent keys on one group: the later wins
    for key, state in user.groups.items():  # subscription states: free, and always sent
        group = settings.subscription_groups.get(key)
        if group is not None:
            states[group.id] = state
    fresh.update({GROUP_KEY + gid: state for gid, state in states.items()})
    attributes: dict[str, Any] | None = None
    if fresh:
        attributes = ident
        attributes.update(wanted if len(fresh) == len(wanted) + len(states) else _attributes_of(fresh))
        if states:
            attributes["subscription_groups"] = [
                {"subscription_group_id": gid, "subscription_state": state} for gid, state in states.items()
            ]
    events: tuple[dict[str, Any], ...] = ()
    event_rows: tuple[str, ...] = ()
    event_marks: tuple[str, ...] = ()
    if settings.completion_event:
        pending = [
            (row.item_id, row.completion, mark)
            for row in user.rows
            if row.completion is not None and (mark := event_mark(row.completion, row.item_id)) not in accepted
        ]
        events = tuple(_event(user.user_key, c, settings, external_id) for _, c, _ in pending)
        event_rows = tuple(item for item, _, _ in pending)
        event_marks = tuple(mark for _, _, mark in pending)
    # The markers are recorded only with what Braze accepted, so a failed send identifies again.
    carries = attributes is not None or bool(events)
    sent = {**fresh, **marks} if carries else fresh
    return Rendered(
        user,
        attributes,
        events,
        sent,
        cost + len(events),
        saved,
        identify if carries else None,
        event_rows,
        event_marks,
        # Under update_existing_only Braze drops an update for a profile it does not have, and its
        # answer does not say so: what is sent is never taken as held.
        record=settings.update_existing_only is not True,
    )


_ABSENT = object()  # not in the record: never equal to a value


def _attributes_of(fresh: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fresh.items() if not k.startswith(GROUP_KEY)}


def identify_entry(email: str, external_id: str) -> dict[str, Any]:
    """One `emails_to_identify` entry of /users/identify: the email-only profile of `email` takes
    `external_id`, or is merged into the profile that has it
    (https://www.braze.com/docs/api/endpoints/user_data/post_user_identify)."""
    return {"external_id": external_id, "email": email, "prioritization": list(IDENTIFY_PRIORITIZATION)}


def _event(
    user_key: str, completion: Mapping[str, Any], settings: DestinationSettings, external_id: str | None = None
) -> dict[str, Any]:
    """The completion event (https://www.braze.com/docs/api/objects_filters/event_object); the
    response id in its properties makes a resent duplicate recognisable. It carries the
    destination's `_update_existing_only` when set, else the event alone would create the profile
    the setting is there to prevent (with a user alias Braze only ever updates: same page)."""
    ident = {k: v for k, v in identifier(user_key, settings, external_id).items() if k != "_update_existing_only"}
    if settings.update_existing_only is not None:
        ident["_update_existing_only"] = settings.update_existing_only
    properties = {k: completion.get(k) for k in ("experience", "version", "outcome", "response_id")}
    return {**ident, "name": settings.completion_event, "time": completion.get("time"), "properties": properties}


@dataclass(frozen=True)
class Batch:
    users: tuple[Rendered, ...] = ()

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        attributes = [u.attributes for u in self.users if u.attributes is not None]
        events = [e for u in self.users for e in u.events]
        if attributes:
            body["attributes"] = attributes
        if events:
            body["events"] = events
        return body

    def item_ids(self) -> list[str]:
        return [i for u in self.users for i in u.item_ids]

    def locate(self, ref: ObjectRef) -> tuple[int, int | None] | None:
        """Which object an `errors` entry (input array, index) points at: the user's position in
        the batch, and None for their attributes object or the index of the event among theirs."""
        array, index = ref
        owners: list[tuple[int, int | None]]
        if array == "attributes":
            owners = [(n, None) for n, u in enumerate(self.users) if u.attributes is not None]
        elif array == "events":
            owners = [(n, j) for n, u in enumerate(self.users) for j in range(len(u.events))]
        else:
            return None
        return owners[index] if 0 <= index < len(owners) else None


@dataclass(frozen=True)
class Unsendable:
    """A user no request can carry; `reason` says what is wrong without quoting the value."""

    user: Rendered
    reason: str


@dataclass(frozen=True)
class DeliveryPlan:
    batches: tuple[Batch, ...]
    unsendable: tuple[Unsendable, ...]
    settled: tuple[Rendered, ...]  # nothing Braze does not hold already: done without a request


def encoded_size(obj: Any) -> int:
    """Bytes of `obj` as sent: compact UTF-8 JSON without NaN or infinities, like the transport.

    Raises ValueError (UnicodeEncodeError for a lone surrogate), TypeError or RecursionError when
    `obj` cannot be sent at all."""
    return len(json_bytes.dumps(obj))


def _problem(user: Rendered, limits: BrazeLimits) -> tuple[str | None, int]:
    """(why this user cannot be sent, or None; the bytes it adds to a request)."""
    total = 0
    for obj in [user.attributes] * (user.attributes is not None) + list(user.events):
        try:
            size = encoded_size(obj)
        except (ValueError, TypeError, RecursionError) as exc:
            return f"cannot be sent to Braze: {_encoding_problem(obj, exc)}", 0
        if size > limits.max_object_bytes:
            return (
                f"cannot be sent to Braze: the profile update is {size:,} bytes, "
                f"over Braze's limit of {limits.max_object_bytes:,} bytes per object"
            ), 0
        total += size + 1
    return None, total


def plan_delivery(users: Sequence[Rendered], limits: BrazeLimits = BrazeLimits()) -> DeliveryPlan:
    """Set aside the users that can never be sent (with the reason) and those with nothing to send,
    and batch the others, so one poisoned object cannot hold up the rest of a claim."""
    sized: list[tuple[Rendered, int]] = []
    unsendable: list[Unsendable] = []
    settled: list[Rendered] = []
    for user in users:
        if user.objects == 0:
            settled.append(user)
            continue
        problem, size = _problem(user, limits)
        if problem is not None:
            unsendable.append(Unsendable(user, problem))
        else:
            sized.append((user, size))
    return DeliveryPlan(tuple(_pack(sized, limits)), tuple(unsendable), tuple(settled))


_EMPTY_BODY = len(b'{"attributes":[],"events":[]}')


def _fits(load: tuple[int, int], user: Rendered, limits: BrazeLimits) -> bool:
    """Whether `user` joins a batch already holding `load` (attributes objects, events)."""
    attrs, events = load[0] + (user.attributes is not None), load[1] + len(user.events)
    if limits.per_array:
        return attrs <= limits.max_objects and events <= limits.max_objects
    return attrs + events <= limits.max_objects


def _pack(sized: Sequence[tuple[Rendered, int]], limits: BrazeLimits) -> list[Batch]:
    batches: list[Batch] = []
    current: list[Rendered] = []
    size, load = _EMPTY_BODY, (0, 0)
    for user, user_size in sized:
        if current and (not _fits(load, user, limits) or size + user_size > limits.max_request_bytes):
            batches.append(Batch(tuple(current)))
            current, size, load = [], _EMPTY_BODY, (0, 0)
        current.append(user)
        size += user_size
        load = (load[0] + (user.attributes is not None), load[1] + len(user.events))
    if current:
        batches.append(Batch(tuple(current)))
    return batches


def _encoding_problem(obj: Any, exc: BaseException) -> str:
    """Which field cannot be encoded and why, naming the field but never its value."""
    for name, value in obj.items() if isinstance(obj, dict) else []:
        try:
            encoded_size({name: value})
        except (ValueError, TypeError, RecursionError) as field_exc:
            return f"{_field_label(name)} {_what_is_wrong(field_exc)}"
    return f"the profile update {_what_is_wrong(exc)}"


def _field_label(name: str) -> str:
    if name == "email":
        return "the email address"
    try:
        name.encode()
    except UnicodeEncodeError:
        return "an attribute name"
    return f"attribute {name[:100]!r}"


def _what_is_wrong(exc: BaseException) -> str:
    if isinstance(exc, UnicodeError):
        return "is not valid Unicode text (it holds a lone surrogate, which UTF-8 cannot encode)"
    if isinstance(exc, RecursionError):
        return "is nested too deeply to encode as JSON"
    if isinstance(exc, ValueError):
        return "holds a number JSON cannot carry (NaN or infinity)"
    return f"holds a value JSON cannot carry ({type(exc).__name__})"
