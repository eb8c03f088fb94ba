"""The composition root: the one place that wires storage, services, delivery and HTTP together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp

from zeroparty.adapters.braze.client import BrazeClient
from zeroparty.adapters.crypto import SecretBox, load_or_create_key
from zeroparty.adapters.db import migrate
from zeroparty.adapters.db.capture import SqlCaptureStore
from zeroparty.adapters.db.destinations import SqlDestinations
from zeroparty.adapters.db.engine import create_engine
from zeroparty.adapters.db.experiences import SqlExperienceStore
from zeroparty.adapters.db.outbox import SqlOutbox
from zeroparty.adapters.db.responses import SqlResponses
from zeroparty.adapters.http.app import create_app, templates
from zeroparty.adapters.http.context import AppContext
from zeroparty.adapters.http.limits import BodySizeLimit
from zeroparty.adapters.http.metrics import StoreCollector
from zeroparty.config import Settings
from zeroparty.delivery.engine import DeliveryEngine, EngineSettings
from zeroparty.sandbox import SandboxConfig, create_sandbox_app
from zeroparty.services.capture import CaptureService

log = logging.getLogger("zeroparty")

SANDBOX_PREFIX = "/braze-sandbox"
SHUTDOWN_GRACE_S = 10.0


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    box: SecretBox
    experiences: SqlExperienceStore
    destinations: SqlDestinations
    responses: SqlResponses
    outbox: SqlOutbox
    capture: CaptureService


def open_runtime(settings: Settings) -> Runtime:
    """Open the store (migrating it to the current schema) and build the services on it."""
    engine = create_engine(settings.db_url, settings.sqlite_busy_timeout_ms)
    migrate.upgrade(engine)
    box = SecretBox(load_or_create_key(settings.secret_key, settings.data_dir / "secret.key"))
    return Runtime(
        settings=settings,
        engine=engine,
        box=box,
        experiences=SqlExperienceStore(engine),
        destinations=SqlDestinations(engine, box),
        responses=SqlResponses(engine),
        outbox=SqlOutbox(engine, box),
        capture=CaptureService(SqlCaptureStore(engine)),
    )


def sandbox_key(settings: Settings) -> str:
    """The sandbox's API key: configured, else one generated once and kept in the data dir."""
    if settings.sandbox_api_key:
        return settings.sandbox_api_key
    path = settings.data_dir / "sandbox.key"
    if path.exists():
        return path.read_text().strip()
    key = "sandbox-" + secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key)
    path.chmod(0o600)
    return key


def build_worker(
    rt: Runtime,
    transport: httpx.AsyncBaseTransport | None = None,
    engine_settings: EngineSettings | None = None,
) -> tuple[DeliveryEngine, BrazeClient]:
    settings = engine_settings or EngineSettings(lease_s=rt.settings.lease_seconds)
    # A request must end well inside the lease, or another worker may take the items meanwhile.
    read_s = min(30.0, settings.lease_s / 2)
    client = BrazeClient(transport=transport, timeout=httpx.Timeout(read_s, connect=min(5.0, read_s)))
    return DeliveryEngine(rt.outbox, client, settings), client


async def run_worker(worker: DeliveryEngine, client: BrazeClient, stop: asyncio.Event) -> None:
    try:
        await worker.run(stop)
    finally:
        await client.aclose()


def build_web_app(
    rt: Runtime,
    *,
    worker: bool,
    sandbox: SandboxConfig | None,
    transport: httpx.AsyncBaseTransport | None = None,
    engine_settings: EngineSettings | None = None,
) -> ASGIApp:
    """The whole server as one ASGI app; with `worker`, delivery runs inside it."""
    delivery = build_worker(rt, transport, engine_settings) if worker else None
    # New outbox rows wake the in-process worker at once instead of waiting for its idle poll.
    capture = CaptureService(SqlCaptureStore(rt.engine), notify=delivery[0].wake) if delivery else rt.capture

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if delivery is None:
            yield
            return
        stop = asyncio.Event()
        task = asyncio.create_task(run_worker(*delivery, stop))
        try:
            yield
        finally:
            stop.set()
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, SHUTDOWN_GRACE_S)

    registry = CollectorRegistry()
    registry.register(StoreCollector(rt.engine))
    ctx = AppContext(capture, rt.experiences, rt.responses, rt.destinations, templates())
    mounts: dict[str, ASGIApp] = {}
    if sandbox is not None:
        mounts[SANDBOX_PREFIX] = create_sandbox_app(rt.engine, sandbox)
    app = create_app(ctx, registry, lifespan=lifespan, mounts=mounts)
    return BodySizeLimit(app, rt.settings.max_body_bytes, exempt_prefixes=(SANDBOX_PREFIX,))
