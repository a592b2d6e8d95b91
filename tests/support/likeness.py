"""A likeness review on top of the two-tenant world (``tests.support.world``), for the API
and portal tests: "First Face", a talent of tenant A's agency with a talent user, enrols
with PERSON's face; "Second Face", a talent of tenant B's agency, brings PERSON's face too,
so that her set goes to review with First Face's twin as the one candidate (the world's
own twins have a template far from PERSON's).

The perception is replaced by a table of capture reports keyed by the photos' bytes; the
photos themselves are small drawn figures (real PNGs, so that the portal can show them).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from tests.support.world import PASSWORD, World
from twinstudio.domain.accounts import Role
from twinstudio.domain.capture import CaptureReport
from twinstudio.domain.consent import BiometricReleaseDocument
from twinstudio.services.accounts import add_user, create_api_key
from twinstudio.services.parties import add_talent
from twinstudio.services.rights import grant_biometric_release

_rng = np.random.default_rng(14)
PERSON = _rng.normal(0, 0.09, 128)
VIEWS = ("front", "three_quarter", "three_quarter")
FIRST_EMAIL = "first-face@example.com"


class TableChecks:
    """CaptureChecks that answer from a table of reports (the photos' bytes as keys)."""

    def __init__(self) -> None:
        self.table: dict[bytes, CaptureReport] = {}

    def check(self, data: bytes) -> CaptureReport:
        return self.table[data]

    def check_many(self, photos):
        return [self.check(data) for data in photos]


def figure(seed: int, view: str) -> bytes:
    """A 240x320 PNG of a drawn figure on a studio backdrop (turned for three-quarter)."""
    rng = np.random.default_rng(seed)
    back = tuple(int(v) for v in rng.integers(150, 215, 3))
    image = Image.new("RGB", (240, 320), back)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 250, 240, 320), fill=tuple(max(0, c - 35) for c in back))
    shift = 0 if view == "front" else int(rng.choice([-14, 14]))
    cx = 120 + shift
    skin = (224, 184, 150) if seed % 2 else (176, 128, 96)
    top = tuple(int(v) for v in rng.integers(30, 160, 3))
    draw.rectangle((cx - 34, 118, cx + 34, 216), fill=top)                   # top
    draw.rectangle((cx - 30, 214, cx - 4, 300), fill=(48, 52, 64))            # legs
    draw.rectangle((cx + 4, 214, cx + 30, 300), fill=(48, 52, 64))
    draw.rectangle((cx - 48, 124, cx - 36, 200), fill=skin)                   # arms
    draw.rectangle((cx + 36, 124, cx + 48, 200), fill=skin)
    draw.rectangle((cx - 8, 98, cx + 8, 120), fill=skin)                      # neck
    draw.ellipse((cx - 26 + shift // 3, 44, cx + 26 + shift // 3, 104), fill=skin)
    draw.ellipse((cx - 28 + shift // 3, 38, cx + 28 + shift // 3, 70), fill=(60, 40, 30))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def capture_set(checks: TableChecks, embedding: np.ndarray, tag: str,
                seed: int) -> list[tuple[str, bytes]]:
    """Three full-body photos (a front and two three-quarter views) of ``embedding``."""
    photos = []
    for i, view in enumerate(VIEWS):
        data = figure(seed + i, view)
        checks.table[data] = CaptureReport(
            True, view=view, framing="full_body", width=240, height=320,  # type: ignore[arg-type]
            face_box=(90, 40, 150, 104),
            embedding=tuple(embedding + _rng.normal(0, 0.01, 128)),
            keypoints={"nose": (120.0, 80.0, 1.0)})
        photos.append((f"{tag}-{view}-{i}.png", data))
    return photos


@dataclass
class Lookalikes:
    first_talent: str
    first_twin: str
    first_key: str          # First Face's talent user's API key
    second_talent: str
    second_twin: str
    second_photos: list[tuple[str, bytes]]
    checks: TableChecks


def _released_talent(world: World, name: str, agency_id: str) -> tuple[str, str]:
    talent, twin = add_talent(world.ctx, name=name, agency_id=agency_id)
    grant_biometric_release(world.ctx, talent_id=talent.id, document=BiometricReleaseDocument(
        purpose="Face template to check the identity of generated images",
        retention_days=365, written_release=True, explicit_consent=True, language="en"))
    return talent.id, twin.id


def lookalikes(world: World) -> Lookalikes:
    """First Face enrolled; Second Face ready to enrol (her photos in ``second_photos``)."""
    from twinstudio.services.enrolment import enrol_twin

    checks = TableChecks()
    world.ctx.captures = checks
    first_talent, first_twin = _released_talent(world, "First Face", world.a.agency)
    user = add_user(world.ctx, email=FIRST_EMAIL, name="First Face", role=Role.TALENT,
                    password=PASSWORD, talent_id=first_talent)
    key = create_api_key(world.ctx, user_id=user.id, name="tests").secret
    enrolled = enrol_twin(world.ctx, talent_id=first_talent,
                          photos=capture_set(checks, PERSON, "first", 100), actor="test")
    assert enrolled.enrolled, enrolled.as_dict()
    second_talent, second_twin = _released_talent(world, "Second Face", world.b.agency)
    return Lookalikes(first_talent, first_twin, key, second_talent, second_twin,
                      capture_set(checks, PERSON, "second", 200), checks)


def open_review(world: World, look: Lookalikes) -> str:
    """Second Face's set enrolled through the service: the id of the review it opens."""
    from twinstudio.services.enrolment import enrol_twin

    result = enrol_twin(world.ctx, talent_id=look.second_talent, photos=look.second_photos,
                        actor="test")
    assert result.status == "in_review" and result.review_id, result.as_dict()
    return result.review_id
