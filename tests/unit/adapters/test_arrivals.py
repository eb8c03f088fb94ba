"""What a hosted page's submit says about its sender: the served time is believed only when the
server signed it, whatever text comes back; the client is kept as a keyed hash, never the address."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from zeroparty.adapters.http.arrivals import Arrivals

ARRIVALS = Arrivals(b"k" * 32)


@given(st.text(max_size=80))
@example("¹")  # a digit to str.isdigit(), not to int()
@example("12.é")  # a signature compare_digest cannot compare
def test_any_text_is_a_served_time_only_when_signed_here(text: str) -> None:
    found = ARRIVALS.served_at(text)
    assert found is None or ARRIVALS.stamp(found) == text


@given(st.integers(min_value=0, max_value=10**14), st.integers(min_value=1, max_value=10**6))
def test_a_stamp_round_trips_and_a_changed_time_does_not_verify(ms: int, shift: int) -> None:
    stamp = ARRIVALS.stamp(ms)
    assert ARRIVALS.served_at(stamp) == ms
    forged = f"{ms + shift}.{stamp.split('.', 1)[1]}"
    assert ARRIVALS.served_at(forged) is None
    assert Arrivals(b"o" * 32).served_at(stamp) is None  # another deployment's key


class _Request:
    def __init__(self, host: str) -> None:
        self.client: Any = type("Client", (), {"host": host})()


def test_clients_are_kept_as_keyed_hashes_an_ipv6_one_by_its_64() -> None:
    one = ARRIVALS.client(_Request("198.51.100.7"))  # type: ignore[arg-type]
    assert "198.51.100.7" not in one and len(one) == 32
    assert one != Arrivals(b"o" * 32).client(_Request("198.51.100.7"))  # type: ignore[arg-type]
    a = ARRIVALS.client(_Request("2001:db8:1:2::1"))  # type: ignore[arg-type]
    assert a == ARRIVALS.client(_Request("2001:db8:1:2:ffff::9"))  # type: ignore[arg-type]
    assert a != ARRIVALS.client(_Request("2001:db8:1:3::1"))  # type: ignore[arg-type]
