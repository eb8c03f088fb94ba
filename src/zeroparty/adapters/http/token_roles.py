"""What an operator API token's role lets it call: reads need a viewer's, writes an editor's, and
/metrics, which counts the whole instance's traffic and not one workspace's, an owner's of the
instance's first workspace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request

from zeroparty.adapters.http.context import AppContext
from zeroparty.domain.operator_tokens import TokenView
from zeroparty.domain.roles import Role, allows
from zeroparty.domain.workspaces import DEFAULT_WORKSPACE_ID
from zeroparty.errors import FieldError, Forbidden


def token_with(ctx: AppContext, needed: Role) -> Any:
    """FastAPI dependency: the calling token when its role allows `needed`; 401 without a token,
    403 naming `authorization` when its role is too low."""

    async def check(request: Request) -> TokenView:
        token = await ctx.auth.require(request)
        if not allows(token.role, needed):
            problem = f"this needs a token with the {needed} role; this one is {token.role}"
            raise Forbidden(FieldError("authorization", problem))
        return token

    checker: Callable[[Request], Awaitable[TokenView]] = check
    return Depends(checker)


def instance_owner(ctx: AppContext) -> Any:
    """FastAPI dependency: an owner token of the first workspace, the instance's own (it was every
    operator's before workspaces). What spans every workspace, such as /metrics, which names each
    destination, is theirs alone: another workspace's owner gets 403."""

    async def check(request: Request) -> TokenView:
        token = await ctx.auth.require(request)
        if token.workspace_id != DEFAULT_WORKSPACE_ID or not allows(token.role, Role.OWNER):
            problem = "this spans every workspace: it needs an owner token of the first workspace"
            raise Forbidden(FieldError("authorization", problem))
        return token

    checker: Callable[[Request], Awaitable[TokenView]] = check
    return Depends(checker)
