"""Long-running commands: `serve`, `worker`, `sandbox` and `demo`."""

from __future__ import annotations

import asyncio
import errno
import signal
import socket
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from zeroparty import __version__
from zeroparty.adapters.data_dir import check_data_dir
from zeroparty.bootstrap import (
    SANDBOX_PREFIX,
    account_service,
    at_the_edge,
    build_web_app,
    build_worker,
    freeze_startup_heap,
    run_worker,
    sandbox_engine,
    sandbox_key,
)
from zeroparty.cli.app import app
from zeroparty.cli.common import HostOpt, PortOpt, configure_logging, err, fail, now, out, plain, runtime, settings
from zeroparty.cli.consents import map_demo_consents
from zeroparty.cli.experiences import load_definition_file
from zeroparty.cli.users import ensure_demo_owner
from zeroparty.config import Settings
from zeroparty.domain.braze_instances import resolve_endpoint


def listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket before anything else happens, so a taken port fails clearly and
    changes nothing; uvicorn then serves on this very socket."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            fail(f"port {port} on {host} is already in use; pick another with --port (or ZEROPARTY_PORT)")
        fail(f"cannot listen on {host}:{port}: {exc.strerror}")
    return sock


def warn_about_data_dir(s: Settings) -> None:
    """Say at start when the data folder (keys, and the SQLite file) is reachable by other users: an
    existing folder keeps the mode it has (docs/security.md, "Secrets")."""
    warning = check_data_dir(s.data_dir)
    if warning is not None:
        err.print(plain(f"warning: {warning}"), highlight=False)


def run_server(asgi: Any, sock: socket.socket, s: Settings, log_level: str, banner: list[str] | None = None) -> None:
    """Serve `asgi` on `sock` with the connection guards (adapters/http/serving.py); once it
    listens, print `banner` and where it listens, on stdout, at once (a pipe must see it too)."""
    from zeroparty.adapters.http.serving import GuardedServer, ServerLimits, server_config, url_of

    def started() -> None:
        for line in banner or []:
            out.print(plain(line), highlight=False)
        out.print(plain(f"Listening on {url_of(sock)}  (Ctrl-C stops)"), highlight=False)
        out.file.flush()

    limits = ServerLimits(header_timeout_s=s.header_timeout_s, max_connections=s.max_connections)
    config = server_config(asgi, limits, log_level, timeout_graceful_shutdown=10)
    GuardedServer(config, on_started=started).run(sockets=[sock])


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
        bool,
        typer.Option(
            envvar="ZEROPARTY_SANDBOX", help=f"Also mount the Braze sandbox at {SANDBOX_PREFIX} (development)."
        ),
    ] = False,
) -> None:
    """Run the server: pages, JSON API and delivery (the sandbox only with --sandbox)."""
    from zeroparty.sandbox import SandboxConfig

    s = settings()
    configure_logging(s)
    sock = listen(host or s.host, port if port is not None else s.port)
    rt = runtime(s, long_running=True)
    warn_about_data_dir(s)
    sb = SandboxConfig.single_key(sandbox_key(s)) if sandbox else None
    web = build_web_app(rt, worker=worker, sandbox=sb)
    freeze_startup_heap()
    run_server(web, sock, s, s.log_level.lower())


@app.command()
def worker() -> None:
    """Run a delivery worker on its own (SIGTERM or Ctrl-C stops it after its current batch)."""
    s = settings()
    configure_logging(s)
    rt = runtime(s, long_running=True)
    warn_about_data_dir(s)
    engine, client = build_worker(rt)
    freeze_startup_heap()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(engine, client, stop, rt.engine)

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
    per_array: Annotated[
        bool, typer.Option(help="Count 75 objects per array (attributes, events, purchases) instead of 75 combined.")
    ] = False,
) -> None:
    """Run the Braze-compatible sandbox on its own; its routes mirror Braze's paths at the root."""
    from zeroparty.adapters.http.serving import url_of
    from zeroparty.sandbox import SandboxConfig, create_sandbox_app

    s = settings()
    configure_logging(s)
    instance_host = None
    if instance is not None:
        try:
            instance_host = urlsplit(resolve_endpoint(instance)).hostname
        except ValueError as exc:
            fail(f"--instance: {exc}")
    key = api_key or sandbox_key(s)
    config = SandboxConfig.single_key(
        key,
        instance_host=instance_host,
        rate_limit_mode=rate_limit_mode.value,
        track_rate_limit=track_limit,
        per_array=per_array,
    )
    sock = listen(host, port)
    where = "given with --api-key" if api_key else f"in {s.data_dir / 'sandbox.key'}"
    banner = [f"Braze sandbox on {url_of(sock)}  (API key {where}; profiles at /_sandbox/ui/)"]
    # The standalone sandbox keeps only its own database; the product's is never opened.
    sandbox_app = create_sandbox_app(sandbox_engine(s), config)
    # The sandbox answers Braze's own 413, so the edge only bounds the body's time ("" matches every path).
    run_server(at_the_edge(sandbox_app, s, {"": config.max_body_bytes}), sock, s, s.log_level.lower(), banner)


@app.command()
def demo(
    host: HostOpt = None,
    port: PortOpt = None,
    examples: Annotated[Path, typer.Option(help="Folder of experience definitions to load.")] = Path("examples"),
) -> None:
    """Everything embedded: SQLite, in-process worker, sandbox, sample experiences, a sandbox destination."""
    from zeroparty.sandbox import SandboxConfig

    s = settings()
    configure_logging(s)
    host = host or s.host
    sock = listen(host, port if port is not None else s.port)
    port = sock.getsockname()[1]  # the port actually served (0 picks a free one)
    rt = runtime(s)
    warn_about_data_dir(s)
    files = (
        sorted([*examples.glob("*.yaml"), *examples.glob("*.yml"), *examples.glob("*.json")])
        if examples.is_dir()
        else []
    )
    # The samples' pictures first: the definitions name them as assets (examples/images/).
    for picture in sorted((examples / "images").glob("*")) if (examples / "images").is_dir() else []:
        rt.assets.add(picture.read_bytes(), picture.name)
    for path in files:
        exp, problems = load_definition_file(path)
        if exp is None:
            fail(f"{path}: " + "; ".join(f"{p}: {m}" for p, m in problems))
        rt.experiences.publish_if_changed(exp, now())
    key = sandbox_key(s)
    sandbox_url = f"http://{host}:{port}{SANDBOX_PREFIX}"
    rt.destinations.upsert_braze("braze-sandbox", sandbox_url, key, now())
    map_demo_consents(rt, "braze-sandbox")  # the samples' consent boxes reach the sandbox's groups
    # A new password each start: one printed in an old terminal's scrollback stops working.
    email, password = ensure_demo_owner(account_service(rt.engine), rt.workspace.id)
    base = f"http://{host}:{port}"
    lines = [f"\nzeroparty {__version__} demo — data in {s.data_dir}/\n"]
    lines += [
        f"  Experience:       {base}/e/{p.experience.slug}   ({p.experience.title})"
        for p in rt.experiences.list_published()
    ]
    lines += [
        f"  Sandbox profiles: {sandbox_url}/_sandbox/ui/   (sign in with the API key below)",
        f"  Sandbox API:      {sandbox_url}  (API key: {key})",
        f"  JSON API docs:    {base}/docs   (sign in with a token: zeroparty tokens create NAME)",
        f"  Console:          {base}/admin   (email: {email}  password: {password})",
    ]
    run_server(build_web_app(rt, worker=True, sandbox=SandboxConfig.single_key(key)), sock, s, "warning", lines)
