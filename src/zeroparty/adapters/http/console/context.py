"""What the console's pages are handed by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from zeroparty.adapters.http.console import (
    account,
    audit,
    deliveries,
    destination_groups,
    destinations,
    entry,
    experiences,
    mapping,
    members,
    overview,
    people,
    testsend,
    tokens,
)
from zeroparty.adapters.http.console.gate import ConsoleGate
from zeroparty.adapters.http.console.services import ServicesFor
from zeroparty.adapters.http.console.shell import install_templates
from zeroparty.services.console_reads import WorkspaceOverview


@dataclass(frozen=True)
class ConsoleContext:
    gate: ConsoleGate
    overview: WorkspaceOverview
    services_for: ServicesFor
    clock: Callable[[], datetime]


def install(app: FastAPI, console: ConsoleContext, templates: Jinja2Templates) -> None:
    install_templates(templates)
    gate, services_for = console.gate, console.services_for
    app.include_router(entry.router(gate))
    app.include_router(overview.router(gate, console.overview, console.clock))
    app.include_router(experiences.router(gate, services_for))
    app.include_router(destinations.router(gate, services_for))
    app.include_router(destination_groups.router(gate, services_for))
    app.include_router(mapping.router(gate, services_for))
    app.include_router(testsend.router(gate, services_for))
    app.include_router(deliveries.router(gate, services_for, console.overview, console.clock))
    app.include_router(people.router(gate, services_for))
    app.include_router(members.router(gate, services_for))
    app.include_router(tokens.router(gate, services_for))
    app.include_router(audit.router(gate, services_for))
    app.include_router(account.router(gate))
