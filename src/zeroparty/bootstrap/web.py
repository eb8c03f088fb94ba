"""The web server's wiring: the app with its pages, API, console and delivery worker, and what every
request passes first. Part of the composition root (`zeroparty.bootstrap`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from zeroparty.bootstrap import (
    SANDBOX_PREFIX,
    SHUTDOWN_GRACE_S,
    Runtime,
    account_service,
    analytics_service,
    attribute_mapping_service,
    audit_service,
    build_worker,
    deliveries_service,
    destination_calls,
    destination_setup,
    erasure_service,
    operator_token_service,
    person_reads,
    publishing_service,
    run_worker,
    sandbox_engine,
    variant_admin,
)
from zeroparty.config import Settings

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI
    from starlette.types import ASGIApp

    from zeroparty.adapters.http.console.context import ConsoleContext
    from zeroparty.adapters.http.console.services import WorkspaceServices
    from zeroparty.delivery.engine import EngineSettings
    from zeroparty.sandbox import SandboxConfig
    from zeroparty.services.account_ports import PasswordHasher


def console_services(rt: Runtime, workspace_id: int) -> WorkspaceServices:
    """What the console's pages of one workspace work with."""
    from zeroparty.adapters.http.console.services import WorkspaceServices

    setup = destination_setup(rt, workspace_id)
    return WorkspaceServices(
        destinations=setup.destinations,
        setup=setup,
        audit=audit_service(rt.engine),
        deliveries=deliveries_service(rt.engine, workspace_id, rt.outbox),
        publishing=publishing_service(rt.engine, workspace_id),
        analytics=analytics_service(rt.engine, workspace_id),
        variants=variant_admin(rt.engine, workspace_id),
        people=person_reads(rt.engine, workspace_id),
        erasure=erasure_service(rt, workspace_id),
        mapping=attribute_mapping_service(rt, workspace_id),
        calls=destination_calls(),
        accounts=account_service(rt.engine),
        tokens=operator_token_service(rt.engine, workspace_id),
    )


def console_context(rt: Runtime, hasher: PasswordHasher | None = None) -> ConsoleContext:
    from zeroparty.adapters.db.console_reads import SqlWorkspaceOverview
    from zeroparty.adapters.http.console.context import ConsoleContext
    from zeroparty.adapters.http.console.gate import ConsoleGate

    gate = ConsoleGate(account_service(rt.engine, hasher=hasher), rt.session_secret)
    return ConsoleContext(
        gate, SqlWorkspaceOverview(rt.engine), lambda ws: console_services(rt, ws), lambda: datetime.now(UTC)
    )


def build_web_app(
    rt: Runtime,
    *,
    worker: bool,
    sandbox: SandboxConfig | None,
    transport: httpx.AsyncBaseTransport | None = None,
    engine_settings: EngineSettings | None = None,
    password_hasher: PasswordHasher | None = None,
) -> ASGIApp:
    """The whole server as one ASGI app; with `worker`, delivery runs inside it. Tests hand in a
    cheaper `password_hasher` (Argon2id's defaults take a tenth of a second a sign-in)."""
    from prometheus_client import CollectorRegistry

    from zeroparty.adapters.db.analytics import SqlAnalytics
    from zeroparty.adapters.db.readiness import ReadinessCheck
    from zeroparty.adapters.db.sessions import SqlSessions
    from zeroparty.adapters.http.access import OperatorAuth
    from zeroparty.adapters.http.app import create_app, templates
    from zeroparty.adapters.http.arrivals import Arrivals
    from zeroparty.adapters.http.context import AppContext
    from zeroparty.adapters.http.health import ReadinessProbe
    from zeroparty.adapters.http.metrics import StoreCollector
    from zeroparty.adapters.http.respondent_pass import RespondentPasses
    from zeroparty.adapters.http.revisit import RevisitPass
    from zeroparty.sandbox import create_sandbox_app
    from zeroparty.services.event_buffer import EventBuffer

    delivery = build_worker(rt, transport, engine_settings) if worker else None
    # Analytics events are written in batches by a thread of their own, outside capture's transactions.
    events = EventBuffer(SqlAnalytics(rt.engine), flush_s=rt.settings.events_flush_seconds)
    # New outbox rows wake the in-process worker at once instead of waiting for its idle poll.
    # The runtime's store: one writer thread per database, whichever service writes through it.
    capture = rt.capture.notifying(delivery[0].wake if delivery else (lambda: None), events)

    sandbox_db = sandbox_engine(rt.settings) if sandbox is not None else None
    ready = ReadinessCheck(rt.settings.db_url, min_free_bytes=rt.settings.ready_min_free_mb * 2**20)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        events.start()
        task = asyncio.create_task(run_worker(*delivery, stop, rt.engine)) if delivery else None
        try:
            yield
        finally:
            await asyncio.to_thread(events.close)  # what was recorded is written before the store closes
            stop.set()
            if task is not None:
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(task, SHUTDOWN_GRACE_S)
            if sandbox_db is not None:
                sandbox_db.dispose()
            ready.close()

    registry = CollectorRegistry()
    registry.register(StoreCollector(rt.responses.counts))
    auth = OperatorAuth(rt.tokens, SqlSessions(rt.engine), rt.session_secret, lambda: datetime.now(UTC))
    revisit = RevisitPass(rt.session_secret, rt.settings.revisit_seconds)
    ctx = AppContext(
        capture,
        rt.experiences,
        rt.responses,
        templates(),
        auth,
        revisit,
        rt.assets,
        rt.settings.frame_ancestors,
        events,
        Arrivals(rt.session_secret),
        RespondentPasses.made(rt.session_secret, rt.settings.resume_seconds),
    )
    mounts: dict[str, ASGIApp] = {}
    own_limits: dict[str, int] = {}
    if sandbox is not None and sandbox_db is not None:
        mounts[SANDBOX_PREFIX] = create_sandbox_app(sandbox_db, sandbox)
        own_limits[SANDBOX_PREFIX] = sandbox.max_body_bytes  # it answers Braze's own 413
    app = create_app(
        ctx,
        registry,
        lifespan=lifespan,
        mounts=mounts,
        readiness=ReadinessProbe(ready),
        console=console_context(rt, password_hasher),
    )
    return at_the_edge(app, rt.settings, own_limits)


def at_the_edge(app: ASGIApp, settings: Settings, own_limits: dict[str, int] | None = None) -> ASGIApp:
    """What every request passes first, whichever app serves it: security headers on the answer,
    the request-line guard, then the body read whole within its size and time limits."""
    from zeroparty.adapters.http.client_address import ClientAddress
    from zeroparty.adapters.http.edge import RequestLineGuard, SecurityHeaders
    from zeroparty.adapters.http.limits import BodyLimits
    from zeroparty.domain.client_address import parse_trusted

    limited = BodyLimits(app, settings.max_body_bytes, settings.body_timeout_s, own_limits)
    guarded = SecurityHeaders(RequestLineGuard(limited), settings.frame_ancestors)
    return ClientAddress(guarded, parse_trusted(settings.trusted_proxies))
