"""The respondent's outcome pass and the access-log mask: pure logic, no server."""

from __future__ import annotations

import logging
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st
from uvicorn.logging import AccessFormatter

from zeroparty.adapters.http.access_log import MaskResponseIds, masked
from zeroparty.adapters.http.revisit import RevisitPass
from zeroparty.config import Settings
from zeroparty.errors import ConfigurationError

RID = "3f2b8c1e-9a4d-4c6b-8e2f-0a1b2c3d4e5f"
SECRET = b"s" * 32


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_pass_admits_its_response_until_it_runs_out() -> None:
    clock = Clock(1_000_000.0)
    issuer = RevisitPass(SECRET, 600, clock)
    value = issuer.issue("skin-quiz", RID)
    assert issuer.admits(value, "skin-quiz", RID)
    clock.now += 599
    assert issuer.admits(value, "skin-quiz", RID)
    clock.now += 1
    assert not issuer.admits(value, "skin-quiz", RID)


def test_a_pass_admits_nothing_else() -> None:
    issuer = RevisitPass(SECRET, 600, Clock(1_000_000.0))
    value = issuer.issue("skin-quiz", RID)
    named, expires, signature = value.split(".")
    other = str(uuid.uuid4())
    assert not issuer.admits(value, "skin-quiz", other)  # another response
    assert not issuer.admits(value, "vip-signup", RID)  # the same id under another experience
    assert not RevisitPass(b"t" * 32, 600, Clock(1_000_000.0)).admits(value, "skin-quiz", RID)  # another key
    later = f"{named}.{int(expires) + 3600}.{signature}"
    assert not issuer.admits(later, "skin-quiz", RID)  # an expiry moved on
    assert not issuer.admits(f"{other}.{expires}.{signature}", "skin-quiz", other)
    for broken in (None, "", RID, f"{RID}.{expires}", f"{RID}.{expires}.", f"{RID}.x.{signature}", value + "é"):
        assert not issuer.admits(broken, "skin-quiz", RID)


def test_a_lowered_window_shortens_the_passes_already_given() -> None:
    clock = Clock(1_000_000.0)
    value = RevisitPass(SECRET, 3600, clock).issue("skin-quiz", RID)
    clock.now += 60
    assert not RevisitPass(SECRET, 600, clock).admits(value, "skin-quiz", RID)


@pytest.mark.parametrize(
    ("seconds", "said"), [(600, "10 minutes"), (60, "1 minute"), (3600, "1 hour"), (90, "90 seconds")]
)
def test_the_window_in_words(seconds: int, said: str) -> None:
    assert RevisitPass(SECRET, seconds).window == said


@given(value=st.text(max_size=120))
def test_no_text_is_a_pass_by_accident(value: str) -> None:
    assert not RevisitPass(SECRET, 600, Clock(1_000_000.0)).admits(value, "skin-quiz", RID)


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/e/skin-quiz/r/{RID}/s/goals", "/e/skin-quiz/r/3f2b8c1e…/s/goals"),
        (f"/e/skin-quiz/r/{RID}/outcome", "/e/skin-quiz/r/3f2b8c1e…/outcome"),
        (f"/quiz/e/vip-signup/r/{RID}/s/about?x=1", "/quiz/e/vip-signup/r/3f2b8c1e…/s/about?x=1"),
        (f"/e/skin-quiz/r/{RID.upper()}", "/e/skin-quiz/r/3F2B8C1E…"),
        ("/e/skin-quiz?zp_id=zpid.v1.Y3VzdC00Mg.1798761600.c2ln&utm=a", "/e/skin-quiz?zp_id=…&utm=a"),
        ("/e/skin-quiz", "/e/skin-quiz"),
        ("/api/v1/experiences/skin-quiz/responses", "/api/v1/experiences/skin-quiz/responses"),
        (f"/api/v1/responses/{RID}", f"/api/v1/responses/{RID}"),  # an operator's call, behind a token
    ],
)
def test_masked_paths(path: str, shown: str) -> None:
    assert masked(path) == shown


def _access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn's access logger makes it (uvicorn/protocols/http/h11_impl.py)."""
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:53124", "GET", path, "1.1", 200), None,
    )  # fmt: skip


def test_the_filter_masks_uvicorns_access_records_and_keeps_their_shape() -> None:
    record = _access_record(f"/e/skin-quiz/r/{RID}/s/goals?zp_id=secret-token")
    assert MaskResponseIds().filter(record) is True
    line = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s", use_colors=False).format(record)
    assert line == "127.0.0.1:53124 GET /e/skin-quiz/r/3f2b8c1e…/s/goals?zp_id=… HTTP/1.1 200 OK"
    assert record.getMessage() == '127.0.0.1:53124 - "GET /e/skin-quiz/r/3f2b8c1e…/s/goals?zp_id=… HTTP/1.1" 200'


def test_the_filter_leaves_other_records_alone() -> None:
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "Started server process [%d]", (42,), None)
    assert MaskResponseIds().filter(record) and record.getMessage() == "Started server process [42]"


def test_the_revisit_window_is_a_checked_setting() -> None:
    assert Settings().revisit_seconds == 600
    assert Settings.from_env({"ZEROPARTY_REVISIT_SECONDS": "120"}).revisit_seconds == 120
    for raw, message in [
        ("0", "ZEROPARTY_REVISIT_SECONDS: must be between 10 and 86400, got 0"),
        ("90000", "must be between 10 and 86400"),
        ("ten", "ZEROPARTY_REVISIT_SECONDS: expected a whole number, got 'ten'"),
    ]:
        with pytest.raises(ConfigurationError, match=message):
            Settings.from_env({"ZEROPARTY_REVISIT_SECONDS": raw})
