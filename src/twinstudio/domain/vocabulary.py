"""Closed vocabularies of the rights language. An unknown code is an error, never ignored.

Extending a vocabulary is a deliberate change here (and a migration of nothing: codes are text).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import AfterValidator

from twinstudio.domain.iso_codes import ISO_3166_ALPHA2

WILDCARD = "*"

CHANNELS: frozenset[str] = frozenset({"ecommerce", "social", "ooh", "print", "email", "video"})
# Channels whose use is commercial (a model whose licence forbids commercial use is
# refused for them): every channel a brand licenses a twin for sells something.
COMMERCIAL_CHANNELS: frozenset[str] = CHANNELS

PRODUCT_CATEGORIES: frozenset[str] = frozenset(
    {
        "tops", "bottoms", "dresses", "outerwear", "knitwear", "denim", "suits", "activewear",
        "swimwear", "lingerie", "nightwear", "footwear", "accessories", "bags", "jewellery",
        "eyewear", "beauty", "fragrance",
    }
)

# Alterations a licence may permit without touching who the person is.
STYLING_ALTERATIONS: frozenset[str] = frozenset(
    {"hair_color", "hair_style", "makeup", "background", "lighting", "pose", "crop", "expression"}
)
# Alterations of identity: refused unless a licence (and its consent) names them explicitly.
IDENTITY_ALTERATIONS: frozenset[str] = frozenset(
    {"body_shape", "age", "skin_tone", "facial_features"}
)
ALTERATIONS: frozenset[str] = STYLING_ALTERATIONS | IDENTITY_ALTERATIONS

CONTENT_TAGS: frozenset[str] = frozenset(
    {
        "nudity", "lingerie", "swimwear", "alcohol", "tobacco", "political", "religious",
        "weapons", "gambling", "drugs", "adult",
    }
)

REPRESENTATION: frozenset[str] = frozenset({"counsel", "union", "none"})

TERRITORIES: frozenset[str] = ISO_3166_ALPHA2


def case_hint(unknown: Sequence[str], allowed: frozenset[str]) -> str:
    """``" (codes are upper case: 'SE')"`` when an unknown code is a known one in the
    wrong case (country codes are upper case, channels lower case); else empty."""
    fixed = [c for u in unknown for c in (u.upper(), u.lower()) if c != u and c in allowed]
    if not fixed:
        return ""
    case = "upper" if all(c.isupper() for c in fixed) else "lower"
    return f" (codes are {case} case: {', '.join(map(repr, fixed))})"


def check_codes(
    field: str, values: list[str], allowed: frozenset[str], *, wildcard: bool = False
) -> list[str]:
    """Validate a list of codes; ``["*"]`` alone means all when ``wildcard``. Returns the list."""
    if wildcard and WILDCARD in values:
        if values != [WILDCARD]:
            raise ValueError(f"{field}: '*' must stand alone, got {values}")
        return values
    unknown = sorted(set(values) - allowed)
    if unknown:
        hint = "" if len(allowed) > 40 else f"; known: {', '.join(sorted(allowed))}"
        raise ValueError(f"{field}: unknown code(s) {', '.join(map(repr, unknown))}"
                         f"{case_hint(unknown, allowed)}{hint}")
    if len(set(values)) != len(values):
        raise ValueError(f"{field}: duplicate codes in {values}")
    return values


def codes_of(field: str, allowed: frozenset[str]) -> AfterValidator:
    """A model field's check (``Annotated[list[str], codes_of(...)]``): ``check_codes`` on
    the field's sequence of codes, which it keeps as given."""

    def check(values: Sequence[str]) -> Sequence[str]:
        check_codes(field, list(values), allowed)
        return values

    return AfterValidator(check)


ALTERATION_CODES = codes_of("alterations", ALTERATIONS)
CONTENT_TAG_CODES = codes_of("content_tags", CONTENT_TAGS)


def covers(granted: list[str], value: str) -> bool:
    """True when a granted list (possibly ``["*"]``) includes ``value``."""
    return granted == [WILDCARD] or value in granted


def covers_all(granted: list[str], requested: list[str]) -> bool:
    if granted == [WILDCARD]:
        return True
    if requested == [WILDCARD]:
        return False
    return set(requested) <= set(granted)
