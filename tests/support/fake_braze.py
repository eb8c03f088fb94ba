"""A Braze stand-in for the delivery engine's unit tests: a `BrazeSender` that records every request
and answers it, in the shape the real client hands the engine (`adapters/braze/client.py`).

Unless a scripted answer is waiting, it answers as /users/track does
(https://www.braze.com/docs/api/endpoints/user_data/post_user_track): each object is checked by the
sandbox's rules for Braze's per-object validation (and by the refusals a test adds); the valid ones
are applied to `profiles` and the answer is a 201 listing the others in `errors` by array and index,
or a 400 when none is valid. A request over the object limit or 4 MB is refused as Braze refuses it.
Scripted answers (`then`) stand for everything else: a status with Braze's headers, a dropped
connection, a timeout, a request Braze applies only later.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zeroparty.delivery.ports import SendResult
from zeroparty.errors import NotDeliveredError, RetryableDeliveryError
from zeroparty.sandbox.rules.validation import NO_VALID_DATA, count_objects, object_problem, over_object_limit

TRACK = "/users/track"
IDENTIFY = "/users/identify"
MAX_BYTES = 4 * 1024 * 1024
_IDENTIFIERS = ("email", "external_id", "user_alias", "_update_existing_only")


@dataclass(frozen=True)
class Call:
    path: str
    body: dict[str, Any]
    status: int | None  # None: no answer reached the engine (timeout, dropped connection)
    at: datetime | None = None  # by the clock the fake was given

    @property
    def attributes(self) -> list[dict[str, Any]]:
        return list(self.body.get("attributes", []))

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(self.body.get("events", []))

    @property
    def users(self) -> list[str]:
        """Who each attributes object names (email, external id or alias name)."""
        return [_who(o) for o in self.attributes]


Script = Callable[["FakeBraze", str, dict[str, Any]], SendResult]


def status(code: int, message: str | None = None, *, headers: Mapping[str, str] | None = None, **body: Any) -> Script:
    """Answer `code` without applying anything."""

    def answer(_braze: FakeBraze, _path: str, _body: dict[str, Any]) -> SendResult:
        said = {"message": message} if message is not None else {}
        return SendResult(code, dict(headers or {}), {**said, **body})

    return answer


def raw(code: int, body: Any, headers: Mapping[str, str] | None = None) -> Script:
    """Answer `code` with `body` exactly as given (what the client makes of a non-JSON page, say)."""
    return lambda _braze, _path, _body: SendResult(code, dict(headers or {}), body)


def dropped(_braze: FakeBraze, path: str, body: dict[str, Any]) -> SendResult:
    """Braze applies the request, then the connection drops before the answer."""
    _braze.apply(path, body)
    raise RetryableDeliveryError("could not reach https://rest.iad-01.braze.com (RemoteProtocolError: dropped)")


def refused(_braze: FakeBraze, _path: str, _body: dict[str, Any]) -> SendResult:
    """The connection is refused: the request never left."""
    raise NotDeliveredError("could not connect to https://rest.iad-01.braze.com (ConnectError: refused)")


def timeout(_braze: FakeBraze, _path: str, _body: dict[str, Any]) -> SendResult:
    """No answer in time; Braze never saw the request."""
    raise TimeoutError


def late(braze: FakeBraze, path: str, body: dict[str, Any]) -> SendResult:
    """No answer in time, but Braze holds the request and applies it when `land_late` says so."""
    braze.held.append((path, body))
    raise TimeoutError


def applied(code: int = 201) -> Script:
    """Braze's own answer (rules and all), whatever the default would be."""
    return lambda braze, path, body: braze.answer(path, body, code)


@dataclass
class FakeBraze:
    clock: Callable[[], datetime] | None = None
    calls: list[Call] = field(default_factory=list)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # by email, external id or alias name
    identified: list[dict[str, Any]] = field(default_factory=list)  # /users/identify entries applied
    held: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # requests applied late
    events_applied: list[dict[str, Any]] = field(default_factory=list)
    refusals: dict[tuple[str, str], str] = field(default_factory=dict)  # (who, field) → errors[].type
    poisoned: dict[str, SendResult] = field(default_factory=dict)  # who → the answer to any request naming them
    max_objects: int = 75  # per request, counted across the arrays, or per array (batch_limits per_array)
    per_array: bool = False
    _script: deque[Script] = field(default_factory=deque)

    def then(self, *answers: Script, times: int = 1) -> FakeBraze:
        """The next requests get these answers, in order (each `times` times)."""
        self._script.extend(a for a in answers for _ in range(times))
        return self

    def refuse(self, who: str, field_name: str, message: str | None = None) -> None:
        """Refuse any object for `who` that carries `field_name`, as Braze refuses a bad value."""
        self.refusals[(who, field_name)] = message or f"'{field_name}' is not valid"

    def refuse_request(self, who: str, code: int = 400, message: str = NO_VALID_DATA) -> None:
        """Answer `code`, without saying which object is to blame, to any request naming `who`."""
        self.poisoned[who] = SendResult(code, {}, {"message": message})

    @property
    def tracks(self) -> list[Call]:
        return [c for c in self.calls if c.path == TRACK]

    def delete(self, who: str) -> None:
        """The profile is deleted in Braze itself (the dashboard, another tool)."""
        self.profiles.pop(who, None)

    @property
    def event_log(self) -> list[dict[str, Any]]:
        """Every event Braze applied, in order (Braze keeps duplicates)."""
        return list(self.events_applied)

    def land_late(self) -> None:
        """Braze gets round to the requests it held."""
        while self.held:
            self.apply(*self.held.pop(0))

    # -- the sender --------------------------------------------------------------------------------

    async def post_track(self, endpoint: str, api_key: str, body: dict[str, Any]) -> SendResult:
        return self._call(TRACK, body)

    async def post_identify(self, endpoint: str, api_key: str, emails_to_identify: list[dict[str, Any]]) -> SendResult:
        return self._call(IDENTIFY, {"emails_to_identify": emails_to_identify})

    def _call(self, path: str, body: dict[str, Any]) -> SendResult:
        body = json.loads(json.dumps(body))  # what went over the wire, not the engine's own objects
        script = self._script.popleft() if self._script else None
        at = self.clock() if self.clock else None
        try:
            result = script(self, path, body) if script else self.answer(path, body)
        except BaseException:
            self.calls.append(Call(path, body, None, at))
            raise
        self.calls.append(Call(path, body, result.status, at))
        return result

    # -- Braze's rules -----------------------------------------------------------------------------

    def answer(self, path: str, body: dict[str, Any], code: int = 201) -> SendResult:
        if path == IDENTIFY:
            self.apply(path, body)
            return SendResult(code, {}, {"message": "success"})
        blamed = next((self.poisoned[w] for w in map(_who, body.get("attributes", [])) if w in self.poisoned), None)
        if blamed is not None:
            return blamed
        counts = count_objects(body)
        objects = sum(counts.values())
        if over_object_limit(counts, self.max_objects, self.per_array):
            return SendResult(400, {}, {"message": NO_VALID_DATA})
        if len(json.dumps(body, separators=(",", ":")).encode()) > MAX_BYTES:
            return SendResult(413, {}, {"message": "Request Entity Too Large"})
        refused = {
            (array, index): problem
            for array in ("attributes", "events")
            for index, obj in enumerate(body.get(array, []))
            if (problem := self._problem(array, obj)) is not None
        }
        errors = [
            {"type": problem, "input_array": array, "index": index} for (array, index), problem in refused.items()
        ]
        if errors and len(errors) == objects:
            return SendResult(400, {}, {"message": NO_VALID_DATA, "errors": errors})
        self.apply(path, body, skip=set(refused))
        return SendResult(code, {}, {"message": "success", **({"errors": errors} if errors else {})})

    def _problem(self, array: str, obj: dict[str, Any]) -> str | None:
        refused = [m for (who, name), m in self.refusals.items() if who == _who(obj) and name in obj]
        return refused[0] if refused else object_problem(array, obj)

    def apply(
        self, path: str, body: dict[str, Any], skip: frozenset[tuple[str, int]] | set[tuple[str, int]] = frozenset()
    ) -> None:
        if path == IDENTIFY:
            self.identified += body.get("emails_to_identify", [])
            return
        for index, obj in enumerate(body.get("attributes", [])):
            if ("attributes", index) not in skip:
                if obj.get("_update_existing_only") is True and _who(obj) not in self.profiles:
                    continue  # Braze drops an update-only object for a profile it does not have
                profile = self.profiles.setdefault(_who(obj), {})
                profile.update({k: v for k, v in obj.items() if k not in _IDENTIFIERS or k == "email"})
        for index, obj in enumerate(body.get("events", [])):
            if ("events", index) not in skip:
                if obj.get("_update_existing_only") is True and _who(obj) not in self.profiles:
                    continue
                self.profiles.setdefault(_who(obj), {})
                self.events_applied.append(obj)


def _who(obj: Mapping[str, Any]) -> str:
    alias = obj.get("user_alias")
    if isinstance(alias, dict):
        return str(alias.get("alias_name"))
    return str(obj.get("external_id") or obj.get("email"))
