"""Settings that decide when an experience takes responses and from whom: rates, closing times,
the start limiter, the client address behind trusted proxies, and the progress position along a
respondent's own route."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from tests.support.definitions import sample_data
from tests.support.logic_definitions import branching, branching_data
from zeroparty.domain.client_address import client_address, is_trusted, parse_trusted
from zeroparty.domain.experience.intake import Rate, parse_rate, too_quick
from zeroparty.domain.experience.model import Experience
from zeroparty.domain.experience.progress import Position, position
from zeroparty.domain.experience.publishing import ExperienceSettings, is_open_at
from zeroparty.domain.start_limits import StartLimiter

TRUSTED = parse_trusted("10.0.0.0/8, 127.0.0.1")


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("20/hour", Rate(20, 3600)),
        ("1/second", Rate(1, 1)),
        (" 5 / minutes ", Rate(5, 60)),
        ("100/DAY", Rate(100, 86400)),
    ],
)
def test_rates_read_n_per_unit(text: str, rate: Rate) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["20", "20 per hour", "0/hour", "-1/hour", "20/week", "/hour", "1.5/hour", ""])
def test_anything_else_is_not_a_rate(text: str) -> None:
    with pytest.raises(ValueError, match="N/unit|at least 1"):
        parse_rate(text)


def _problems(settings: dict[str, Any]) -> list[str]:
    try:
        Experience.model_validate({**sample_data(), "settings": settings})
    except ValidationError as exc:
        return [".".join(str(p) for p in e["loc"]) + ": " + e["msg"] for e in exc.errors()]
    return []


def test_settings_name_each_bad_value_by_its_path() -> None:
    assert _problems({"closes_at": "2027-01-31T23:59:00"}) == [
        "settings.closes_at: Value error, must carry a timezone, e.g. 2027-01-31T23:59:00Z or 2027-01-31T23:59:00+01:00"
    ]
    assert _problems({"spam": {"rate_limit": "lots"}})[0].startswith("settings.spam.rate_limit: Value error, 'lots'")
    assert _problems({"response_limit": 0})[0].startswith("settings.response_limit:")
    assert _problems({"progress": "dots"})[0].startswith("settings.progress:")
    assert _problems({"spam": {"honeypot": True, "captcha": "x"}})[0].startswith("settings.spam.captcha:")


def test_unset_settings_stay_out_of_the_stored_form_and_set_ones_round_trip() -> None:
    plain = Experience.model_validate({**sample_data(), "settings": {"listed": True}})
    assert plain.stored_form()["settings"] == {"listed": True}
    given_ = {
        "response_limit": 500,
        "closes_at": "2027-01-31T23:59:00Z",
        "progress": "bar",
        "spam": {"honeypot": False, "min_seconds": 3, "rate_limit": "20/hour"},
    }
    exp = Experience.model_validate({**sample_data(), "settings": given_})
    assert exp.stored_form()["settings"] == given_
    assert Experience.model_validate(exp.stored_form()) == exp


def test_an_experience_closes_at_its_closing_time_whatever_the_zone() -> None:
    settings = ExperienceSettings.model_validate({"closes_at": "2027-02-01T00:59:00+01:00"})
    assert is_open_at(settings, datetime(2027, 1, 31, 23, 58, 59, tzinfo=UTC))
    assert not is_open_at(settings, datetime(2027, 1, 31, 23, 59, tzinfo=UTC))
    assert is_open_at(None, datetime(2999, 1, 1, tzinfo=UTC))


def test_a_first_submit_is_too_quick_before_the_minimum_or_without_a_served_time() -> None:
    assert too_quick(3, 10_000, 12_999) and not too_quick(3, 10_000, 13_000)
    assert too_quick(3, None, 99_999)
    assert not too_quick(None, None, 0)


def test_the_start_limiter_allows_n_per_window_per_key_and_says_how_long_to_wait() -> None:
    limiter, rate = StartLimiter(), Rate(3, 3600)
    assert [limiter.take("a", rate, 0.0) for _ in range(3)] == [0, 0, 0]
    assert limiter.take("a", rate, 1.0) == 1200 - 1  # one comes back every 1200 s
    assert limiter.take("b", rate, 1.0) == 0  # others are not held back
    assert limiter.take("a", rate, 1201.0) == 0
    assert limiter.take("a", rate, 1202.0) > 0


def test_the_start_limiter_remembers_a_bounded_number_of_keys() -> None:
    limiter = StartLimiter(max_tracked=100)
    for n in range(1000):
        limiter.take(f"client-{n}", Rate(1, 60), 0.0)
    assert len(limiter) == 100


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # not a trusted proxy: the header is ignored
        ("127.0.0.1", ["198.51.100.1"], "198.51.100.1"),
        ("127.0.0.1", ["1.1.1.1, 198.51.100.1"], "198.51.100.1"),  # the client's own entry is not believed
        ("127.0.0.1", ["198.51.100.1, 10.1.2.3"], "198.51.100.1"),  # through two trusted proxies
        ("127.0.0.1", ["198.51.100.1", "10.1.2.3"], "198.51.100.1"),  # the header given twice
        ("127.0.0.1", ["nonsense, 10.1.2.3"], "10.1.2.3"),  # no address before the last trusted hop
        ("127.0.0.1", [], "127.0.0.1"),
        ("127.0.0.1", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("127.0.0.1", ["198.51.100.1:5000"], "198.51.100.1"),
        ("::ffff:127.0.0.1", ["198.51.100.1"], "198.51.100.1"),
        (None, ["198.51.100.1"], None),
    ],
)
def test_the_client_is_read_from_x_forwarded_for_only_through_trusted_proxies(
    peer: str | None, header: list[str], client: str | None
) -> None:
    assert client_address(peer, header, TRUSTED) == client


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert parse_trusted("10.0.0.0/8,127.0.0.1") == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("127.0.0.1/32"),
    )
    assert parse_trusted("") == ()
    with pytest.raises(ValueError, match="'proxy.example' is not an address"):
        parse_trusted("10.0.0.0/8, proxy.example")
    assert is_trusted("10.9.9.9", TRUSTED) and not is_trusted("11.0.0.1", TRUSTED) and not is_trusted(None, TRUSTED)


def _canon(text: str) -> str:
    address = ipaddress.ip_address(text)
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return str(mapped or address)


_ADDRESSES = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)
_ENTRIES = st.one_of(_ADDRESSES, st.text(max_size=30))


@given(st.lists(st.lists(_ENTRIES, max_size=5).map(", ".join), max_size=4), _ADDRESSES)
def test_from_an_untrusted_peer_no_header_changes_the_client(header: list[str], peer: str) -> None:
    trusted = parse_trusted("10.0.0.0/8")
    if not is_trusted(peer, trusted):
        assert client_address(peer, header, trusted) == _canon(peer)


@given(st.lists(_ENTRIES, max_size=8), _ADDRESSES)
def test_through_a_trusted_proxy_the_client_is_an_address_the_header_or_peer_holds(
    hops: list[str], client: str
) -> None:
    # Whatever a client puts on the left, the proxy appends the address it saw: that one wins.
    found = client_address("127.0.0.1", [", ".join([*hops, client])], TRUSTED)
    assert found is not None
    if not is_trusted(client, TRUSTED):
        assert found == _canon(client)


def test_progress_counts_the_screens_of_the_respondents_own_route() -> None:
    exp = branching()
    assert position(exp, "habit", {}) == Position(1, 3)
    assert position(exp, "roast", {"morning": "coffee"}) == Position(2, 3)
    assert position(exp, "contact", {"morning": "coffee", "roast_level": "dark"}) == Position(3, 3)
    assert position(exp, "contact", {"morning": "tea"}) == Position(2, 2)  # the jump passed over roast


def test_progress_follows_later_rules_already_decided_by_earlier_answers() -> None:
    data = branching_data()
    data["screens"].insert(
        1,
        {
            "id": "milk",
            "title": "Milk?",
            "elements": [{"id": "milk_too", "type": "consent", "label": "Yes please"}],
            "rules": [{"when": {"element": "morning", "equals": "coffee"}, "then": [{"jump": "contact"}]}],
        },
    )
    data["screens"][0]["rules"] = []
    exp = Experience.model_validate(data)
    assert position(exp, "habit", {}) == Position(1, 4)
    # At "milk", a coffee drinker is known to jump to contact: roast will not come.
    assert position(exp, "milk", {"morning": "coffee"}) == Position(2, 3)
    assert position(exp, "milk", {"morning": "tea"}) == Position(2, 4)
    assert position(exp, "contact", {"morning": "coffee", "milk_too": True}) == Position(3, 3)


def _walk(exp: Experience, answers: dict[str, Any]) -> list[Position]:
    from zeroparty.domain.experience.logic import route

    return [position(exp, s, answers) for s in route(exp, answers).path]


@given(
    st.sampled_from(["coffee", "tea", "nothing"]),
    st.sampled_from(["light", "dark"]),
    st.integers(min_value=0, max_value=5),
)
def test_progress_never_goes_backwards_nor_past_its_end(drink: str, roast: str, cups: int) -> None:
    answers = {"morning": drink, "cups": cups, "roast_level": roast, "email": "a@example.com"}
    shown = _walk(branching(), answers)
    assert [p.step for p in shown] == list(range(1, len(shown) + 1))
    assert all(p.step <= p.steps for p in shown)
    assert all(b.steps <= a.steps for a, b in zip(shown, shown[1:], strict=False))


def test_the_served_json_schema_describes_the_settings() -> None:
    import re

    from zeroparty.domain.braze_definition import definition_schema

    defs = definition_schema()["$defs"]
    props = defs["ExperienceSettings"]["properties"]
    assert {"response_limit", "closes_at", "progress", "spam"} <= set(props)
    assert {"type": "string", "format": "date-time"} in props["closes_at"]["anyOf"]
    assert {"enum": ["steps", "bar", "none"], "type": "string"} in props["progress"]["anyOf"]
    spam = defs["SpamSettings"]["properties"]
    assert set(spam) == {"honeypot", "min_seconds", "rate_limit"}
    pattern = spam["rate_limit"]["pattern"]
    assert re.match(pattern, "20/hour") and not re.match(pattern, "20 per hour")
