"""Small shared domain helpers: ids, UTC time, canonical JSON, hashing."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from twinstudio.domain.errors import InvalidInput

# A record read back from the store is validated with this context: rules that apply to
# new input (names it no longer has, text rules of ``domain.text``) do not hide it.
STORED = {"stored": True}


def new_id(prefix: str) -> str:
    """A readable, collision-free id such as ``tal_3f9c...`` (prefix names the kind)."""
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def with_article(noun: str) -> str:
    """``noun`` with its indefinite article: "a brand", "an agency", "an admin"."""
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def utcnow() -> datetime:
    return datetime.now(UTC)


def ensure_utc(moment: datetime) -> datetime:
    """Refuse naive datetimes: every time in twinstudio is timezone-aware UTC."""
    if moment.tzinfo is None:
        raise InvalidInput("naive datetime given; twinstudio needs timezone-aware UTC times")
    return moment.astimezone(UTC)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return ensure_utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces, UTF-8) used for every hash and signature."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_hex_colour(value: str, field: str = "colour") -> str:
    """A colour such as '#aa3344' (lower-cased), or a ValueError naming ``field``."""
    if not _HEX_COLOUR.match(value):
        raise ValueError(f"{field} must be a colour such as '#aa3344', got {value!r}")
    return value.lower()


def size_text(size: int) -> str:
    """A size limit as people say it: 64 MB, 1 MB, 64 KB, 500 bytes (binary units)."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
