"""Operators' API tokens as operators manage them: create one (its value shown once), list them
(never their values), revoke one. `zeroparty tokens` is one face of it; the console will be another.
The store answers through `TokenAdmin`; what a token is lives in domain/operator_tokens.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from zeroparty.domain.operator_tokens import TokenView, name_problem
from zeroparty.domain.roles import Role
from zeroparty.errors import FieldError, InvalidInput
from zeroparty.services.audit import AuditService, Detail
from zeroparty.services.clock import utcnow


class TokenAdmin(Protocol):
    def create(self, name: str, now: datetime, *, role: Role = Role.OWNER, replace: bool = False) -> str:
        """A new token for `name` with `role`, its value returned this once; InvalidInput when the
        name is taken (unless `replace`: the active one of that name is revoked in the same
        transaction)."""
        ...

    def revoke(self, name: str, now: datetime) -> None:
        """Revoke the workspace's active token of `name` and end its sessions; NotFound when there
        is none (another workspace's token of that name included)."""
        ...

    def list(self) -> list[TokenView]:
        """Every token of the workspace, active or revoked, by name."""
        ...


class OperatorTokenService:
    def __init__(
        self,
        tokens: TokenAdmin,
        clock: Callable[[], datetime] = utcnow,
        *,
        audit: AuditService | None = None,
        workspace_id: int | None = None,
    ) -> None:
        self._tokens = tokens
        self._clock = clock
        self._audit = audit  # None: a test's service that logs nothing
        self._workspace_id = workspace_id

    def _record(self, actor: str, action: str, name: str, detail: Detail) -> None:
        if self._audit is not None:
            self._audit.record(self._workspace_id, actor, action, name, detail)

    def create(self, name: str, *, role: Role = Role.OWNER, replace: bool = False, actor: str = "cli") -> str:
        """A new token for `name` with `role` (owner: may do everything in the workspace), shown this
        once; InvalidInput naming NAME when it cannot be made."""
        problem = name_problem(name)  # refused before the store is asked, with replace or not
        if problem:
            raise InvalidInput(FieldError("NAME", problem))
        token = self._tokens.create(name, self._clock(), role=role, replace=replace)
        self._record(actor, "token.create", name, {"role": role.value, "replace": replace})
        return token

    def revoke(self, name: str, *, actor: str = "cli") -> None:
        """Requests carrying the token are refused from now on, and its browser sessions end."""
        self._tokens.revoke(name, self._clock())
        self._record(actor, "token.revoke", name, {})

    def tokens(self) -> list[TokenView]:
        return self._tokens.list()
