"""The services a console page works with, for one workspace (the composition root builds them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from zeroparty.services.accounts import AccountService
from zeroparty.services.analytics import AnalyticsService
from zeroparty.services.attribute_mapping import AttributeMappingService
from zeroparty.services.audit import AuditService
from zeroparty.services.deliveries import DeliveriesService
from zeroparty.services.destination_probe import DestinationCalls
from zeroparty.services.destination_setup import DestinationSetup
from zeroparty.services.destinations import DestinationsService
from zeroparty.services.erasure import ErasureService
from zeroparty.services.operator_tokens import OperatorTokenService
from zeroparty.services.person_view import PersonReads
from zeroparty.services.publishing import PublishingService
from zeroparty.services.variant_admin import VariantAdmin


@dataclass(frozen=True)
class WorkspaceServices:
    destinations: DestinationsService
    setup: DestinationSetup
    audit: AuditService
    deliveries: DeliveriesService

    publishing: PublishingService
    analytics: AnalyticsService
    variants: VariantAdmin

    people: PersonReads
    erasure: ErasureService

    mapping: AttributeMappingService
    calls: DestinationCalls  # the test send's Braze calls

    accounts: AccountService
    tokens: OperatorTokenService


ServicesFor = Callable[[int], WorkspaceServices]
