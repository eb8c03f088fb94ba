"""What the engine logs and stores from a peer's answer: one line, cut short, with the key scrubbed.
A proxy's HTML error page in front of Braze used to be logged whole, fourteen lines on every retry."""

from __future__ import annotations

import logging

import pytest

from tests.support.delivery_rig import Rig
from tests.support.fake_braze import raw, status

KEY = "braze-rest-key-0001"
PAGE = "\n".join(
    [
        "<!DOCTYPE html>",
        "<html>",
        "<head>",
        "  <meta charset='utf-8'>",
        "  <title>502 Bad Gateway</title>",
        "</head>",
        "<body>",
        "  <center><h1>502 Bad Gateway</h1></center>",
        f"  <p>upstream rest.iad-01.braze.com refused the request (Authorization: Bearer {KEY})</p>",
        "  <hr>",
        "  <center>nginx/1.25.3</center>",
        *[f"  <!-- padding to defeat the browser's own error page, line {i} -->" for i in range(30)],
        "</body>",
        "</html>",
    ]
)


def retry_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "zeroparty.delivery" and "will retry" in r.getMessage()]


def test_a_proxys_html_error_page_is_one_short_line_on_each_retry(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    # The client hands a body that is not JSON on as {"message": <the text>}.
    rig.braze.then(raw(502, {"message": PAGE}), times=2)
    rig.respond("kim@example.com")
    with caplog.at_level(logging.INFO, logger="zeroparty.delivery"):
        rig.deliver()
    assert rig.states() == {"delivered": 1}
    lines = retry_lines(caplog)
    assert len(lines) == 2
    for line in lines:
        assert "\n" not in line and len(line) <= 300, line
        assert "HTTP 502: <!DOCTYPE html> <html> <head> <meta charset='utf-8'> <title>502 Bad Gateway</title>" in line
        assert line.endswith(f"… ({len(PAGE.replace(KEY, '[redacted]')):,} characters)")
    stored = [
        detail or "" for outcome, detail in ((a.outcome, a.detail) for a in rig.outbox.history()) if outcome == "retry"
    ]
    assert len(stored) == 2 and all("\n" not in d and len(d) <= 250 for d in stored), stored


def test_the_key_in_a_long_answer_is_scrubbed_before_it_is_cut(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    # The key starts five characters before the cut: cut first, too little of it would be left for
    # the scrubber to recognise; scrubbed first, only the start of "[redacted]" is kept.
    message = "x" * 169 + f" Bearer {KEY.upper()} " + "y" * 500
    rig.braze.then(status(503, message))
    rig.respond("kim@example.com")
    with caplog.at_level(logging.INFO, logger="zeroparty.delivery"):
        rig.deliver()
    [line] = retry_lines(caplog)
    quoted = line.split("HTTP 503: ", 1)[1]
    assert quoted.startswith("x" * 169 + " Bearer [reda") and "BRAZE" not in quoted.upper()
    assert quoted.endswith(f"… ({len(message) - len(KEY) + len('[redacted]')} characters)")  # once scrubbed


def test_a_dead_reason_quoting_a_long_answer_is_bounded(rig: Rig) -> None:
    rig.braze.refuse_request(
        "kim@example.com", 400, "Invalid request:\n" + "\n".join(f"detail {i}" for i in range(200))
    )
    rig.respond("kim@example.com")
    rig.deliver()
    [dead] = rig.outbox.dead()
    reason = dead.last_error or ""
    assert reason.startswith("Braze rejected the request: HTTP 400: Invalid request: detail 0 detail 1 ")
    assert "\n" not in reason and len(reason) <= 250 and reason.endswith("characters)")
