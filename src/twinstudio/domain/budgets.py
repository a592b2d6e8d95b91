"""Pixel budgets: how much image each kind of job may cost (issue 19).

An image's bytes say little about its cost: a 47 KB PNG can declare 7000x7000 pixels of
zeros, and analysing that at full resolution took 160 s of CPU and 9.4 GB of memory. So
every image is judged by the pixels it declares, before it is decoded, against the
budget of what is done with it:

- ``MAX_PIXELS`` at the edge: no image over 50 megapixels is decoded at all;
- ``ANALYSIS_SIDE``: images that are only *analysed* (verified, enrolment photos, the
  references a job reads) are decoded reduced, to at most 2048 px on the longer side
  (JPEG through its DCT scaling, others reduced before they become an array), which is
  more than the face, pose, watermark and fingerprint analyses need;
- ``MAX_KEPT_PIXELS``: images that are *kept* and used again at their size (garment
  packshots and patterns, the retouched image an asset edit stores) are refused over 16
  megapixels.

Every refusal of an image has a code (``IMAGE_REFUSALS``), so that a client can tell a
decompression bomb from a truncated file.
"""

from __future__ import annotations

MAX_BYTES = 60 * 1024 * 1024        # an encoded image, at the edge
MAX_PIXELS = 50_000_000             # declared pixels of any image decoded at all
ANALYSIS_SIDE = 2048                # longer side of the copy verify and enrolment analyse
MAX_KEPT_PIXELS = 16_000_000        # packshots, patterns, edits: kept at their size
MIN_SIDE = 16                       # shorter side of any image

# the codes of InvalidInput refusals of an image
TOO_MANY_BYTES = "too_many_bytes"
TOO_MANY_PIXELS = "too_many_pixels"
DECOMPRESSION_BOMB = "decompression_bomb"
NOT_AN_IMAGE = "not_an_image"
UNDECODABLE = "undecodable"
TOO_SMALL = "too_small"
TRANSPARENT = "transparent"
IMAGE_REFUSALS = (TOO_MANY_BYTES, TOO_MANY_PIXELS, DECOMPRESSION_BOMB, NOT_AN_IMAGE,
                  UNDECODABLE, TOO_SMALL, TRANSPARENT)


def reduced_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """The size an image of ``width`` x ``height`` is analysed at: itself when its longer
    side fits ``max_side`` (or there is no limit), else scaled down to fit, the aspect
    ratio kept (each side at least 1 px)."""
    longest = max(width, height)
    if max_side is None or longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def pixels_over(width: int, height: int, limit: int) -> bool:
    """Whether an image of that size declares more pixels than ``limit``."""
    return width * height > limit
