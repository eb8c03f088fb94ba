"""Operators' API tokens as `zeroparty tokens` and the console manage them: a bad name is refused
before the store is asked, and every change is stamped with the service's clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from zeroparty.domain.operator_tokens import MAX_NAME, TokenView, name_problem
from zeroparty.domain.roles import Role
from zeroparty.errors import FieldError, InvalidInput, NotFound
from zeroparty.services.operator_tokens import OperatorTokenService

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Tokens:
    """The store's side: tokens by name, the calls it was asked for."""

    def __init__(self) -> None:
        self.views: list[TokenView] = []
        self.calls: list[tuple[str, str, datetime]] = []

    def create(self, name: str, now: datetime, *, role: Role = Role.OWNER, replace: bool = False) -> str:
        self.calls.append(("create+replace" if replace else "create", name, now))
        if not replace and any(v.name == name and v.revoked_at is None for v in self.views):
            raise InvalidInput(FieldError("NAME", f"an active token named '{name}' already exists"))
        self.views.append(TokenView(len(self.views) + 1, name, "…abcd", now, None, None, role=role))
        return f"zp_{name}"

    def revoke(self, name: str, now: datetime) -> None:
        self.calls.append(("revoke", name, now))
        if not any(v.name == name and v.revoked_at is None for v in self.views):
            raise NotFound(FieldError("NAME", f"no active token named '{name}'"))

    def list(self) -> list[TokenView]:
        return list(self.views)


def _service(store: Tokens) -> OperatorTokenService:
    return OperatorTokenService(store, clock=lambda: T0)


def test_a_token_is_made_at_the_clock_s_time_and_listed() -> None:
    store = Tokens()
    service = _service(store)
    assert service.create("grafana") == "zp_grafana"
    assert store.calls == [("create", "grafana", T0)]
    assert [(t.name, t.created_at) for t in service.tokens()] == [("grafana", T0)]


def test_a_token_is_an_owner_s_unless_another_role_is_asked_for() -> None:
    store = Tokens()
    service = _service(store)
    service.create("ci")
    service.create("dashboards", role=Role.VIEWER)
    assert [(t.name, t.role) for t in service.tokens()] == [("ci", Role.OWNER), ("dashboards", Role.VIEWER)]


def test_replace_reaches_the_store() -> None:
    store = Tokens()
    _service(store).create("ci", replace=True)
    assert store.calls == [("create+replace", "ci", T0)]


@pytest.mark.parametrize("name", ["", "  ", "bad name!", "x" * (MAX_NAME + 1), "a/b"])
def test_a_bad_name_is_refused_before_the_store_is_asked(name: str) -> None:
    store = Tokens()
    with pytest.raises(InvalidInput) as refused:
        _service(store).create(name, replace=True)
    assert [e.field for e in refused.value.errors] == ["NAME"]
    assert store.calls == []


@pytest.mark.parametrize("name", ["ci", "grafana-prod", "team_a.v2", "x" * MAX_NAME])
def test_names_of_letters_digits_dashes_underscores_and_dots_are_fine(name: str) -> None:
    assert name_problem(name) is None


def test_the_store_s_refusals_pass_through() -> None:
    store = Tokens()
    service = _service(store)
    service.create("ci")
    with pytest.raises(InvalidInput, match="already exists"):
        service.create("ci")
    with pytest.raises(NotFound, match="no active token named 'grafana'"):
        service.revoke("grafana")


def test_revoking_is_stamped_with_the_clock() -> None:
    store = Tokens()
    service = _service(store)
    service.create("ci")
    service.revoke("ci")
    assert store.calls[-1] == ("revoke", "ci", T0)
