"""The table of Braze's answers: every kind of outcome has exactly one row, and each error of the
transport comes to the outcome docs/delivery.md promises."""

from __future__ import annotations

from typing import get_args

import pytest

from zeroparty.domain.answer_table import ROWS, outcome_of_error
from zeroparty.domain.classify import Verdict, WrongEndpoint
from zeroparty.domain.settle import Broken, NotSent, Unknown
from zeroparty.errors import NotDeliveredError, RetryableDeliveryError, TerminalDeliveryError


def test_every_outcome_has_exactly_one_row() -> None:
    kinds = [*get_args(Verdict), NotSent, Unknown, Broken]
    assert sorted(k.__name__ for k in kinds) == sorted(row.outcome.__name__ for row in ROWS)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (TimeoutError(), Unknown),
        (NotDeliveredError("could not reach x (ConnectError)"), NotSent),
        (RetryableDeliveryError("could not reach x (RemoteProtocolError)"), Unknown),
        (TerminalDeliveryError("the endpoint cannot be used"), WrongEndpoint),
        (KeyError("bug"), Broken),
    ],
)
def test_an_error_without_an_answer_comes_to_its_outcome(error: BaseException, outcome: type) -> None:
    assert type(outcome_of_error(error, 30.0, "text")) is outcome


def test_a_timeout_says_how_long_it_waited() -> None:
    assert outcome_of_error(TimeoutError(), 12.5, "/users/identify: ") == Unknown(
        "/users/identify: no answer within 12.5 s"
    )
