"""Publishing and embedding settings of an experience: whether `/` lists it, which sites may frame
its pages, which of the embedding page's URL parameters the embed passes along, when it stops taking
responses and how it protects itself from spam (`domain.experience.intake`), how its pages show
progress; and the publishing states an experience can be in.

An embed origin is `https://host[:port]` (a leading `*.` allows every subdomain), `http://` only for
a loopback host (localhost, 127.0.0.1, [::1]) so a developer can try it, or `*` for any site. Origins
are checked strictly: they end up verbatim in the `frame-ancestors` directive of a
Content-Security-Policy header, where a space or `;` would change the policy.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from zeroparty.domain.experience.intake import ClosesAt, ProgressStyle, SpamSettings, is_past_close

PublishState = Literal["published", "unpublished", "closed"]
PUBLISH_STATES: tuple[PublishState, ...] = ("published", "unpublished", "closed")
CLOSED_MESSAGE = "This experience is closed and no longer takes responses."

ANY_ORIGIN = "*"
# The query parameter of a hosted page that carries a signed external id token; an embed passes it on.
TOKEN_PARAMETER = "zp_id"
# The page's own parameters: no hidden field may take them.
RESERVED_PARAMETERS = frozenset({TOKEN_PARAMETER, "embed", "restart", "lang"})

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*"
_ORIGIN = re.compile(rf"(?P<scheme>https?)://(?P<host>{_HOST}|\[::1\])(?::(?P<port>[0-9]{{1,5}}))?")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "[::1]"})


def origin_problem(origin: str) -> str | None:
    """Why `origin` cannot be an allowed embed origin, or None."""
    if origin == ANY_ORIGIN:
        return None
    if origin != origin.strip() or not origin:
        return "must not be blank or carry spaces"
    scheme, sep, rest = origin.partition("://")
    if not sep or scheme not in ("https", "http"):
        return "must be https://host[:port], http://localhost[:port] or '*'"
    if "/" in rest or "?" in rest or "#" in rest:
        return "is an origin, scheme and host only: drop the path, query or trailing '/'"
    if origin != origin.lower():
        return "must be lowercase"
    found = _ORIGIN.fullmatch(origin)
    if found is None:
        return "must be https://host[:port] with a host of letters, digits, hyphens and dots"
    port = found.group("port")
    if port is not None and not 1 <= int(port) <= 65535:
        return "has a port outside 1-65535"
    if scheme == "http" and found.group("host") not in _LOOPBACK:
        return "must use https:// (http:// only for localhost, 127.0.0.1 or [::1])"
    return None


def _origin(value: str) -> str:
    problem = origin_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _unique(values: list[str] | None) -> list[str] | None:
    if values is not None:
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(f"lists '{repeated[0]}' more than once")
    return values


EmbedOrigin = Annotated[str, Field(max_length=300), AfterValidator(_origin)]


class ExperienceSettings(BaseModel):
    """Optional settings; each one left out keeps the deployment's behaviour."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    listed: bool | None = Field(None, description="Listed on the public index page `/` (default: not listed).")
    embed_origins: Annotated[
        list[EmbedOrigin] | None,
        Field(max_length=50, description="Sites allowed to frame the pages; '*' for any (default: the deployment's)."),
        AfterValidator(_unique),
    ] = None
    response_limit: Annotated[int | None, Field(ge=1, le=100_000_000)] = Field(
        None, description="Once this many responses are complete, no new one starts (default: no limit)."
    )
    closes_at: ClosesAt | None = Field(
        None, description="From this time (ISO 8601 with a timezone) it takes no responses (default: never)."
    )
    progress: ProgressStyle | None = Field(
        None, description="How the pages show progress: steps ('N/M', default), bar, or none."
    )
    spam: SpamSettings | None = None


def closes_at(settings: ExperienceSettings | None) -> datetime | None:
    return None if settings is None else settings.closes_at


def is_open_at(settings: ExperienceSettings | None, now: datetime) -> bool:
    """False once the experience's closing time has passed."""
    return not is_past_close(closes_at(settings), now)


def spam_settings(settings: ExperienceSettings | None) -> SpamSettings:
    return (settings.spam if settings is not None else None) or SpamSettings()


def frame_ancestors(settings: ExperienceSettings | None, default: str) -> str:
    """The `frame-ancestors` sources for an experience's pages: its own list when it has one (with
    'self', so zeroparty's own pages may show it), else the deployment's `default`."""
    origins = None if settings is None else settings.embed_origins
    if origins is None:
        return default
    if ANY_ORIGIN in origins:
        return ANY_ORIGIN
    return " ".join(["'self'", *origins])


def embed_parameters(hidden_keys: list[str]) -> list[str]:
    """The embedding page's URL parameters an embed passes on to the experience: its hidden fields'
    (`domain.experience.hidden`), and the signed external id token's."""
    return [*hidden_keys, TOKEN_PARAMETER]


def is_listed(settings: ExperienceSettings | None) -> bool:
    return settings is not None and settings.listed is True
