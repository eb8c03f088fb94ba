"""The feed strategy (a product finder): a catalogue read from CSV is kept inside the definition, so
each published version keeps the products it was published with; options carry tags, and the
products whose columns hold those tags are shown with the outcome.

Matching: a question's chosen options are ORed (a product matches the question when it matches any
of them; it matches an option when, for each column the option tags, it holds one of the values),
and questions are ANDed. Questions whose chosen options carry no tags do not narrow anything.
With `fallback: fill` (the default) the list is filled up to `show` products: first the exact
matches, then the products matching the most questions, each group in catalogue order.
With `fallback: exact` only exact matches are shown.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator

from zeroparty.domain.experience.conditions import Line
from zeroparty.domain.experience.elements import (
    HTTPS,
    IDENT,
    IMAGE,
    REQUIRED,
    DefinitionModel,
    MultiChoice,
    SingleChoice,
)

if TYPE_CHECKING:
    from zeroparty.domain.experience.model import Experience

Problems = list[tuple[str, str]]

CURRENCY = r"^[A-Z]{3}$"
REQUIRED_COLUMNS = ("id", "title", "price", "image", "url")
OWN_COLUMNS = frozenset({*REQUIRED_COLUMNS, "currency"})
# The patterns above, in the words shown to authors.
PATTERN_RULES = {
    HTTPS: "must be an https:// URL",
    IMAGE: "must be an https:// URL or an asset name (asset:<sha256>.png)",
    CURRENCY: "must be a three-letter currency code such as EUR",
}
MAX_PRODUCTS = 1000
MAX_CSV_BYTES = 2_000_000
TAG_SEPARATOR = "|"


def _price(value: str) -> str:
    """A price as written in a shop: 12, 12.5 or 12.50 (a dot, no thousands separator)."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"'{value}' is not a price; write it like 12.50") from None
    if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2 or amount > Decimal("1e9"):  # type: ignore[operator]
        raise ValueError(f"'{value}' is not a price; write it like 12.50")
    return f"{amount:.2f}"


Price = Annotated[str, AfterValidator(_price)]


class Product(DefinitionModel):
    id: Annotated[str, Field(min_length=1, max_length=100), REQUIRED]
    title: Annotated[str, Field(min_length=1, max_length=500), REQUIRED]
    price: Price
    currency: Annotated[str | None, Field(pattern=CURRENCY)] = None
    image: Annotated[str, Field(max_length=2000, pattern=IMAGE)]
    url: Annotated[str, Field(max_length=2000, pattern=HTTPS)]
    tags: dict[Annotated[str, Field(pattern=IDENT)], list[Line]] = Field(default_factory=dict)


class Feed(DefinitionModel):
    """A product catalogue. Authors write `file:` (a CSV beside the definition); validate and import
    read it into `columns` and `products`, which are published with the version."""

    file: Annotated[Line | None, Field(max_length=255, description="The CSV catalogue, beside the definition.")] = None
    show: Annotated[int, Field(ge=1, le=25, description="How many products the outcome shows.")] = 3
    fallback: Literal["fill", "exact"] = Field("fill", description="fill: top up to `show`; exact: matches only.")
    columns: list[Annotated[str, Field(pattern=IDENT)]] = Field(default_factory=list, description="Tag columns.")
    products: Annotated[list[Product], Field(max_length=MAX_PRODUCTS)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _read(self) -> Feed:
        if not self.products:
            raise ValueError("the catalogue is empty: name its CSV with `file:` beside the definition")
        # A catalogue given inline (not read from CSV) gets the checks the CSV reader makes.
        ids = [p.id for p in self.products]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"product id '{repeated[0]}' appears more than once")
        unknown = sorted({c for p in self.products for c in p.tags} - set(self.columns))
        if unknown:
            raise ValueError(f"products are tagged in '{unknown[0]}', which is not one of the columns")
        return self


@dataclass(frozen=True)
class Catalogue:
    columns: tuple[str, ...]
    products: tuple[Product, ...]


def _where(name: str, line: int, column: str | None = None) -> str:
    return f"{name}, line {line}" + (f", column {column}" if column else "")


def _header_problems(header: list[str], name: str) -> Problems:
    problems: Problems = []
    seen: set[str] = set()
    for i, column in enumerate(header, start=1):
        if column in seen:
            problems.append((_where(name, 1, column), "appears twice in the header"))
        elif column not in OWN_COLUMNS and not _is_ident(column):
            label = column or f"#{i}"
            problems.append((_where(name, 1, label), "a tag column is named with letters, digits and _"))
        seen.add(column)
    problems += [(_where(name, 1), f"missing column '{c}'") for c in REQUIRED_COLUMNS if c not in seen]
    return problems


def _is_ident(text: str) -> bool:
    return re.fullmatch(IDENT, text) is not None


def _row_data(header: list[str], cells: list[str]) -> dict[str, Any]:
    row = dict(zip(header, (c.strip() for c in cells), strict=True))
    data: dict[str, Any] = {k: v for k, v in row.items() if k in OWN_COLUMNS and not (k == "currency" and v == "")}
    data["tags"] = {
        k: [t.strip() for t in v.split(TAG_SEPARATOR) if t.strip()] for k, v in row.items() if k not in OWN_COLUMNS
    }
    return data


def _row_problems(exc: ValidationError, name: str, line: int) -> Problems:
    problems: Problems = []
    for err in exc.errors():
        loc = err["loc"]
        column = str(loc[1]) if loc and loc[0] == "tags" and len(loc) > 1 else str(loc[0]) if loc else None
        problems.append((_where(name, line, column), _wording(err)))
    return problems


def _wording(err: Any) -> str:
    pattern = err.get("ctx", {}).get("pattern")
    if pattern in PATTERN_RULES:
        return PATTERN_RULES[pattern]
    if err["type"] == "string_too_short":
        return "is empty"
    return str(err["msg"]).removeprefix("Value error, ")


def parse_catalogue(text: str, name: str) -> tuple[Catalogue | None, Problems]:
    """The products in CSV `text` (header: id, title, price, image, url, currency optional, then tag
    columns; several tags in one cell are separated by |); or problems naming `name`, the line and
    the column."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_CSV_BYTES:
        return None, [(name, f"is larger than {MAX_CSV_BYTES // 1_000_000} MB")]
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [h.strip() for h in next(reader, [])]
        problems = _header_problems(header, name) if header else [(_where(name, 1), "the header row is missing")]
        if problems:
            return None, problems
        products: list[Product] = []
        first_seen: dict[str, int] = {}
        for cells in reader:
            line = reader.line_num
            if not any(c.strip() for c in cells):
                continue  # blank lines between products are harmless
            if len(cells) != len(header):
                problems.append((_where(name, line), f"has {len(cells)} cells; the header has {len(header)}"))
                continue
            try:
                product = Product.model_validate(_row_data(header, cells))
            except ValidationError as exc:
                problems += _row_problems(exc, name, line)
                continue
            if product.id in first_seen:
                again = f"'{product.id}' is already on line {first_seen[product.id]}"
                problems.append((_where(name, line, "id"), again))
            first_seen.setdefault(product.id, line)
            products.append(product)
            if len(products) > MAX_PRODUCTS:
                return None, [(_where(name, line), f"more than {MAX_PRODUCTS} products")]
    except csv.Error as exc:
        return None, [(_where(name, reader.line_num), f"CSV syntax error: {exc}")]
    if not products and not problems:
        problems.append((name, "holds no products"))
    if problems:
        return None, problems
    return Catalogue(tuple(c for c in header if c not in OWN_COLUMNS), tuple(products)), []


def _matches_option(product: Product, tags: dict[str, list[str]]) -> bool:
    return all(set(product.tags.get(column, ())) & set(values) for column, values in tags.items())


def _wanted(exp: Experience, answers: Mapping[str, Any]) -> list[list[dict[str, list[str]]]]:
    """Per answered question, the tags of each chosen option (questions whose choices carry none left out)."""
    wanted: list[list[dict[str, list[str]]]] = []
    for element_id, (_screen, el) in exp.elements().items():
        if not isinstance(el, SingleChoice | MultiChoice) or element_id not in answers:
            continue
        value = answers[element_id]
        picked = set(value) if isinstance(value, list) else {value}
        tagged = [o.tags for o in el.options if o.value in picked and o.tags]
        if tagged:
            wanted.append(tagged)
    return wanted


def pick_products(exp: Experience, answers: Mapping[str, Any]) -> list[Product]:
    """The products shown for these answers, best first (see the module's description)."""
    if exp.feed is None:
        return []
    wanted = _wanted(exp, answers)
    matched = [
        (sum(any(_matches_option(p, tags) for tags in question) for question in wanted), i, p)
        for i, p in enumerate(exp.feed.products)
    ]
    exact = [p for n, _i, p in matched if n == len(wanted)]
    if exp.feed.fallback == "exact" or len(exact) >= exp.feed.show:
        return exact[: exp.feed.show]
    rest = sorted(((n, i, p) for n, i, p in matched if n < len(wanted)), key=lambda m: (-m[0], m[1]))
    return (exact + [p for _n, _i, p in rest])[: exp.feed.show]


def tag_problems(exp: Experience) -> Problems:
    """Tags name feed columns and values some product holds; they only apply to the feed strategy."""
    from zeroparty.domain.experience.weights import option_paths

    problems: Problems = []
    if exp.strategy == "feed" and exp.feed is None:
        problems.append(("feed", "outcome_strategy feed needs a feed (file: products.csv)"))
    if exp.strategy != "feed" and exp.feed is not None:
        problems.append(("feed", "a feed is only used when outcome_strategy is feed"))
    for path, option in option_paths(exp):
        if option.tags is None:
            continue
        if exp.feed is None or exp.strategy != "feed":
            problems.append((f"{path}.tags", "tags only count when outcome_strategy is feed"))
            continue
        for column, values in option.tags.items():
            if column not in exp.feed.columns:
                known = ", ".join(exp.feed.columns) or "none"
                problems.append((f"{path}.tags.{column}", f"unknown feed column '{column}'; the feed has {known}"))
                continue
            held = {v for p in exp.feed.products for v in p.tags.get(column, ())}
            problems += [
                (f"{path}.tags.{column}", f"no product has '{v}' in column '{column}'") for v in values if v not in held
            ]
    return problems
