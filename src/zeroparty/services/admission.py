"""Whether an experience takes a response now: its publishing state, its closing time, its response
limit, and its spam protection. Every check made when a response starts is in `admit_start`.

The response limit counts complete responses and is checked when a response starts: once N are
complete nothing new starts, while responses already in progress may still finish (so a hosted
experience can end with more than N, by as many as were in progress when the Nth completed). A
response of the JSON API starts and completes in one transaction, which holds the count until it
commits: concurrent calls never take it past N.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from zeroparty.domain.experience.intake import limit_reached, too_quick
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.publishing import CLOSED_MESSAGE, closes_at, is_open_at, spam_settings
from zeroparty.domain.start_limits import StartLimiter
from zeroparty.errors import Conflict, FieldError, Gone, NotFound, TooManyRequests, ZeropartyError
from zeroparty.services.ports import CaptureReader, Published


class ExperienceClosed(Gone):
    """The experience is closed: it takes no responses and shows its closed message instead."""

    def __init__(self, experience: Experience, message: str | None, field: FieldError | None = None) -> None:
        super().__init__(
            field or FieldError("slug", f"experience '{experience.slug}' is closed and takes no responses")
        )
        self.experience = experience
        self.message = message or CLOSED_MESSAGE


class ResponseLimitReached(ExperienceClosed, Conflict):
    """As many responses as `settings.response_limit` allows are complete: no new one starts."""

    def __init__(self, experience: Experience, message: str | None, limit: int) -> None:
        why = f"experience '{experience.slug}' has its {limit} responses and takes no new ones"
        super().__init__(experience, message, FieldError("settings.response_limit", why))


class Discarded(ZeropartyError):
    """A submit that spam protection set aside: the sender is answered as if it were kept, and
    nothing is stored or delivered."""

    def __init__(self, experience: Experience) -> None:
        super().__init__(f"a submit to '{experience.slug}' was set aside as spam")
        self.experience = experience


@dataclass(frozen=True)
class Arrival:
    """What the request starting a response says about where it comes from. The hosted pages say
    it all; the JSON API says only the client (no honeypot, no timing there)."""

    client: str | None = None  # a keyed hash of the client's address: never the address
    hosted: bool = False
    trapped: bool = False  # the honeypot field came back filled
    served_at_ms: int | None = None  # when its first screen was served (signed by us); None: unknown


FREE = Arrival()


def open_at(pub: Published, now: datetime) -> Published:
    """`pub` when its experience takes answers now; a response in progress stops when the experience
    is closed, unpublished, or past its closing time."""
    exp = pub.experience
    if pub.state == "unpublished":
        raise NotFound(FieldError("slug", f"no published experience '{exp.slug}'"))
    if pub.state == "closed":
        raise ExperienceClosed(exp, pub.closed_message)
    closing = closes_at(exp.settings)
    if closing is not None and not is_open_at(exp.settings, now):
        why = f"experience '{exp.slug}' closed at {closing.isoformat()} and takes no responses"
        raise ExperienceClosed(exp, pub.closed_message, FieldError("slug", why))
    return pub


def check_trap(pub: Published, arrival: Arrival) -> None:
    if arrival.hosted and arrival.trapped and spam_settings(pub.experience.settings).traps():
        raise Discarded(pub.experience)


def admit_start(
    unit: CaptureReader, pub: Published, arrival: Arrival, now: datetime, limiter: StartLimiter, tick: float
) -> None:
    """Refuse a new response to `pub` (which `open_at` let through) when spam protection sets it
    aside (Discarded), its client started too many lately (TooManyRequests, with when to try
    again), or its response limit is full (ResponseLimitReached). `tick` is monotonic seconds."""
    exp = pub.experience
    spam = spam_settings(exp.settings)
    check_trap(pub, arrival)
    if arrival.hosted and too_quick(spam.min_seconds, arrival.served_at_ms, int(now.timestamp() * 1000)):
        raise Discarded(pub.experience)
    rate = spam.rate()
    if rate is not None and arrival.client is not None:
        wait = limiter.take(f"{exp.slug} {arrival.client}", rate, tick)
        if wait:
            why = f"too many responses started from your address: try again in {wait} seconds"
            raise TooManyRequests(FieldError("settings.spam.rate_limit", why), wait)
    limit = exp.settings.response_limit if exp.settings is not None else None
    if limit is not None and limit_reached(limit, unit.completed_responses(exp.slug)):
        raise ResponseLimitReached(exp, pub.closed_message, limit)


def check_start_page(unit: CaptureReader, pub: Published) -> None:
    """What a first page says before anyone answers: the closed message once the limit is full."""
    limit = pub.experience.settings.response_limit if pub.experience.settings is not None else None
    if limit is not None and limit_reached(limit, unit.completed_responses(pub.experience.slug)):
        raise ResponseLimitReached(pub.experience, pub.closed_message, limit)
