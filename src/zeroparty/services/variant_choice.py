"""Which version a new response starts on: the latest published one, or, while the experience has
A/B variants, the version of the variant it is served (domain/experience/variants.py)."""

from __future__ import annotations

from dataclasses import replace

from zeroparty.domain.experience.variants import draw
from zeroparty.errors import FieldError, InvalidInput
from zeroparty.services.ports import CaptureReader, Published, StoredVariant

VARIANT_FIELD = "variant"


def served(view: CaptureReader, latest: Published, wanted: str | None, u: float) -> tuple[Published, str | None]:
    """The version and variant name for a new response of `latest`'s experience. `wanted` is the
    variant the respondent was served before (their pass), kept while it still exists; otherwise
    one is drawn by weight with the uniform random `u`. Without variants: `latest`, no name."""
    variants = view.variants(latest.experience.slug)
    if not variants:
        return latest, None
    chosen = next((v for v in variants if v.name == wanted), None) or variants[draw([v.weight for v in variants], u)]
    return _version_of(view, latest, chosen), chosen.name


def named(view: CaptureReader, latest: Published, name: str | None, u: float) -> tuple[Published, str | None]:
    """As `served`, but a variant a client names must exist: InvalidInput naming `variant` otherwise."""
    if name is None:
        return served(view, latest, None, u)
    variants = view.variants(latest.experience.slug)
    chosen = next((v for v in variants if v.name == name), None)
    if chosen is None:
        known = ", ".join(v.name for v in variants) or "none"
        problem = f"'{latest.experience.slug}' has no variant '{name}' (its variants: {known})"
        raise InvalidInput(FieldError(VARIANT_FIELD, problem), "unknown variant")
    return _version_of(view, latest, chosen), chosen.name


def _version_of(view: CaptureReader, latest: Published, chosen: StoredVariant) -> Published:
    # The publishing state is the experience's, whichever version is served.
    return replace(view.version(chosen.version_id), state=latest.state, closed_message=latest.closed_message)
