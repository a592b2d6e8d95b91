"""What a capture check says of one enrolment photo (the perception adapter checks;
enrolment decides). Pure data: the face embedding and body keypoints as plain numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

View = Literal["front", "three_quarter", "side", "back"]
Framing = Literal["full_body", "close_up"]


@dataclass
class CaptureReport:
    """``ok`` only when every check passed; each failed check is a reason (code, message).

    ``embedding`` is the face's identity embedding (front and three-quarter views only: a
    face found in profile gives no comparable embedding); ``framing`` says whether the
    photo shows the full body or is a close-up (head and shoulders); ``keypoints`` maps a
    body landmark to (x px, y px, visibility), for full-body photos only."""

    ok: bool
    reasons: list[dict[str, str]] = field(default_factory=list)
    view: View | None = None
    framing: Framing | None = None
    width: int = 0
    height: int = 0
    sharpness: float | None = None
    brightness: float | None = None
    face_box: tuple[int, int, int, int] | None = None   # left, top, right, bottom
    embedding: tuple[float, ...] | None = None
    keypoints: dict[str, tuple[float, float, float]] | None = None

    @property
    def face_height(self) -> int | None:
        return None if self.face_box is None else self.face_box[3] - self.face_box[1]

    def fail(self, code: str, message: str) -> None:
        self.ok = False
        self.reasons.append({"code": code, "message": message})

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "reasons": self.reasons, "view": self.view,
                "framing": self.framing,
                "size": [self.width, self.height],
                "sharpness": None if self.sharpness is None else round(self.sharpness, 1),
                "brightness": None if self.brightness is None else round(self.brightness, 1),
                "face_height": self.face_height}
