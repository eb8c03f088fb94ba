"""Replay: what a dead item may still send once it goes back to pending. Pure.

A dead item carries the values of its time. When a later item for the same user and destination
has since been delivered or queued, the values it sets are newer: replaying the old ones would
turn the profile back. So a replayed item leaves out every attribute and subscription group a later,
live item sets; the rest (and its completion) goes out as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def without_superseded(
    payload: Mapping[str, Any], later: Iterable[Mapping[str, Any]]
) -> tuple[dict[str, Any], list[str]]:
    """`payload` without what `later` payloads set; the names left out, sorted."""
    newer_attrs: set[str] = set()
    newer_groups: set[str] = set()
    for p in later:
        newer_attrs.update(p.get("attributes") or {})
        newer_groups.update(p.get("subscription_groups") or {})
    attrs = dict(payload.get("attributes") or {})
    groups = dict(payload.get("subscription_groups") or {})
    dropped = sorted({*(k for k in attrs if k in newer_attrs), *(k for k in groups if k in newer_groups)})
    kept = {
        **payload,
        "attributes": {k: v for k, v in attrs.items() if k not in newer_attrs},
        "subscription_groups": {k: v for k, v in groups.items() if k not in newer_groups},
    }
    return kept, dropped
