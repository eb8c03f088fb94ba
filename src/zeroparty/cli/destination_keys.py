"""A destination's key: read from the environment or a hidden prompt, and checked with Braze before
it is saved, for every permission the destination's settings need (`domain/verify.py`)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import typer

from zeroparty.cli.common import err, fail, out, plain
from zeroparty.domain.scrub import scrub, scrub_json
from zeroparty.domain.verify import (
    TRACK,
    Permission,
    PermissionCheck,
    PermissionReport,
    Verdict,
    permission_report,
    permission_verdict,
    unreachable_verdict,
)
from zeroparty.errors import DeliveryError

if TYPE_CHECKING:
    from zeroparty.adapters.braze.client import BrazeClient

T = TypeVar("T")
KEY_ENV = "ZEROPARTY_BRAZE_API_KEY"


def read_key() -> str:
    key = os.environ.get(KEY_ENV) or typer.prompt("Braze REST API key", hide_input=True)
    key = key.strip()
    if not key or any(c.isspace() for c in key):
        fail("API key: must be non-empty and contain no spaces")
    return key


def braze_client() -> BrazeClient:
    """A Braze client for one-shot commands: they wait less than the worker, an operator is watching."""
    import httpx

    from zeroparty.adapters.braze.client import BrazeClient

    return BrazeClient(timeout=httpx.Timeout(15.0, connect=5.0))


def call_braze(fn: Callable[[BrazeClient], Awaitable[T]]) -> T:
    async def go() -> T:
        client = braze_client()
        try:
            return await fn(client)
        finally:
            await client.aclose()

    import asyncio

    return asyncio.run(go())


async def _probe(client: BrazeClient, endpoint: str, key: str, perm: Permission) -> tuple[Verdict, float]:
    """Braze's verdict on `key`'s `perm`, from an empty body that writes nothing, and its latency."""
    try:
        timed = await client.timed_post(endpoint, perm.path, key, {})
    except DeliveryError as exc:
        return unreachable_verdict(scrub(str(exc), key)), 0.0
    body = scrub_json(timed.result.body, key)
    verdict = permission_verdict(endpoint, perm.path, perm.name, timed.result.status, body)
    return Verdict(verdict.kind, scrub(verdict.message, key)), timed.latency_ms


async def _check_all(
    client: BrazeClient, endpoint: str, key: str, permissions: Sequence[Permission]
) -> tuple[list[PermissionCheck], float]:
    checks: list[PermissionCheck] = []
    latency = 0.0
    for perm in permissions:
        verdict, ms = await _probe(client, endpoint, key, perm)
        checks.append(PermissionCheck(perm, verdict))
        latency = latency or ms
        if perm == TRACK and not verdict.ok:
            break  # a refused key: every other call would be refused the same way
    return checks, latency


def check_permissions(endpoint: str, key: str, permissions: Sequence[Permission]) -> tuple[PermissionReport, float]:
    """Probe each permission in turn (users.track first); the report and the first call's latency."""
    checks, latency = call_braze(lambda c: _check_all(c, endpoint, key, permissions))
    return permission_report(checks), latency


def verified(endpoint: str, key: str, no_verify: bool, permissions: Sequence[Permission]) -> None:
    """Exit 1 unless `key` has every required permission of `permissions` at `endpoint`; nothing is
    saved then. A missing optional permission is a warning."""
    if no_verify:
        out.print(plain("Key not checked (--no-verify)."), highlight=False)
        return
    report, latency = check_permissions(endpoint, key, permissions)
    if report.refusal is not None:
        took = f" ({latency:.0f} ms)" if latency else ""
        fail(f"API key: {report.refusal}{took}; nothing was saved (--no-verify saves a key without this check)")
    granted = list(report.granted)
    listed = ", ".join(granted[:-1]) + (" and " if len(granted) > 1 else "") + granted[-1] if granted else "nothing"
    lead = "the key is valid and has" if TRACK in permissions else "the key has"
    out.print(plain(f"Key checked with Braze: {lead} {listed} ({latency:.0f} ms)."), highlight=False)
    for warning in report.warnings:
        err.print(plain(f"warning: {warning}"), highlight=False)
