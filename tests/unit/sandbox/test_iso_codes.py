from __future__ import annotations

import pytest

from zeroparty.sandbox.rules.iso_codes import COUNTRY_CODES, CURRENCIES, country_code


@pytest.mark.parametrize(
    ("value", "code"),
    [("AU", "AU"), ("au", "AU"), ("Australia", "AU"), ("AUS", "AU"), ("  australia ", "AU"), ("United States", "US"),
     ("USA", "US"), ("United States of America", "US"), ("UK", "GB"), ("Côte d’Ivoire", "CI"), ("Cote d'Ivoire", "CI"),
     ("Viet Nam", "VN"), ("Vietnam", "VN"), ("Atlantis", None), ("XX", None), ("", None), ("A", None)],
)  # fmt: skip
def test_best_effort_country_mapping(value: str, code: str | None) -> None:
    assert country_code(value) == code


def test_tables_are_complete() -> None:
    assert len(COUNTRY_CODES) == 249
    assert {"USD", "EUR", "JPY", "GBP", "CHF"} <= CURRENCIES and "ABC" not in CURRENCIES
