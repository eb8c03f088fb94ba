"""The composition root: the one place that wires storage, services, delivery and HTTP together."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from zeroparty.config import Settings
from zeroparty.errors import ConfigurationError

# Only names for type checking here: each function imports what it wires, so a one-shot command
# loads the storage layer alone, and the web stack, the sandbox and delivery only when it runs them.
if TYPE_CHECKING:
    import httpx
    from sqlalchemy.engine import Engine

    from zeroparty.adapters.braze.client import BrazeClient
    from zeroparty.adapters.crypto import SecretBox
    from zeroparty.adapters.db.destinations import SqlDestinations
    from zeroparty.adapters.db.experiences import SqlExperienceStore
    from zeroparty.adapters.db.outbox import SqlOutbox
    from zeroparty.adapters.db.responses import SqlResponses
    from zeroparty.adapters.db.tokens import SqlTokens
    from zeroparty.delivery.engine import DeliveryEngine, EngineSettings
    from zeroparty.domain.login_limits import LoginLimiter
    from zeroparty.domain.workspaces import Workspace
    from zeroparty.services.account_ports import PasswordHasher
    from zeroparty.services.accounts import AccountService
    from zeroparty.services.analytics import AnalyticsService
    from zeroparty.services.assets import AssetService
    from zeroparty.services.attribute_mapping import AttributeMappingService
    from zeroparty.services.audit import AuditService
    from zeroparty.services.capture import CaptureService
    from zeroparty.services.deliveries import DeliveriesService
    from zeroparty.services.destination_backfill import BackfillService
    from zeroparty.services.destination_forget import ForgetService
    from zeroparty.services.destination_probe import DestinationCalls
    from zeroparty.services.destination_setup import DestinationSetup
    from zeroparty.services.destination_types import DestinationView, StoredDefinition
    from zeroparty.services.destinations import DestinationsService
    from zeroparty.services.erasure import ErasureService
    from zeroparty.services.experience_secrets import ExperienceSecretService
    from zeroparty.services.operator_tokens import OperatorTokenService
    from zeroparty.services.person_view import PersonReads
    from zeroparty.services.publishing import PublishingService
    from zeroparty.services.variant_admin import VariantAdmin
    from zeroparty.services.workspaces import WorkspaceService

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
    tokens: SqlTokens
    session_secret: bytes  # signs operator session cookies; derived from the secret key
    erasure_secret: bytes  # keys the HMAC of erased addresses in the erasure log; derived from it too
    assets: AssetService
    workspace: Workspace  # the one the CLI's commands act in (settings.workspace)


def open_store(settings: Settings, *, long_running: bool = False) -> Engine:
    """The store's engine, its schema migrated to the current revision (Alembic runs only when the
    database is behind).

    `long_running` processes (serve, worker) warn about a SQLite that can lose writes; one-shot
    commands and the demo only log it at debug level: their users can do nothing about it."""
    from zeroparty.adapters.db import migrate
    from zeroparty.adapters.db.engine import check_sqlite_durability, create_engine

    engine = create_engine(settings.db_url, settings.sqlite_busy_timeout_ms)
    check_sqlite_durability(engine, long_running=long_running)
    migrate.upgrade(engine)
    return engine


def open_runtime(settings: Settings, *, long_running: bool = False) -> Runtime:
    """Open the store (see `open_store`) and build the services on it."""
    from zeroparty.adapters.crypto import SecretBox, load_or_create_key
    from zeroparty.adapters.db.capture import SqlCaptureStore
    from zeroparty.adapters.db.destinations import SqlDestinations
    from zeroparty.adapters.db.experiences import SqlExperienceStore
    from zeroparty.adapters.db.outbox import SqlOutbox
    from zeroparty.adapters.db.responses import SqlResponses
    from zeroparty.adapters.db.tokens import SqlTokens
    from zeroparty.services.capture import CaptureService

    engine = open_store(settings, long_running=long_running)
    workspace = current_workspace(settings, engine)
    key = load_or_create_key(settings.secret_key, settings.data_dir / "secret.key")
    box = SecretBox(key)
    return Runtime(
        settings=settings,
        engine=engine,
        box=box,
        experiences=SqlExperienceStore(engine, workspace_id=workspace.id),
        destinations=SqlDestinations(engine, box, workspace_id=workspace.id),
        responses=SqlResponses(engine),
        outbox=SqlOutbox(engine, box),
        capture=CaptureService(SqlCaptureStore(engine, box)),
        tokens=SqlTokens(engine, workspace_id=workspace.id),
        session_secret=hmac.new(key, b"zeroparty operator session", hashlib.sha256).digest(),
        erasure_secret=hmac.new(key, b"zeroparty erasure log", hashlib.sha256).digest(),
        assets=asset_service(engine, workspace.id),
        workspace=workspace,
    )


def asset_service(engine: Engine, workspace_id: int) -> AssetService:
    """Workspace `workspace_id`'s image assets on `engine`'s store (the public `/assets/{name}`
    serves any workspace's), for commands that need nothing else (no key is read)."""
    from zeroparty.adapters.db.assets import SqlAssets
    from zeroparty.adapters.db.published import SqlPublishedDefinitions
    from zeroparty.services.assets import AssetService

    return AssetService(
        SqlAssets(engine, workspace_id=workspace_id), SqlPublishedDefinitions(engine, workspace_id=workspace_id)
    )


def operator_token_service(engine: Engine, workspace_id: int) -> OperatorTokenService:
    """The workspace's operator API tokens on `engine`'s store: create, list, revoke (no key is read)."""
    from zeroparty.adapters.db.tokens import SqlTokens
    from zeroparty.services.operator_tokens import OperatorTokenService

    return OperatorTokenService(
        SqlTokens(engine, workspace_id=workspace_id), audit=audit_service(engine), workspace_id=workspace_id
    )


def variant_admin(engine: Engine, workspace_id: int) -> VariantAdmin:
    """The A/B variants of workspace `workspace_id`'s experiences on `engine`'s store (no key is read)."""
    from zeroparty.adapters.db.variants import SqlVariants
    from zeroparty.services.variant_admin import VariantAdmin

    return VariantAdmin(SqlVariants(engine, workspace_id=workspace_id))


def experience_secret_service(engine: Engine, box: SecretBox, workspace_id: int) -> ExperienceSecretService:
    """The token secrets of workspace `workspace_id`'s experiences, sealed with `box` (the runtime's key)."""
    from zeroparty.adapters.db.capture import SqlExperienceSecrets
    from zeroparty.services.experience_secrets import ExperienceSecretService

    return ExperienceSecretService(SqlExperienceSecrets(engine, box, workspace_id=workspace_id))


def destination_views(engine: Engine, workspace_id: int) -> list[DestinationView]:
    """Every destination of the workspace with its queue counts, by name (no key is read)."""
    from zeroparty.adapters.db.destinations import list_destinations

    return list_destinations(engine, workspace_id)


def current_definitions(engine: Engine, workspace_id: int | None = None) -> list[StoredDefinition]:
    """Each experience's latest version, by slug: workspace `workspace_id`'s, or (None) every one's."""
    from zeroparty.adapters.db.published import current_definitions as latest

    return latest(engine, workspace_id)


def deliveries_service(engine: Engine, workspace_id: int, outbox: SqlOutbox | None = None) -> DeliveriesService:
    """Delivery's figures and dead items of the workspace's destinations on `engine`'s store (no key
    is read); with `outbox`, replay too."""
    from zeroparty.adapters.db.deliveries import SqlDeliveries
    from zeroparty.services.deliveries import DeliveriesService

    return DeliveriesService(
        SqlDeliveries(engine, workspace_id=workspace_id), outbox, audit=audit_service(engine), workspace_id=workspace_id
    )


def destinations_service(rt: Runtime, workspace_id: int | None = None) -> DestinationsService:
    """Operating the destinations of a workspace (default: `rt`'s): keys, settings, removal, what a
    test sends."""
    from zeroparty.adapters.db.destinations import SqlDestinations
    from zeroparty.adapters.db.experiences import SqlExperienceStore
    from zeroparty.services.destinations import DestinationsService

    ws = rt.workspace.id if workspace_id is None else workspace_id
    if ws == rt.workspace.id:
        store, experiences = rt.destinations, rt.experiences
    else:
        store = SqlDestinations(rt.engine, rt.box, workspace_id=ws)
        experiences = SqlExperienceStore(rt.engine, workspace_id=ws)
    return DestinationsService(
        store,
        lambda: current_definitions(rt.engine, ws),
        experiences,
        audit=audit_service(rt.engine),
        workspace_id=ws,
    )


def destination_setup(rt: Runtime, workspace_id: int | None = None) -> DestinationSetup:
    """Connecting Braze and changing a destination, its key checked with Braze first."""
    from zeroparty.services.destination_setup import DestinationSetup

    return DestinationSetup(destinations_service(rt, workspace_id), destination_calls())


def braze_client() -> BrazeClient:
    """A Braze client for one-shot commands: they wait less than the worker, an operator is watching."""
    import httpx

    from zeroparty.adapters.braze.client import BrazeClient

    return BrazeClient(timeout=httpx.Timeout(15.0, connect=5.0))


def destination_calls() -> DestinationCalls:
    """A destination's key check and test send, each on a one-shot Braze client of its own."""
    from zeroparty.services.destination_probe import DestinationCalls

    return DestinationCalls(braze_client)


def backfill_service(rt: Runtime) -> BackfillService:
    """Queueing the responses of `rt`'s store for a destination they were captured before."""
    from zeroparty.adapters.db.backfill import SqlBackfill
    from zeroparty.services.destination_backfill import BackfillService

    return BackfillService(rt.destinations, SqlBackfill(rt.engine, workspace_id=rt.workspace.id))


def forget_service(rt: Runtime) -> ForgetService:
    """Dropping the record of what a destination of `rt`'s store holds."""
    from zeroparty.adapters.db.delivery_state import SqlHeldRecords
    from zeroparty.services.destination_forget import ForgetService

    return ForgetService(rt.destinations, SqlHeldRecords(rt.engine, workspace_id=rt.workspace.id))


def analytics_service(engine: Engine, workspace_id: int) -> AnalyticsService:
    """The funnel and the response export of workspace `workspace_id`'s experiences, on the store
    behind `engine`: another workspace's experience is not found."""
    from zeroparty.adapters.db.analytics import SqlAnalytics
    from zeroparty.services.analytics import AnalyticsService

    return AnalyticsService(SqlAnalytics(engine, workspace_id=workspace_id))


def erasure_service(rt: Runtime, workspace_id: int | None = None) -> ErasureService:
    """Erasing a person on the runtime's store and in its Braze destinations (`people erase`), in
    workspace `workspace_id` (default: `rt`'s)."""
    from zeroparty.adapters.db.destinations import SqlDestinations
    from zeroparty.adapters.db.people import SqlPeople
    from zeroparty.services.erasure import ErasureService

    ws = rt.workspace.id if workspace_id is None else workspace_id
    connections = rt.destinations if ws == rt.workspace.id else SqlDestinations(rt.engine, rt.box, workspace_id=ws)
    people = SqlPeople(rt.engine, rt.box, workspace_id=ws)
    return ErasureService(
        people, connections, braze_client, rt.erasure_secret, audit=audit_service(rt.engine), workspace_id=ws
    )


def person_reads(engine: Engine, workspace_id: int) -> PersonReads:
    """What workspace `workspace_id` holds about one person (the console's person page)."""
    from zeroparty.adapters.db.person_view import SqlPersonReads

    return SqlPersonReads(engine, workspace_id=workspace_id)


def sandbox_key(settings: Settings) -> str:
    """The sandbox's API key: configured, else one generated once and kept in the data dir."""
    if settings.sandbox_api_key:
        return settings.sandbox_api_key
    path = settings.data_dir / "sandbox.key"
    if path.exists():
        return path.read_text().strip()
    key = "sandbox-" + secrets.token_urlsafe(24)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(key)
    path.chmod(0o600)
    return key


def sandbox_engine(settings: Settings) -> Engine:
    """The sandbox's own database (it brings its schema up to date itself): a development tool stays
    out of the product's schema, and its writes do not queue behind the product's on one SQLite file."""
    from zeroparty.adapters.db.engine import create_engine

    return create_engine(settings.sandbox_db_url, settings.sqlite_busy_timeout_ms)


def build_worker(
    rt: Runtime,
    transport: httpx.AsyncBaseTransport | None = None,
    engine_settings: EngineSettings | None = None,
) -> tuple[DeliveryEngine, BrazeClient]:
    import httpx

    from zeroparty.adapters.braze.client import BrazeClient
    from zeroparty.delivery.engine import DeliveryEngine, EngineSettings

    # A request must end well inside the lease, or another worker may take the items meanwhile.
    request_s = min(30.0, rt.settings.lease_seconds / 2)
    settings = engine_settings or EngineSettings(
        lease_s=rt.settings.lease_seconds,
        batch_window_s=rt.settings.batch_window_ms / 1000,
        settle_window_s=rt.settings.settle_seconds,
        request_timeout_s=request_s,
        idle_poll_s=rt.settings.idle_poll_seconds,
    )
    read_s = min(settings.request_timeout_s, settings.lease_s / 2)
    client = BrazeClient(transport=transport, timeout=httpx.Timeout(read_s, connect=min(5.0, read_s)))
    return DeliveryEngine(rt.outbox, client, settings), client


def freeze_startup_heap() -> None:
    """Keep what a long-running process (server, worker) built at startup out of every later
    garbage collection: some 100k objects from imports and setup live as long as the process, and
    a full collection walks them all, about 50 ms at a time on a small machine, in the middle of
    a claim or a settle (docs/delivery.md, "Throughput"). One collection first, so no garbage is
    kept for good."""
    gc.collect()
    gc.freeze()


async def run_worker(worker: DeliveryEngine, client: BrazeClient, stop: asyncio.Event, engine: Engine) -> None:
    """Run `worker` until `stop`, woken as soon as any process commits queued rows to `engine`."""
    from zeroparty.adapters.db.wakeup import CommitWatcher

    watcher = CommitWatcher(engine, worker.wake)
    watcher.start()
    try:
        await worker.run(stop)
    finally:
        await asyncio.to_thread(watcher.stop)
        await client.aclose()


def workspace_service(engine: Engine) -> WorkspaceService:
    """The workspaces on `engine`'s store: create, list (no key is read)."""
    from zeroparty.adapters.db.workspaces import SqlWorkspaces
    from zeroparty.services.workspaces import WorkspaceService

    return WorkspaceService(SqlWorkspaces(engine), audit=audit_service(engine))


def current_workspace(settings: Settings, engine: Engine) -> Workspace:
    """The workspace `settings.workspace` names (ZEROPARTY_WORKSPACE, `--workspace`); ConfigurationError
    naming ZEROPARTY_WORKSPACE when there is none of that slug."""
    found = workspace_service(engine).by_slug(settings.workspace)
    if found is None:
        raise ConfigurationError(
            f"ZEROPARTY_WORKSPACE: there is no workspace {settings.workspace!r} (zeroparty workspaces list)"
        )
    return found


def audit_service(engine: Engine) -> AuditService:
    """The audit log on `engine`'s store (no key is read)."""
    from zeroparty.adapters.db.audit import SqlAuditLog
    from zeroparty.services.audit import AuditService

    return AuditService(SqlAuditLog(engine))


def account_service(
    engine: Engine, *, limiter: LoginLimiter | None = None, hasher: PasswordHasher | None = None
) -> AccountService:
    """Console users on `engine`'s store: their passwords (Argon2id), memberships, sessions and reset
    links. The web app passes the one `limiter` its sign-ins share; the console signs its session
    cookies itself (Runtime.session_secret)."""
    from zeroparty.adapters.db.accounts import SqlAccounts
    from zeroparty.adapters.db.sessions import SqlSessions
    from zeroparty.adapters.passwords import Argon2Passwords
    from zeroparty.domain.login_limits import LoginLimiter
    from zeroparty.services.accounts import AccountService

    return AccountService(
        SqlAccounts(engine),
        hasher or Argon2Passwords(),
        SqlSessions(engine),
        limiter or LoginLimiter(),
        audit_service(engine),
    )


def publishing_service(engine: Engine, workspace_id: int) -> PublishingService:
    """Checking, publishing and rolling back workspace `workspace_id`'s experiences."""
    from zeroparty.adapters.db.experience_history import SqlExperienceHistory
    from zeroparty.services.publishing import PublishingService

    return PublishingService(
        SqlExperienceHistory(engine, workspace_id=workspace_id),
        lambda: [(d.name, d.settings) for d in destination_views(engine, workspace_id)],
        asset_service(engine, workspace_id),
        lambda: datetime.now(UTC),
        audit=audit_service(engine),
        workspace_id=workspace_id,
    )


def attribute_mapping_service(rt: Runtime, workspace_id: int) -> AttributeMappingService:
    """A workspace's destinations' attribute mapping and its preview (the console's mapping page)."""
    from zeroparty.adapters.db.experiences import SqlExperienceStore
    from zeroparty.services.attribute_mapping import AttributeMappingService

    experiences = (
        rt.experiences if workspace_id == rt.workspace.id else SqlExperienceStore(rt.engine, workspace_id=workspace_id)
    )
    return AttributeMappingService(destinations_service(rt, workspace_id), experiences)


# The web app's wiring lives in bootstrap/web.py; its entry points are the composition root's too.
from zeroparty.bootstrap.web import at_the_edge, build_web_app, console_context, console_services  # noqa: E402

__all__ = ["at_the_edge", "build_web_app", "console_context", "console_services"]
