"""The identity rule: when two face embeddings show the same person.

dlib's 128-D face embedding (the perception adapter) was trained so that two photos of
one person lie closer than 0.6 (Euclidean distance); that threshold decides everywhere a
face is compared with a face or a template: enrolment (each photo against the set's
front template; a template near another twin's goes to a likeness review), ``match``,
``verify``'s face signal and the identity QA gate. Look-alikes (twins a compliance user
decided are different people although their templates are within the threshold) make an
answer ambiguous instead of naming one of them (``identify``).
Pure: embeddings are any sequences of floats (numpy arrays included).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

IDENTITY_THRESHOLD = 0.6  # dlib's trained same-person distance
# A face this much closer than the threshold is a strong likeness (verify's confidence).
STRONG_LIKENESS = 0.45

Embedding = Sequence[float]


def face_distance(a: Embedding, b: Embedding) -> float:
    """Euclidean distance between two embeddings of the same length."""
    if len(a) != len(b):
        raise ValueError(f"embeddings of different lengths ({len(a)} and {len(b)})")
    return math.dist([float(x) for x in a], [float(x) for x in b])


def same_person(a: Embedding, b: Embedding, threshold: float = IDENTITY_THRESHOLD) -> bool:
    return face_distance(a, b) < threshold


def mean_embedding(embeddings: Sequence[Embedding]) -> list[float]:
    """The template of a set: the mean of its embeddings."""
    if not embeddings:
        raise ValueError("no embeddings to average")
    return [math.fsum(float(e[i]) for e in embeddings) / len(embeddings)
            for i in range(len(embeddings[0]))]


def outliers(embeddings: Sequence[Embedding], threshold: float = IDENTITY_THRESHOLD
             ) -> list[int]:
    """Indices of the embeddings that are not the same person as at least half of the
    others (the set's majority decides who the set shows)."""
    out = []
    for i, a in enumerate(embeddings):
        close = sum(same_person(a, b, threshold) for j, b in enumerate(embeddings) if j != i)
        if close < (len(embeddings) - 1) / 2:
            out.append(i)
    return out


@dataclass(frozen=True)
class IdentityMatch:
    """A template within the threshold of a face."""

    twin_id: str
    distance: float


def nearest_templates(embedding: Embedding, templates: Mapping[str, Embedding], *,
                      threshold: float = IDENTITY_THRESHOLD,
                      exclude: Iterable[str] = ()) -> list[IdentityMatch]:
    """Every template (twin id -> mean embedding) closer than ``threshold``, closest
    first; ``exclude`` leaves out twins (e.g. the twin being enrolled)."""
    skip = set(exclude)
    found = [IdentityMatch(twin_id, face_distance(embedding, template))
             for twin_id, template in templates.items() if twin_id not in skip]
    return sorted((m for m in found if m.distance < threshold), key=lambda m: m.distance)


@dataclass(frozen=True)
class SetJudgement:
    """How a capture set's faces relate to its front views: ``template`` is the front
    template (None when no front agrees with the set's majority: the set shows no one
    person), ``distances`` each photo's distance to it, ``odd`` the photos that are not
    its person."""

    template: list[float] | None
    distances: list[float]
    odd: list[int]


def judge_set(embeddings: Sequence[Embedding], fronts: Sequence[bool],
              threshold: float = IDENTITY_THRESHOLD) -> SetJudgement:
    """Who a capture set shows: the person of its front views. The front template is the
    mean of the fronts that agree with the set's majority (``outliers``), and a photo
    shows the set's person when it is within the threshold of that template. Left and
    right three-quarter views can be far from each other and still each be close to the
    front, so a real session keeps them. ``fronts`` flags the front views (one at least)."""
    front = [i for i, is_front in enumerate(fronts) if is_front]
    if not front:
        raise ValueError("a front view is needed to judge a set")
    odd_majority = set(outliers(embeddings, threshold))
    reference = [i for i in front if i not in odd_majority]
    if not reference:
        return SetJudgement(None, [], front)
    template = mean_embedding([embeddings[i] for i in reference])
    distances = [face_distance(e, template) for e in embeddings]
    return SetJudgement(template, distances,
                        [i for i, d in enumerate(distances) if not d < threshold])


@dataclass(frozen=True)
class Identification:
    """Who a face is: every template within the threshold (closest first), the margin
    between the closest and the next template (any distance), and whether the answer is
    ambiguous: the closest two are recorded look-alikes, so neither is named."""

    candidates: list[IdentityMatch]
    margin: float | None
    ambiguous: bool
    lookalikes: list[str] = field(default_factory=list)  # the look-alikes that made it so

    @property
    def twin_id(self) -> str | None:
        """The twin named, or None (nobody within the threshold, or ambiguous)."""
        return None if self.ambiguous or not self.candidates else self.candidates[0].twin_id


def identify(embedding: Embedding, templates: Mapping[str, Embedding], *,
             lookalikes: Iterable[tuple[str, str]] = (),
             threshold: float = IDENTITY_THRESHOLD) -> Identification:
    """``embedding`` against every template: within the threshold, closest first; when
    the closest and the second closest are look-alikes of each other (and both within
    the threshold) the answer is ambiguous."""
    ranked = sorted((IdentityMatch(twin_id, face_distance(embedding, template))
                     for twin_id, template in templates.items()), key=lambda m: m.distance)
    within = [m for m in ranked if m.distance < threshold]
    margin = ranked[1].distance - ranked[0].distance if len(ranked) > 1 else None
    pairs = {frozenset(pair) for pair in lookalikes}
    ambiguous = (len(within) > 1
                 and frozenset((within[0].twin_id, within[1].twin_id)) in pairs)
    alike = [m.twin_id for m in within[1:]
             if frozenset((within[0].twin_id, m.twin_id)) in pairs] if ambiguous else []
    return Identification(within, margin, ambiguous, alike)
