"""Scripted faults for tests and demos: the next N answers, or a share of answers, on a path.

Kinds: a whole-request `status` (Braze's own bodies for 400/401/403/404, see
https://www.braze.com/docs/api/errors), a `drop`ped connection, a `delay`, and a per-object `reject`
on /users/track (Braze's partial failure: the other objects are applied and the answer lists the
rejected ones in `errors`, https://www.braze.com/docs/api/endpoints/user_data/post_user_track).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from zeroparty.sandbox.rules.validation import ARRAYS, NO_VALID_DATA

Kind = Literal["status", "drop", "delay", "reject"]
Array = Literal["attributes", "events", "purchases"]
TRACK = "/users/track"
# Braze's bodies for the refusals it documents; 429 and 5xx say they were injected.
STATUS_BODIES: dict[int, str] = {400: NO_VALID_DATA, 401: "Invalid API Key", 403: "Access Denied", 404: "Not Found"}
INJECTED_OBJECT = "Injected fault: object rejected"


class FaultIdentifier(BaseModel):
    """Which objects a `reject` fault rejects: those carrying this email or external_id."""

    model_config = ConfigDict(extra="forbid")
    email: str | None = Field(default=None, min_length=1, max_length=255)
    external_id: str | None = Field(default=None, min_length=1, max_length=987)

    @model_validator(mode="after")
    def _one(self) -> FaultIdentifier:
        if (self.email is None) == (self.external_id is None):
            raise ValueError("give exactly one of 'email' or 'external_id'")
        return self

    def matches(self, obj: Mapping[str, Any]) -> bool:
        if self.email is not None:
            email = obj.get("email")  # emails compare as the sandbox stores them: trimmed, lower case
            return isinstance(email, str) and email.strip().lower() == self.email.strip().lower()
        return obj.get("external_id") == self.external_id


class FaultSpec(BaseModel):
    """One fault. Fields that only some kinds take are checked against `kind` (defined first), so a
    bad spec answers 422 naming the field."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind
    status: Literal[400, 401, 403, 404, 429, 500, 502, 503, 504] | None = None
    count: int | None = Field(default=None, ge=1, le=100_000)
    ratio: float | None = Field(default=None, gt=0, le=1)
    seconds: float | None = Field(default=None, ge=0, le=120)
    retry_after: int | None = Field(default=None, ge=0, le=3600)
    path: str | None = Field(default=None, pattern=r"^/")
    identifier: FaultIdentifier | None = Field(default=None, validate_default=True)
    field: str | None = Field(default=None, min_length=1, max_length=255, validate_default=True)
    message: str | None = Field(default=None, min_length=1, max_length=1000)
    indexes: Annotated[list[Annotated[int, Field(ge=0, le=1000)]], Field(min_length=1, max_length=75)] | None = None
    input_array: Array | None = None

    @field_validator("path")
    @classmethod
    def _reject_path(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("kind") == "reject" and value not in (None, TRACK):
            raise ValueError(f"a 'reject' fault applies to {TRACK} only")
        return value

    @field_validator("identifier")
    @classmethod
    def _identifier(cls, value: FaultIdentifier | None, info: ValidationInfo) -> FaultIdentifier | None:
        kind = info.data.get("kind")
        if kind == "reject" and value is None:
            raise ValueError("a 'reject' fault needs 'identifier'")
        if kind not in (None, "reject") and value is not None:
            raise ValueError("only a 'reject' fault takes 'identifier'")
        return value

    @field_validator("field")
    @classmethod
    def _field(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("kind") == "reject" and value is None:
            raise ValueError("a 'reject' fault needs 'field'")
        if value is not None and not _names_objects(info):
            raise ValueError("only 'reject' faults and 'status' 400 faults take 'field'")
        return value

    @field_validator("message")
    @classmethod
    def _message(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if not _names_objects(info):
            raise ValueError("only 'reject' faults and 'status' 400 faults take 'message'")
        field = info.data.get("field")
        if field is not None and f"'{field}'" not in value:
            # The sender reads the field out of the quoted name; a message must keep it.
            raise ValueError(f"'message' must quote the field as '{field}'")
        return value

    @field_validator("indexes")
    @classmethod
    def _status_400_only(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and not (info.data.get("kind") == "status" and info.data.get("status") == 400):
            raise ValueError(f"only 'status' 400 faults take '{info.field_name}'")
        return value

    @field_validator("input_array")
    @classmethod
    def _names_an_array(cls, value: Any, info: ValidationInfo) -> Any:
        # A 'reject' fault limited to one array refuses, say, a person's attributes while the
        # same person's event in the request is accepted.
        if value is not None and not _names_objects(info):
            raise ValueError("only 'reject' faults and 'status' 400 faults take 'input_array'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FaultSpec:
        if (self.count is None) == (self.ratio is None):
            raise ValueError("give exactly one of 'count' or 'ratio'")
        if self.kind == "status" and self.status is None:
            raise ValueError("a 'status' fault needs 'status'")
        if self.kind == "delay" and self.seconds is None:
            raise ValueError("a 'delay' fault needs 'seconds'")
        if self.kind == "status" and (self.field or self.message) and not self.indexes:
            raise ValueError("'field' and 'message' of a 'status' 400 fault describe its 'indexes'")
        return self

    def object_type(self) -> str:
        """The `errors[].type` for an object this fault rejects: it quotes the field."""
        if self.message is not None:
            return self.message
        return f"'{self.field}' is not valid" if self.field is not None else INJECTED_OBJECT


def _names_objects(info: ValidationInfo) -> bool:
    kind = info.data.get("kind")
    return kind == "reject" or (kind == "status" and info.data.get("status") == 400)


class FaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    faults: list[FaultSpec] = Field(min_length=1, max_length=100)


@dataclass
class Fault:
    spec: FaultSpec
    remaining: int | None  # uses left of a counted fault

    def view(self) -> dict[str, Any]:
        shown = self.spec.model_dump(exclude_none=True, exclude={"count"})
        if self.remaining is not None:
            shown["remaining"] = self.remaining
        return shown

    def status_body(self) -> dict[str, Any]:
        """The body of an injected whole-request status."""
        status = self.spec.status or 500
        body: dict[str, Any] = {"message": STATUS_BODIES.get(status, f"Injected fault: HTTP {status}")}
        if status == 400 and self.spec.indexes:
            array = self.spec.input_array or "attributes"
            body["errors"] = [
                {"type": self.spec.object_type(), "input_array": array, "index": i} for i in self.spec.indexes
            ]
        return body


class FaultScript:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._faults: list[Fault] = []
        self._rng = rng or random.Random()

    def add(self, specs: FaultsIn) -> None:
        self._faults.extend(Fault(s, s.count) for s in specs.faults)

    def clear(self) -> None:
        self._faults.clear()

    def active(self) -> list[dict[str, Any]]:
        return [f.view() for f in self._faults]

    def next_for(self, path: str) -> Fault | None:
        """The whole-request fault to apply to this request, consuming one use of a counted fault."""
        for fault in self._faults:
            if fault.spec.kind == "reject" or (fault.spec.path is not None and fault.spec.path != path):
                continue
            if self._fires(fault):
                return fault
        return None

    def rejections(self, path: str, body: Mapping[str, Any]) -> dict[tuple[str, int], str]:
        """(array, index) → `errors[].type` for the objects `reject` faults refuse in this request.
        Only requests carrying a fault's identifier use it up (or roll its ratio)."""
        out: dict[tuple[str, int], str] = {}
        for fault in list(self._faults):
            identifier = fault.spec.identifier
            if fault.spec.kind != "reject" or identifier is None or (fault.spec.path or TRACK) != path:
                continue
            arrays = (
                ARRAYS if fault.spec.kind != "reject" or fault.spec.input_array is None else (fault.spec.input_array,)
            )
            hits = [
                (array, index)
                for array in arrays
                for index, obj in enumerate(_objects(body, array))
                if isinstance(obj, dict) and identifier.matches(obj)
            ]
            if hits and self._fires(fault):
                for hit in hits:
                    out.setdefault(hit, fault.spec.object_type())
        return out

    def _fires(self, fault: Fault) -> bool:
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.remove(fault)
            return True
        return fault.spec.ratio is not None and self._rng.random() < fault.spec.ratio


def _objects(body: Mapping[str, Any], array: str) -> list[Any]:
    items = body.get(array)
    return items if isinstance(items, list) else []
