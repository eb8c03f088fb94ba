"""A minimal Braze-compatible sink for benchmarks: `POST /users/track` answers 201 like Braze after a
configurable delay, counting requests and objects; nothing else happens, so the figures measure the
sender, not a server's work. Run as `python benchmarks/sink.py DELAY_MS`: it listens on a loopback
port of its own choosing and prints `Listening on http://127.0.0.1:PORT`."""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from typing import Any

import uvicorn

COUNTS = {"requests": 0, "objects": 0}


async def _body(receive: Any) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def app_with(delay_s: float) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        raw = await _body(receive)
        if scope["path"] == "/users/track":
            doc = json.loads(raw)
            n = sum(len(doc.get(k) or []) for k in ("attributes", "events", "purchases"))
            COUNTS["requests"] += 1
            COUNTS["objects"] += n
            if delay_s:
                await asyncio.sleep(delay_s)
            status, answer = 201, {"message": "success", "attributes_processed": n}
        elif scope["path"] == "/stats":
            status, answer = 200, dict(COUNTS)
        elif scope["path"] == "/reset":
            COUNTS.update(requests=0, objects=0)
            status, answer = 200, {}
        else:
            status, answer = 404, {"message": "Not Found"}
        body = json.dumps(answer).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


if __name__ == "__main__":
    # IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)  # connections made from now on wait in the backlog until uvicorn accepts them
    print(f"Listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app_with(float(sys.argv[1]) / 1000), log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
