"""The `zeroparty` command line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn
from urllib.parse import urlsplit

import typer
import uvicorn
import yaml
from rich.console import Console
from rich.table import Table

from zeroparty import __version__
from zeroparty.bootstrap import (
    SANDBOX_PREFIX,
    Runtime,
    build_web_app,
    build_worker,
    open_runtime,
    run_worker,
    sandbox_key,
)
from zeroparty.config import Settings
from zeroparty.domain.braze_instances import resolve_endpoint
from zeroparty.domain.definition import Experience, definition_problems
from zeroparty.errors import ConfigurationError, InvalidInput
from zeroparty.sandbox import SandboxConfig, create_sandbox_app

app = typer.Typer(help="Interactive experiences that stream first-party data into Braze.", no_args_is_help=True)
destinations_cli = typer.Typer(help="Where captured data is sent.", no_args_is_help=True)
experiences_cli = typer.Typer(help="Experience definitions (YAML or JSON).", no_args_is_help=True)
app.add_typer(destinations_cli, name="destinations")
app.add_typer(experiences_cli, name="experiences")

out = Console(soft_wrap=True)
err = Console(stderr=True)

HostOpt = Annotated[str | None, typer.Option(envvar="ZEROPARTY_HOST", help="Interface to listen on.")]
PortOpt = Annotated[int | None, typer.Option(envvar="ZEROPARTY_PORT", help="Port to listen on.")]


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigurationError as exc:
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(1)


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Per-request lines from these libraries drown the ones that matter; keep their warnings.
    for noisy in ("alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _runtime(settings: Settings) -> Runtime:
    try:
        return open_runtime(settings)
    except ConfigurationError as exc:
        _fail(str(exc))


def _load_definition_file(path: Path) -> tuple[Experience | None, list[tuple[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [("(file)", f"cannot read {path}: {exc.strerror}")]
    except UnicodeDecodeError:
        return None, [("(file)", "is not UTF-8 text")]
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        return None, [("(file)", f"cannot parse: {exc}")]
    return definition_problems(data)


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


@app.command()
def serve(
    host: HostOpt = None,
    port: PortOpt = None,
    worker: Annotated[bool, typer.Option(envvar="ZEROPARTY_WORKER", help="Run delivery in this process.")] = True,
    sandbox: Annotated[
        bool, typer.Option(envvar="ZEROPARTY_SANDBOX", help=f"Mount the Braze sandbox at {SANDBOX_PREFIX}.")
    ] = True,
) -> None:
    """Run the server (pages, JSON API; delivery and sandbox unless turned off)."""
    settings = _settings()
    _configure_logging(settings)
    rt = _runtime(settings)
    sb = SandboxConfig.single_key(sandbox_key(settings)) if sandbox else None
    asgi = build_web_app(rt, worker=worker, sandbox=sb)
    uvicorn.run(
        asgi,
        host=host or settings.host,
        port=port if port is not None else settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=10,
    )


@app.command()
def worker() -> None:
    """Run a delivery worker on its own (SIGTERM or Ctrl-C stops it after its current batch)."""
    settings = _settings()
    _configure_logging(settings)
    rt = _runtime(settings)
    engine, client = build_worker(rt)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(engine, client, stop)

    asyncio.run(main())


class RateLimitMode(StrEnum):
    epoch = "epoch"
    mau = "mau"


@app.command("sandbox")
def sandbox_cmd(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 9000,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="ZEROPARTY_SANDBOX_API_KEY", help="The REST API key the sandbox accepts."),
    ] = None,
    instance: Annotated[
        str | None, typer.Option(help="Play this Braze instance (US-03, …): requests for another host get 401.")
    ] = None,
    rate_limit_mode: Annotated[
        RateLimitMode, typer.Option(help="epoch: Reset is an epoch second; mau: seconds left, Retry-After on 429.")
    ] = RateLimitMode.epoch,
    track_limit: Annotated[int, typer.Option(min=1, help="/users/track requests per key per 3 s.")] = 3000,
    legacy_per_array: Annotated[bool, typer.Option(help="Allow 75 objects per array instead of 75 combined.")] = False,
) -> None:
    """Run the Braze-compatible sandbox on its own; its routes mirror Braze's paths at the root."""
    settings = _settings()
    _configure_logging(settings)
    instance_host = None
    if instance is not None:
        try:
            instance_host = urlsplit(resolve_endpoint(instance)).hostname
        except ValueError as exc:
            _fail(f"--instance: {exc}")
    rt = _runtime(settings)
    key = api_key or sandbox_key(settings)
    config = SandboxConfig.single_key(
        key,
        instance_host=instance_host,
        rate_limit_mode=rate_limit_mode.value,
        track_rate_limit=track_limit,
        legacy_per_array=legacy_per_array,
    )
    where = "given with --api-key" if api_key else f"in {settings.data_dir / 'sandbox.key'}"
    out.print(f"Braze sandbox on http://{host}:{port}  (API key {where}; profiles at /_sandbox/ui/)")
    uvicorn.run(create_sandbox_app(rt.engine, config), host=host, port=port, log_level=settings.log_level.lower())


@app.command()
def demo(
    host: HostOpt = None,
    port: PortOpt = None,
    examples: Annotated[Path, typer.Option(help="Folder of experience definitions to load.")] = Path("examples"),
) -> None:
    """Everything embedded: SQLite, in-process worker, sandbox, sample experiences, a sandbox destination."""
    settings = _settings()
    _configure_logging(settings)
    host = host or settings.host
    port = port if port is not None else settings.port
    rt = _runtime(settings)
    published = {p.experience.slug: p for p in rt.experiences.list_published()}
    files = (
        sorted([*examples.glob("*.yaml"), *examples.glob("*.yml"), *examples.glob("*.json")])
        if examples.is_dir()
        else []
    )
    for path in files:
        exp, problems = _load_definition_file(path)
        if exp is None:
            _fail(f"{path}: " + "; ".join(f"{p}: {m}" for p, m in problems))
        current = published.get(exp.slug)
        if current is None or current.experience != exp:
            rt.experiences.publish(exp, _now())
    key = sandbox_key(settings)
    sandbox_url = f"http://{host}:{port}{SANDBOX_PREFIX}"
    if not any(d.name == "braze-sandbox" for d in rt.destinations.list()):
        rt.destinations.add_braze("braze-sandbox", sandbox_url, key, _now())
    base = f"http://{host}:{port}"
    out.print(f"\n[bold]zeroparty {__version__} demo[/bold] — data in {settings.data_dir}/\n")
    for p in rt.experiences.list_published():
        out.print(f"  Experience:       {base}/e/{p.experience.slug}   ({p.experience.title})")
    out.print(f"  Sandbox profiles: {sandbox_url}/_sandbox/ui/")
    out.print(f"  Sandbox API:      {sandbox_url}  (API key: {key})")
    out.print(f"  JSON API docs:    {base}/docs\n  Ctrl-C stops.\n")
    asgi = build_web_app(rt, worker=True, sandbox=SandboxConfig.single_key(key))
    uvicorn.run(asgi, host=host, port=port, log_level="warning", timeout_graceful_shutdown=10)


def _now() -> datetime:
    return datetime.now(UTC)


@destinations_cli.command("add-braze")
def add_braze(
    name: Annotated[str, typer.Argument(help="A name for this destination.")],
    endpoint: Annotated[str, typer.Option(help="Braze REST endpoint or instance name (US-01 … KR-01).")],
) -> None:
    """Add a Braze destination. The key comes from ZEROPARTY_BRAZE_API_KEY or a hidden prompt."""
    try:
        url = resolve_endpoint(endpoint)
    except ValueError as exc:
        _fail(f"--endpoint: {exc}")
    if not name.strip() or len(name) > 100:
        _fail("NAME: must be 1 to 100 characters")
    key = os.environ.get("ZEROPARTY_BRAZE_API_KEY") or typer.prompt("Braze REST API key", hide_input=True)
    key = key.strip()
    if not key or any(c.isspace() for c in key):
        _fail("API key: must be non-empty and contain no spaces")
    rt = _runtime(_settings())
    try:
        rt.destinations.add_braze(name, url, key, _now())
    except InvalidInput as exc:
        _fail(str(exc))
    out.print(f"Added Braze destination '{name}' → {url}")


@destinations_cli.command("list")
def list_destinations() -> None:
    """List destinations (keys masked) with their queue counts."""
    rt = _runtime(_settings())
    table = Table("name", "endpoint", "key", "status", "pending", "delivered", "dead")
    for d in rt.destinations.list():
        status = "active" if d.paused_reason is None else f"paused: {d.paused_reason}"
        table.add_row(d.name, d.endpoint, d.key_hint, status, str(d.pending), str(d.delivered), str(d.dead))
    out.print(table)


@destinations_cli.command("resume")
def resume_destination(name: str) -> None:
    """Resume a paused destination (after fixing its key, for instance)."""
    rt = _runtime(_settings())
    try:
        rt.destinations.resume(name)
    except InvalidInput as exc:
        _fail(str(exc))
    out.print(f"Resumed '{name}'")


def _valid_definition(file: Path) -> Experience:
    """The definition in `file`; otherwise print `path: message` per problem and exit 1."""
    exp, problems = _load_definition_file(file)
    if exp is None:
        for path, message in problems:
            print(f"{path}: {message}")
        raise typer.Exit(1)
    return exp


@experiences_cli.command("validate")
def validate(file: Path) -> None:
    """Check a definition; prints `path: message` per problem and exits 1 if there is any."""
    exp = _valid_definition(file)
    out.print(f"{file}: valid ({len(exp.screens)} screens, {len(exp.outcomes)} outcomes)")


@experiences_cli.command("import")
def import_(file: Path) -> None:
    """Validate and publish a definition as a new immutable version."""
    exp = _valid_definition(file)
    rt = _runtime(_settings())
    pub = rt.experiences.publish(exp, _now())
    out.print(f"Published '{exp.slug}' version {pub.version}")


@experiences_cli.command("list")
def list_experiences() -> None:
    """List published experiences."""
    rt = _runtime(_settings())
    table = Table("slug", "title", "version")
    for p in rt.experiences.list_published():
        table.add_row(p.experience.slug, p.experience.title, str(p.version))
    out.print(table)


def main() -> None:
    with contextlib.suppress(KeyboardInterrupt):
        app()
