"""The services a console page works with, for one workspace (the composition root builds them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from zeroparty.services.accounts import AccountService
from zeroparty.services.audit import AuditService
from zeroparty.services.deliveries import DeliveriesService
from zeroparty.services.destination_setup import DestinationSetup
from zeroparty.services.destinations import DestinationsService
from zeroparty.services.operator_tokens import OperatorTokenService


@dataclass(frozen=True)
class WorkspaceServices:
    destinations: DestinationsService
    setup: DestinationSetup
    audit: AuditService
    deliveries: DeliveriesService

    # ANCHOR EXPERIENCES

    # ANCHOR PEOPLE

    # ANCHOR MAPPING

    # ANCHOR USERS
    accounts: AccountService
    tokens: OperatorTokenService


ServicesFor = Callable[[int], WorkspaceServices]
