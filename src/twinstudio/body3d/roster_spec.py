"""Who is in the synthetic roster: deterministic, diverse, plausible adults (pure Python).

No photo of a real person exists on these machines and none may be used without consent,
so the demo and the tests use synthetic people. For a seed the roster is always the same.
Every Monk Skin Tone step appears once the roster has ten people or more; sexes alternate;
ages span 18–60; builds range from slim to plus size (fashion now books all of them).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from twinstudio.domain.body import Appearance, BodyMeasurements, BodyProfile, Sex

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
    for index in range(count):
        sex = Sex.FEMALE if index % 2 == 0 else Sex.MALE
        build = rng.choice(list(_BUILDS[sex]))
        while True:
            name = f"{rng.choice(_FIRST[sex])} {rng.choice(_LAST)}"
            if name not in names:
                names.add(name)
                break
        profile = BodyProfile(
            sex=sex, age=rng.randint(18, 60), measurements=_measurements(rng, sex, build),
            appearance=Appearance(skin_tone=tones[index], hair_color=rng.choice(_HAIR),
                                  eye_color=rng.choice(_EYES)))
        people.append(RosterPerson(index, name, build, profile))
    return people
