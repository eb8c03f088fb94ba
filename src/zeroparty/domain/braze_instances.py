"""Braze instances and their REST endpoints (https://www.braze.com/docs/api/basics#endpoints).

A destination endpoint is either an instance name (`US-01`), one of the documented REST hosts, or
a loopback URL (the built-in sandbox or a test peer). Guessed hosts are refused: a wrong instance
only shows up later as a 401.
"""

from __future__ import annotations

from urllib.parse import urlsplit

INSTANCES: dict[str, str] = {
    "US-01": "https://rest.iad-01.braze.com",
    "US-02": "https://rest.iad-02.braze.com",
    "US-03": "https://rest.iad-03.braze.com",
    "US-04": "https://rest.iad-04.braze.com",
    "US-05": "https://rest.iad-05.braze.com",
    "US-06": "https://rest.iad-06.braze.com",
    "US-07": "https://rest.iad-07.braze.com",
    "US-08": "https://rest.iad-08.braze.com",
    "US-10": "https://rest.us-10.braze.com",
    "EU-01": "https://rest.fra-01.braze.eu",
    "EU-02": "https://rest.fra-02.braze.eu",
    "AU-01": "https://rest.au-01.braze.com",
    "ID-01": "https://rest.id-01.braze.com",
    "JP-01": "https://rest.jp-01.braze.com",
    "KR-01": "https://rest.kr-01.braze.com",
}
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


_NAMES = {url: name for name, url in INSTANCES.items()}


def _use(url: str) -> str:
    """The suggestion for an endpoint written almost right."""
    name = _NAMES.get(url)
    return f"use {url}" + (f" or the instance name {name}" if name else "")


def _scheme_hint(value: str) -> str | None:
    """For a bare host (`rest.iad-01.braze.com`): what it means with the scheme it needs, if known."""
    if "://" in value:
        return None
    try:
        url = resolve_endpoint("https://" + value)
    except ValueError:
        return None
    if urlsplit(url).hostname in _LOOPBACK:  # the sandbox and test peers speak plain http
        url = "http://" + value.rstrip("/")
    scheme = url.split("://", 1)[0]
    return f"'{value}' needs {scheme}:// in front: {_use(url)}"


def resolve_endpoint(value: str) -> str:
    """The REST endpoint for an instance name or URL; ValueError saying why when it is not one."""
    value = value.strip()
    if value.upper() in INSTANCES:
        return INSTANCES[value.upper()]
    hint = _scheme_hint(value)
    if hint:
        raise ValueError(hint)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"'{value}' is neither a Braze instance ({', '.join(INSTANCES)}) nor an http(s) URL")
    if parts.hostname in _LOOPBACK:
        return value.rstrip("/")
    if parts.scheme != "https":
        secure = f"https://{parts.hostname}"
        suggestion = f": {_use(secure)}" if secure in _NAMES else ""
        raise ValueError(f"a Braze REST endpoint must use https{suggestion}")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError("a Braze REST endpoint is a bare host, e.g. https://rest.iad-01.braze.com")
    base = f"https://{parts.hostname}"
    if base not in INSTANCES.values():
        raise ValueError(
            f"'{parts.hostname}' is not a documented Braze REST host; use the one shown under Settings > APIs "
            "and Identifiers, or an instance name such as US-01"
        )
    return base
