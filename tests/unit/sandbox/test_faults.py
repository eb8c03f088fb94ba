"""Fault specs and the per-object rejections they script, as pure functions."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pydantic import ValidationError

from zeroparty.sandbox.faults import FaultScript, FaultsIn

BODY: dict[str, Any] = {
    "attributes": [{"external_id": "a"}, {"external_id": "b", "email": " X@Example.COM"}, "not an object"],
    "events": [{"email": "x@example.com", "name": "e"}],
    "purchases": "not a list",
}


def script(*faults: dict[str, Any]) -> FaultScript:
    s = FaultScript(random.Random(7))
    s.add(FaultsIn.model_validate({"faults": list(faults)}))
    return s


def test_rejections_name_every_object_carrying_the_identifier() -> None:
    s = script({"kind": "reject", "identifier": {"email": "x@example.com"}, "field": "gender", "count": 1})
    assert s.rejections("/users/track", BODY) == {
        ("attributes", 1): "'gender' is not valid",
        ("events", 0): "'gender' is not valid",
    }
    assert s.active() == [] and s.rejections("/users/track", BODY) == {}


def test_only_requests_carrying_the_identifier_use_a_count() -> None:
    s = script({"kind": "reject", "identifier": {"external_id": "b"}, "field": "dob", "count": 1})
    assert s.rejections("/users/track", {"attributes": [{"external_id": "a"}]}) == {}
    assert s.rejections("/users/export/ids", BODY) == {}
    assert s.active() == [{"kind": "reject", "identifier": {"external_id": "b"}, "field": "dob", "remaining": 1}]
    assert s.rejections("/users/track", BODY) == {("attributes", 1): "'dob' is not valid"}


def test_whole_request_faults_skip_reject_faults() -> None:
    s = script(
        {"kind": "reject", "identifier": {"external_id": "b"}, "field": "dob", "count": 1},
        {"kind": "status", "status": 404, "count": 1},
    )
    fault = s.next_for("/users/track")
    assert fault is not None and fault.status_body() == {"message": "Not Found"}
    assert s.next_for("/users/track") is None and len(s.active()) == 1


def test_a_400_body_lists_its_indexes() -> None:
    s = script({"kind": "status", "status": 400, "count": 1, "indexes": [2], "input_array": "purchases"})
    fault = s.next_for("/users/track")
    assert fault is not None and fault.status_body()["errors"] == [
        {"type": "Injected fault: object rejected", "input_array": "purchases", "index": 2}
    ]


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status": 400, "count": 1, "field": "gender"},  # a field without indexes
        {"kind": "reject", "identifier": {"external_id": "b"}, "field": "dob", "count": 1, "message": "no quote"},
        {"kind": "reject", "identifier": {"email": "x@example.com", "external_id": "b"}, "field": "dob", "count": 1},
    ],
)
def test_bad_specs(fault: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        FaultsIn.model_validate({"faults": [fault]})
