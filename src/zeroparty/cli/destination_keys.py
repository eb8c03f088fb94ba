"""A destination's key: read from the environment or a hidden prompt, and checked with Braze before
it is saved, for every permission the destination's settings need (`domain/verify.py`)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import typer

from zeroparty.cli.common import err, fail, out, plain
from zeroparty.domain.verify import TRACK, Permission

KEY_ENV = "ZEROPARTY_BRAZE_API_KEY"


def read_key() -> str:
    key = os.environ.get(KEY_ENV) or typer.prompt("Braze REST API key", hide_input=True)
    key = key.strip()
    if not key or any(c.isspace() for c in key):
        fail("API key: must be non-empty and contain no spaces")
    return key


def verified(endpoint: str, key: str, no_verify: bool, permissions: Sequence[Permission]) -> None:
    """Exit 1 unless `key` has every required permission of `permissions` at `endpoint`; nothing is
    saved then. A missing optional permission is a warning."""
    if no_verify:
        out.print(plain("Key not checked (--no-verify)."), highlight=False)
        return
    from zeroparty.bootstrap import destination_calls

    checked = destination_calls().check_key(endpoint, key, permissions)
    report, latency = checked.report, checked.latency_ms
    if report.refusal is not None:
        took = f" ({latency:.0f} ms)" if latency else ""
        fail(f"API key: {report.refusal}{took}; nothing was saved (--no-verify saves a key without this check)")
    granted = list(report.granted)
    listed = ", ".join(granted[:-1]) + (" and " if len(granted) > 1 else "") + granted[-1] if granted else "nothing"
    lead = "the key is valid and has" if TRACK in permissions else "the key has"
    out.print(plain(f"Key checked with Braze: {lead} {listed} ({latency:.0f} ms)."), highlight=False)
    for warning in report.warnings:
        err.print(plain(f"warning: {warning}"), highlight=False)
