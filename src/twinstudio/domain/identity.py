"""The identity rule: when two face embeddings show the same person.

dlib's 128-D face embedding (the perception adapter) was trained so that two photos of
one person lie closer than 0.6 (Euclidean distance); that threshold decides everywhere a
face is compared with a face or a template: enrolment (one person per capture set, one
template per person), ``match``, ``verify``'s face signal and the identity QA gate.
Pure: embeddings are any sequences of floats (numpy arrays included).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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
