"""Scripted faults for tests and demos: the next N answers, or a share of answers, on a path."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["status", "drop", "delay"]


class FaultSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    status: Literal[429, 500, 502, 503, 504] | None = None
    count: int | None = Field(default=None, ge=1, le=100_000)
    ratio: float | None = Field(default=None, gt=0, le=1)
    seconds: float | None = Field(default=None, ge=0, le=120)
    retry_after: int | None = Field(default=None, ge=0, le=3600)
    path: str | None = Field(default=None, pattern=r"^/")

    @model_validator(mode="after")
    def _consistent(self) -> FaultSpec:
        if (self.count is None) == (self.ratio is None):
            raise ValueError("give exactly one of 'count' or 'ratio'")
        if self.kind == "status" and self.status is None:
            raise ValueError("a 'status' fault needs 'status'")
        if self.kind == "delay" and self.seconds is None:
            raise ValueError("a 'delay' fault needs 'seconds'")
        return self


class FaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    faults: list[FaultSpec] = Field(min_length=1, max_length=100)


@dataclass
class Fault:
    kind: Kind
    status: int | None
    remaining: int | None
    ratio: float | None
    seconds: float | None
    retry_after: int | None
    path: str | None

    def view(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class FaultScript:
    def __init__(self, rng: random.Random | None = None) -> None:
        self._faults: list[Fault] = []
        self._rng = rng or random.Random()

    def add(self, specs: FaultsIn) -> None:
        for s in specs.faults:
            self._faults.append(Fault(s.kind, s.status, s.count, s.ratio, s.seconds, s.retry_after, s.path))

    def clear(self) -> None:
        self._faults.clear()

    def active(self) -> list[dict[str, Any]]:
        return [f.view() for f in self._faults]

    def next_for(self, path: str) -> Fault | None:
        """The fault to apply to this request, consuming one use of a counted fault."""
        for fault in self._faults:
            if fault.path is not None and fault.path != path:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
            if fault.ratio is not None and self._rng.random() < fault.ratio:
                return fault
        return None
