"""Helpers for tests that run zeroparty as real processes: ports nobody else can take, a clean
environment.

No helper hands out a port number it does not hold: a server process binds port 0 itself and
says which port it got (`reported_url`); a port that must refuse connections stays bound, not
listening, for as long as the test needs it (`closed_port`)."""

from __future__ import annotations

import os
import re
import resource
import selectors
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_URL = re.compile(r"http://127\.0\.0\.1:(\d+)")


@contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections while the block runs: it is bound here and never
    listened on, so no other process can take it meanwhile."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        yield port


def reported_url(proc: subprocess.Popen[bytes], timeout: float = 30.0, seen: list[str] | None = None) -> str:
    """The `http://127.0.0.1:PORT` a server process started with `--port 0` prints once it listens.

    Reads its stdout straight from the pipe (what was read is appended to `seen`, line by line);
    fails with what it printed if the process ends or stays silent."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    lines = seen if seen is not None else []
    pending = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            *done, pending = (pending + chunk).split(b"\n")
            for raw in done:
                line = raw.decode("utf-8", "replace")
                lines.append(line)
                if "listening on" in line.lower() and (m := _URL.search(line)):
                    return f"http://127.0.0.1:{m.group(1)}"
    raise AssertionError(f"the server reported no address (exit code {proc.poll()}); it printed: {lines!r}")


@contextmanager
def server_process(
    args: list[str], env: dict[str, str], log: Path, cwd: Path | None = None, nofile: int | None = None
) -> Iterator[str]:
    """Run `python -m zeroparty ARGS --port 0` (serve, demo or sandbox) and yield the base URL it
    reports once it listens; everything it prints goes to `log`. `nofile` caps its file descriptors
    (soft and hard limit). It is stopped (SIGTERM, then SIGKILL) when the block ends, whatever happened."""

    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "zeroparty", *args, "--port", "0"],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=sink,
            preexec_fn=limit if nofile is not None else None,
        )
        drain: threading.Thread | None = None
        try:
            seen: list[str] = []
            try:
                base = reported_url(proc, seen=seen)
            finally:
                sink.write("".join(line + "\n" for line in seen).encode())
                sink.flush()
            assert proc.stdout is not None
            # Keep its stdout drained, so it never blocks on a full pipe.
            drain = threading.Thread(target=shutil.copyfileobj, args=(proc.stdout, sink), daemon=True)
            drain.start()
            yield base
        finally:
            stop(proc)
            if drain is not None:
                drain.join(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()


def stop(proc: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """End `proc`: SIGTERM, and SIGKILL if it has not exited within `grace` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def cli_env(data_dir: Path | None, **extra: str) -> dict[str, str]:
    """This process's environment without any ZEROPARTY_* setting, pointed at `data_dir` (None: the
    default, `./.zeroparty` of the working folder)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEROPARTY_")}
    if data_dir is not None:
        env["ZEROPARTY_DATA_DIR"] = str(data_dir)
    return env | extra


@contextmanager
def serving(args: list[str], env: dict[str, str] | None = None, timeout: float = 30.0) -> Iterator[str]:
    """Run `args` (a server that binds a port of its own and says which) until the block ends;
    yields its base URL once it listens."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE)
    try:
        yield reported_url(proc, timeout=timeout)
    finally:
        stop(proc, grace=10)
        if proc.stdout is not None:
            proc.stdout.close()
