"""Who is in the synthetic roster: deterministic, diverse, plausible adults (pure Python).

No photo of a real person exists on these machines and none may be used without consent,
so the demo and the tests use synthetic people. For a seed the roster is always the same.
Every Monk Skin Tone step appears once the roster has ten people or more; sexes alternate;
ages span 18–60; builds range from slim to plus size (fashion now books all of them).

Faces: each person gets face features of the body model (eyes, brows, nose, mouth, cheeks,
chin), drawn from their own random stream so that names and measurements do not depend on
them, and lips, brows, irises, hairline, eyeliner and beards of their own. Of a few
candidate faces the one farthest from everyone drawn before is kept, which keeps the
roster's faces apart for dlib's face embedding (``bench/enrol.py`` prints the distances).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from twinstudio.body3d.model import FACE_FEATURES, HEAD_SIZE_FEATURES
from twinstudio.domain.body import (
    MONK_SKIN_TONES,
    Appearance,
    BodyMeasurements,
    BodyProfile,
    Sex,
)

_FIRST = {
    Sex.FEMALE: ["Aiko", "Amara", "Anouk", "Beatriz", "Chiamaka", "Dalia", "Elin", "Fatou",
                 "Ines", "Jiwoo", "Kalani", "Leilani", "Maren", "Nadia", "Oona", "Priya",
                 "Rania", "Saoirse", "Tove", "Yara", "Zainab", "Mireille", "Lucía", "Hana"],
    Sex.MALE: ["Aarav", "Bjorn", "Caio", "Dmitri", "Emeka", "Farid", "Goran", "Hiro",
               "Idris", "Jonas", "Kofi", "Lars", "Mateo", "Nikhil", "Omar", "Pavel",
               "Rafael", "Santiago", "Tariq", "Wei", "Yusuf", "Koa", "Malik", "Theo"],
}
_LAST = ["Abebe", "Bergström", "Castillo", "Dubois", "Eze", "Fischer", "García", "Haddad",
         "Ito", "Jensen", "Kowalczyk", "Lindqvist", "Mensah", "Nakamura", "Okoro", "Petrov",
         "Quispe", "Rossi", "Silva", "Tanaka", "Usman", "Varga", "Wójcik", "Yilmaz", "Zhou"]

# (bust/chest, waist, hips) in cm at a reference height, per build.
_BUILDS = {
    Sex.FEMALE: {"slim": (82, 61, 88), "regular": (88, 69, 95), "curvy": (97, 74, 105),
                 "plus": (110, 93, 118)},
    Sex.MALE: {"slim": (90, 74, 90), "regular": (98, 83, 97), "athletic": (106, 81, 99),
               "plus": (118, 104, 112)},
}
_REFERENCE_HEIGHT = {Sex.FEMALE: 174.0, Sex.MALE: 184.0}
_HAIR = ["#1b1410", "#2b1d14", "#4a2f1b", "#6b4423", "#a0683a", "#c9a063", "#8a8a8a",
         "#b5522e"]
_EYES = ["#3b2a1e", "#4a3222", "#5b4a2f", "#3f5b6b", "#4f6b3c", "#6b8aa3"]


# Spread of the face features (standard deviation, clipped) and candidates per person.
FACE_SPREAD = 0.6
FACE_LIMIT = 0.9
FACE_CANDIDATES = 8


ROSTER_FACE_FEATURES = [name for name in FACE_FEATURES if name not in HEAD_SIZE_FEATURES]


def _face_candidate(rng: random.Random) -> dict[str, float]:
    return {name: round(max(-FACE_LIMIT, min(FACE_LIMIT, rng.gauss(0.0, FACE_SPREAD))), 3)
            for name in ROSTER_FACE_FEATURES}


def sample_faces(count: int, seed: int) -> list[dict[str, float]]:
    """``count`` faces (feature weights), each the farthest of a few candidates from the
    faces already drawn; the same for the same seed."""
    rng = random.Random(f"twinstudio-faces-{seed}")
    chosen: list[dict[str, float]] = []
    for _ in range(count):
        candidates = [_face_candidate(rng) for _ in range(FACE_CANDIDATES)]
        chosen.append(max(candidates, key=lambda c: min(
            (math.dist(list(c.values()), list(f.values())) for f in chosen), default=0.0)))
    return chosen


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def _looks(rng: random.Random, sex: Sex, skin_tone: int, hair: str) -> dict[str, object]:
    """Lips, brows (colour, thickness, length, arch, tilt), irises, hairline, eyeliner and
    beards of each person's own."""
    skin = [int(MONK_SKIN_TONES[skin_tone][i:i + 2], 16) for i in (1, 3, 5)]
    lip = (skin[0] * rng.uniform(0.72, 0.92), skin[1] * rng.uniform(0.5, 0.7),
           skin[2] * rng.uniform(0.5, 0.72))
    darker = rng.uniform(0.55, 0.95)
    brow = tuple(int(hair[i:i + 2], 16) * darker for i in (1, 3, 5))
    return {"lip_color": _hex(lip), "brow_color": _hex(brow),  # type: ignore[arg-type]
            "brow_thickness_mm": round(rng.uniform(5.0, 12.0), 1),
            "brow_length_mm": round(rng.uniform(36.0, 54.0), 1),
            "brow_arch_mm": round(rng.uniform(-1.0, 5.0), 1),
            "brow_tilt_mm": round(rng.uniform(-3.0, 4.0), 1),
            "iris_mm": round(rng.uniform(5.5, 7.5), 2),
            "hairline_mm": round(rng.uniform(45.0, 75.0), 1),
            "eyeliner": round(rng.uniform(0.0, 0.8), 2) if rng.random() < 0.6 else 0.0,
            "beard": rng.choice(["none", "stubble", "moustache", "full"])
            if sex is Sex.MALE else "none"}


@dataclass(frozen=True)
class RosterPerson:
    index: int
    name: str
    build: str
    profile: BodyProfile


def _measurements(rng: random.Random, sex: Sex, build: str) -> BodyMeasurements:
    height = rng.gauss(_REFERENCE_HEIGHT[sex], 6.0)
    height = min(max(height, 158.0 if sex is Sex.FEMALE else 168.0),
                 190.0 if sex is Sex.FEMALE else 200.0)
    scale = height / _REFERENCE_HEIGHT[sex]
    bust, waist, hips = (value * (0.6 + 0.4 * scale) + rng.gauss(0, 1.5)
                         for value in _BUILDS[sex][build])
    underbust = bust - rng.uniform(9, 15) if sex is Sex.FEMALE else None
    shoulders = rng.uniform(36, 40) if sex is Sex.FEMALE else rng.uniform(43, 48)
    return BodyMeasurements(height_cm=round(height, 1), bust_cm=round(bust, 1),
                            waist_cm=round(waist, 1), hips_cm=round(hips, 1),
                            inseam_cm=round(height * rng.uniform(0.455, 0.49), 1),
                            underbust_cm=round(underbust, 1) if underbust else None,
                            shoulder_width_cm=round(shoulders * (0.7 + 0.3 * scale), 1))


def sample_roster(count: int, seed: int) -> list[RosterPerson]:
    """``count`` synthetic people, the same for the same seed."""
    if not 1 <= count <= 500:
        raise ValueError("a roster has between 1 and 500 people")
    rng = random.Random(seed)
    tones = []
    while len(tones) < count:
        block = list(range(1, 11))
        rng.shuffle(block)
        tones += block
    people, names = [], set()
    faces = sample_faces(count, seed)
    looks = random.Random(f"twinstudio-looks-{seed}")
    for index in range(count):
        sex = Sex.FEMALE if index % 2 == 0 else Sex.MALE
        build = rng.choice(list(_BUILDS[sex]))
        while True:
            name = f"{rng.choice(_FIRST[sex])} {rng.choice(_LAST)}"
            if name not in names:
                names.add(name)
                break
        age, measurements = rng.randint(18, 60), _measurements(rng, sex, build)
        hair, eyes = rng.choice(_HAIR), rng.choice(_EYES)
        profile = BodyProfile(
            sex=sex, age=age, measurements=measurements,
            appearance=Appearance(skin_tone=tones[index], hair_color=hair, eye_color=eyes,
                                  **_looks(looks, sex, tones[index], hair)),  # type: ignore[arg-type]
            face=faces[index])
        people.append(RosterPerson(index, name, build, profile))
    return people
