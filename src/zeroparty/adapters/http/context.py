"""What the HTTP adapters are handed by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.templating import Jinja2Templates

from zeroparty.adapters.http.access import OperatorAuth
from zeroparty.adapters.http.arrivals import Arrivals
from zeroparty.adapters.http.respondent_pass import RespondentPasses
from zeroparty.adapters.http.revisit import RevisitPass
from zeroparty.services.analytics_ports import EventRecorder, NoEvents
from zeroparty.services.assets import AssetService
from zeroparty.services.capture import CaptureService
from zeroparty.services.read_ports import PublishedListing, ResponseReads


@dataclass(frozen=True)
class AppContext:
    capture: CaptureService
    experiences: PublishedListing
    responses: ResponseReads
    templates: Jinja2Templates
    auth: OperatorAuth
    revisit: RevisitPass  # lets the browser that completed a response see its outcome again, briefly
    assets: AssetService
    frame_ancestors: str = "'self'"  # the deployment's; an experience's `settings.embed_origins` overrides it
    events: EventRecorder = field(default_factory=NoEvents)  # analytics: loads, views, outcomes shown, clicks
    arrivals: Arrivals | None = None  # spam protection's view of a request; None: nothing is checked
    # The respondent's resume and variant passes (the composition root keys them with the session secret).
    passes: RespondentPasses = field(default_factory=RespondentPasses.unkeyed)
