"""Reading a product catalogue from CSV: each problem names the file, the line and the column."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zeroparty.domain.experience.feed import parse_catalogue

HEADER = "id,title,price,currency,image,url,skin_type\n"
GOOD = "a,Cleanser,12.5,EUR,https://img.example.com/a.jpg,https://example.com/a,dry | normal\n"


def _problems(text: str) -> list[str]:
    catalogue, problems = parse_catalogue(text, "products.csv")
    assert catalogue is None
    return [f"{path}: {message}" for path, message in problems]


def test_a_good_catalogue_reads_prices_tags_and_currency() -> None:
    text = HEADER + GOOD + "\n" + "b,Serum,20,,asset:" + "0" * 64 + ".png,https://example.com/b,\n"
    catalogue, problems = parse_catalogue("\ufeff" + text, "products.csv")
    assert problems == [] and catalogue is not None
    assert catalogue.columns == ("skin_type",)
    a, b = catalogue.products
    assert (a.price, a.currency, a.tags) == ("12.50", "EUR", {"skin_type": ["dry", "normal"]})
    assert (b.price, b.currency, b.tags) == ("20.00", None, {"skin_type": []})


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "a,Cleanser,12;50,EUR,https://i.example/a.jpg,https://example.com/a,dry",
            "products.csv, line 2, column price: '12;50' is not a price; write it like 12.50",
        ),
        (
            "a,Cleanser,1.999,EUR,https://i.example/a.jpg,https://example.com/a,dry",
            "products.csv, line 2, column price: '1.999' is not a price; write it like 12.50",
        ),
        (
            "a,Cleanser,-1,EUR,https://i.example/a.jpg,https://example.com/a,dry",
            "products.csv, line 2, column price: '-1' is not a price; write it like 12.50",
        ),
        (
            "a,Cleanser,NaN,EUR,https://i.example/a.jpg,https://example.com/a,dry",
            "products.csv, line 2, column price: 'NaN' is not a price; write it like 12.50",
        ),
        (
            "a,Cleanser,12,EUR,https://i.example/a.jpg,http://example.com/a,dry",
            "products.csv, line 2, column url: must be an https:// URL",
        ),
        (
            "a,Cleanser,12,EUR,/a.jpg,https://example.com/a,dry",
            "products.csv, line 2, column image: must be an https:// URL or an asset name (asset:<sha256>.png)",
        ),
        (
            "a,Cleanser,12,euro,https://i.example/a.jpg,https://example.com/a,dry",
            "products.csv, line 2, column currency: must be a three-letter currency code such as EUR",
        ),
        ("a,,12,EUR,https://i.example/a.jpg,https://example.com/a,dry", "products.csv, line 2, column title: is empty"),
        (
            "a,Cleanser,12,EUR,https://i.example/a.jpg,https://example.com/a",
            "products.csv, line 2: has 6 cells; the header has 7",
        ),
    ],
)
def test_a_bad_cell_names_its_line_and_column(row: str, expected: str) -> None:
    assert _problems(HEADER + row + "\n") == [expected]


def test_a_product_id_appears_once() -> None:
    assert _problems(HEADER + GOOD + "\n" + GOOD) == ["products.csv, line 4, column id: 'a' is already on line 2"]


def test_the_header_names_the_required_columns() -> None:
    assert _problems("id,title,image,url\n") == [
        "products.csv, line 1: missing column 'price'",
    ]


def test_a_tag_column_is_an_identifier() -> None:
    assert _problems("id,title,price,image,url,skin type\n") == [
        "products.csv, line 1, column skin type: a tag column is named with letters, digits and _"
    ]


def test_a_column_appears_once_in_the_header() -> None:
    assert _problems("id,title,price,image,url,id\n") == [
        "products.csv, line 1, column id: appears twice in the header"
    ]


def test_an_empty_catalogue_is_refused() -> None:
    assert _problems("") == ["products.csv, line 1: the header row is missing"]
    assert _problems(HEADER) == ["products.csv: holds no products"]


_cells = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_cells, min_size=0, max_size=8), max_size=6), st.booleans())
def test_any_csv_gives_products_or_located_problems(rows: list[list[str]], with_header: bool) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    if with_header:
        writer.writerow(["id", "title", "price", "image", "url", "tag"])
    writer.writerows(rows)
    catalogue, problems = parse_catalogue(out.getvalue(), "f.csv")
    assert (catalogue is None) == bool(problems)
    assert all(path.startswith("f.csv") and message for path, message in problems)
    if catalogue is not None:
        assert all(p.url.startswith("https://") for p in catalogue.products)
        assert len({p.id for p in catalogue.products}) == len(catalogue.products)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_read_without_an_exception(text: str) -> None:
    catalogue, problems = parse_catalogue(text, "f.csv")
    assert (catalogue is None) == bool(problems)


_word = st.text(st.characters(whitelist_categories=("L", "N")), min_size=1, max_size=10)
_product = st.tuples(_word, _word, st.decimals(min_value=0, max_value=10_000, places=2), st.lists(_word, max_size=3))


@settings(max_examples=100, deadline=None)
@given(st.lists(_product, min_size=1, max_size=8, unique_by=lambda p: p[0]))
def test_written_products_read_back_as_written(products: list[tuple[str, str, object, list[str]]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "title", "price", "image", "url", "tag"])
    for pid, title, price, tags in products:
        writer.writerow([pid, title, str(price), "https://i.example/x.png", "https://example.com/p", "|".join(tags)])
    catalogue, problems = parse_catalogue(out.getvalue(), "f.csv")
    assert problems == [] and catalogue is not None
    assert [(p.id, p.title, p.price, p.tags["tag"]) for p in catalogue.products] == [
        (pid, title, f"{price:.2f}", tags) for pid, title, price, tags in products
    ]
