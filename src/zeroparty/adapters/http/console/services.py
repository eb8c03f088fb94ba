"""The services a console page works with, for one workspace (the composition root builds them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from zeroparty.services.analytics import AnalyticsService
from zeroparty.services.audit import AuditService
from zeroparty.services.deliveries import DeliveriesService
from zeroparty.services.destination_setup import DestinationSetup
from zeroparty.services.destinations import DestinationsService
from zeroparty.services.publishing import PublishingService
from zeroparty.services.variant_admin import VariantAdmin


@dataclass(frozen=True)
class WorkspaceServices:
    destinations: DestinationsService
    setup: DestinationSetup
    audit: AuditService
    deliveries: DeliveriesService

    # ANCHOR EXPERIENCES
    publishing: PublishingService
    analytics: AnalyticsService
    variants: VariantAdmin

    # ANCHOR PEOPLE

    # ANCHOR MAPPING

    # ANCHOR USERS


ServicesFor = Callable[[int], WorkspaceServices]
