"""What the outcome page shows of a product, and where a redirect ending sends the browser."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode, urlsplit, urlunsplit

from zeroparty.domain.experience.feed import Product

ASSET_PREFIX = "asset:"
ASSET_PATH = "/assets/"  # where stored images are served from, on our own origin


@dataclass(frozen=True)
class ProductCard:
    id: str
    title: str
    price: str
    image: str
    url: str


def image_src(ref: str) -> str:
    """An image reference as a page's `src`: an asset name becomes its path on our origin."""
    return ASSET_PATH + ref.removeprefix(ASSET_PREFIX) if ref.startswith(ASSET_PREFIX) else ref


def price_text(amount: str, currency: str | None) -> str:
    value = Decimal(amount)
    return f"{value:.2f} {currency}" if currency else f"{value:.2f}"


def product_card(product: Product) -> ProductCard:
    return ProductCard(
        product.id, product.title, price_text(product.price, product.currency), image_src(product.image), product.url
    )


def redirect_target(url: str, values: Mapping[str, str]) -> str:
    """`url` with `values` appended to its query (the experience's declared values, when asked)."""
    if not values:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(sorted(values.items()))) if q)
    return urlunsplit(parts._replace(query=query))
