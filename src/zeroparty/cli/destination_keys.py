"""A destination's key: read from the environment or a hidden prompt; what Braze said of it when
services/destination_setup.py checked it before saving, for every permission the destination's
settings need (`domain/verify.py`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

import typer

from zeroparty.cli.common import err, fail, out, plain
from zeroparty.domain.verify import TRACK, Permission
from zeroparty.errors import InvalidInput

# The services load when a command runs (`zeroparty --help` and the listings stay quick).
if TYPE_CHECKING:
    from zeroparty.services.destination_probe import KeyCheck

KEY_ENV = "ZEROPARTY_BRAZE_API_KEY"


def read_key() -> str:
    key = os.environ.get(KEY_ENV) or typer.prompt("Braze REST API key", hide_input=True)
    key = key.strip()
    if not key or any(c.isspace() for c in key):
        fail("API key: must be non-empty and contain no spaces")
    return key


def say_checked(check: KeyCheck | None, asked: Sequence[Permission]) -> None:
    """What Braze said of a key that was checked (and kept): the permissions it has, and a warning
    per optional one missing; that it was not checked, with --no-verify."""
    if not asked:
        return  # nothing needed checking
    if check is None:
        out.print(plain("Key not checked (--no-verify)."), highlight=False)
        return
    report, latency = check.report, check.latency_ms
    granted = list(report.granted)
    listed = ", ".join(granted[:-1]) + (" and " if len(granted) > 1 else "") + granted[-1] if granted else "nothing"
    lead = "the key is valid and has" if TRACK in asked else "the key has"
    out.print(plain(f"Key checked with Braze: {lead} {listed} ({latency:.0f} ms)."), highlight=False)
    for warning in report.warnings:
        err.print(plain(f"warning: {warning}"), highlight=False)


def fail_invalid_key(exc: InvalidInput) -> NoReturn:
    """Exit 1 with what was refused: Braze's verdict on the key, or the problem named."""
    from zeroparty.services.destination_setup import KeyRefused

    if isinstance(exc, KeyRefused):
        fail(f"API key: {exc.errors[0].message} (--no-verify saves a key without this check)")
    fail(str(exc))
