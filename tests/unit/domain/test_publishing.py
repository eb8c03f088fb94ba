"""Embed origins, URL parameters and the frame-ancestors they make: checked at validate/import as
`path: message` problems, and turned into a policy that holds nothing but the listed origins."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.definitions import sample_data
from zeroparty.adapters.http.edge import content_security_policy
from zeroparty.domain.braze_definition import definition_problems
from zeroparty.domain.experience.publishing import (
    ExperienceSettings,
    embed_parameters,
    frame_ancestors,
    is_listed,
    origin_problem,
)


@pytest.mark.parametrize(
    "origin",
    [
        "*",
        "https://shop.example",
        "https://shop.example:8443",
        "https://*.shop.example",
        "http://localhost",
        "http://localhost:5173",
        "http://127.0.0.1:8000",
        "http://[::1]:8080",
        "https://xn--bcher-kva.example",
    ],
)
def test_good_origins_pass(origin: str) -> None:
    assert origin_problem(origin) is None


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        ("", "must not be blank or carry spaces"),
        (" https://shop.example", "must not be blank or carry spaces"),
        ("shop.example", "must be https://host[:port], http://localhost[:port] or '*'"),
        ("ftp://shop.example", "must be https://host[:port], http://localhost[:port] or '*'"),
        ("https://shop.example/", "is an origin, scheme and host only: drop the path, query or trailing '/'"),
        ("https://shop.example/quiz", "is an origin, scheme and host only: drop the path, query or trailing '/'"),
        ("https://Shop.example", "must be lowercase"),
        ("https://shop example", "must be https://host[:port] with a host of letters, digits, hyphens and dots"),
        (
            "https://shop.example;script-src",
            "must be https://host[:port] with a host of letters, digits, hyphens and dots",
        ),
        ("https://shop.example:0", "has a port outside 1-65535"),
        ("https://shop.example:70000", "has a port outside 1-65535"),
        ("http://shop.example", "must use https:// (http:// only for localhost, 127.0.0.1 or [::1])"),
        ("https://*", "must be https://host[:port] with a host of letters, digits, hyphens and dots"),
    ],
)
def test_bad_origins_are_named(origin: str, message: str) -> None:
    assert origin_problem(origin) == message


def _with_settings(settings: Any) -> dict[str, Any]:
    return {**sample_data(), "settings": settings}


def test_a_bad_origin_is_a_path_message_problem() -> None:
    exp, problems = definition_problems(_with_settings({"embed_origins": ["https://shop.example", "shop.example"]}))
    assert exp is None
    assert problems == [("settings.embed_origins[1]", "must be https://host[:port], http://localhost[:port] or '*'")]


def test_repeated_origins_are_named() -> None:
    _exp, problems = definition_problems(_with_settings({"embed_origins": ["*", "*"]}))
    assert ("settings.embed_origins", "lists '*' more than once") in problems


def test_a_hidden_field_may_not_take_a_parameter_of_the_pages_own() -> None:
    data = {**_with_settings({"listed": True}), "hidden_fields": [{"key": "zp_id"}, {"key": "embed"}]}
    _exp, problems = definition_problems(data)
    assert problems == [
        ("hidden_fields[0].key", "'zp_id' is a parameter of zeroparty's own pages; choose another key"),
        ("hidden_fields[1].key", "'embed' is a parameter of zeroparty's own pages; choose another key"),
    ]


def test_an_unknown_setting_is_named() -> None:
    _exp, problems = definition_problems(_with_settings({"listd": True}))
    assert problems == [("settings.listd", "is not a field here; check the spelling")]


def test_a_definition_without_settings_is_stored_as_before() -> None:
    data = sample_data()
    del data["settings"]
    exp, _ = definition_problems(data)
    assert exp is not None and "settings" not in exp.stored_form()


def test_frame_ancestors_override_the_default_only_when_listed() -> None:
    assert frame_ancestors(None, "'self'") == "'self'"
    assert frame_ancestors(ExperienceSettings(listed=True), "'none'") == "'none'"
    assert frame_ancestors(ExperienceSettings(embed_origins=[]), "*") == "'self'"
    assert frame_ancestors(ExperienceSettings(embed_origins=["https://a.example", "*"]), "'self'") == "*"
    two = ExperienceSettings(embed_origins=["https://a.example", "https://b.example:8443"])
    assert frame_ancestors(two, "'self'") == "'self' https://a.example https://b.example:8443"


def test_the_csp_carries_the_experience_frame_ancestors() -> None:
    settings = ExperienceSettings(embed_origins=["https://shop.example"])
    policy = content_security_policy(frame_ancestors(settings, "'self'"))
    assert policy.endswith("; frame-ancestors 'self' https://shop.example")
    assert "script-src 'self';" in policy


def test_embed_parameters_are_the_hidden_fields_and_the_token() -> None:
    assert embed_parameters([]) == ["zp_id"]
    assert embed_parameters(["utm_source"]) == ["utm_source", "zp_id"]


def test_listing_is_opt_in() -> None:
    assert not is_listed(None)
    assert not is_listed(ExperienceSettings())
    assert is_listed(ExperienceSettings(listed=True))


_SOURCE = re.compile(r"(\*|'self'|https?://[a-z0-9.*\[\]:-]+)")


@given(st.lists(st.text(max_size=40), max_size=5))
def test_whatever_is_listed_the_directive_holds_only_sources(origins: list[str]) -> None:
    """Any text an author lists is either refused or yields a directive of plain sources: never a
    `;`, a quote or a space that would add to or end the policy."""
    _exp, problems = definition_problems(_with_settings({"embed_origins": origins}))
    if problems:
        assert all(path.startswith("settings.embed_origins") for path, _m in problems)
        return
    directive = frame_ancestors(ExperienceSettings(embed_origins=origins), "'self'")
    assert all(_SOURCE.fullmatch(part) for part in directive.split(" "))
