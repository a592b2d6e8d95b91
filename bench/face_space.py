"""How far apart can dlib put synthetic faces? Prints figures; asserts nothing.

    TWINSTUDIO_CACHE_DIR=.cache .venv/bin/python bench/face_space.py
    TWINSTUDIO_CACHE_DIR=.cache .venv/bin/python bench/face_space.py --faces 6 --candidates 4

(the second took 25 minutes beside a test run; each face is a pose, a render and dlib).

The roster's people must be told apart by dlib's face embedding at its trained threshold
(0.6) for enrolment's likeness rule and ``match`` to work on them (issue 4). This asks how
much room the body model's face leaves: for two roster people (seed 7, of the 30-person
roster, built or reused from the cache), each with their own body, skin and appearance,
it renders ``--faces`` random faces per way of drawing them, front view at the capture
size (768x1024, as enrolment sees it), and prints the spread of dlib distances between
the faces of one person:

  * ``roster``: the roster's draw (each face feature ~ N(0, 0.6) clipped to +-0.9);
  * ``uniform``: every feature uniform in [-1, 1], the model's whole range;
  * ``extrapolated``: uniform in [-2.5, 2.5], past the range (caricatures);
  * ``ancestry``: uniform, plus anny's African/Asian/European blend drawn at random;
  * ``head size``: uniform, plus the head's width, height, fullness and forehead;
  * ``appearance only``: the roster's face kept, lips, brows, irises, hairline, eyeliner
    and beard drawn again (what the albedo can change).

Then, for every person of the roster, ``--candidates`` faces (the roster's draw) and the
greedy pick of the candidate farthest from the people picked before: the smallest and
5th-percentile distance between different people's fronts, for 1, 2, 4 and all
candidates. Pairs under 0.6 are what enrolment refuses as one likeness.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import twinstudio.demo.roster
from twinstudio.body3d.appearance import bake_maps
from twinstudio.body3d.fit import BodyFit, face_local_changes
from twinstudio.body3d.model import FACE_FEATURES, HEAD_SIZE_FEATURES
from twinstudio.body3d.poses import LIBRARY
from twinstudio.body3d.render import RasterRenderer, View
from twinstudio.body3d.twin import posed_body
from twinstudio.demo.roster_spec import (
    _EYES,
    _HAIR,
    ROSTER_FACE_FEATURES,
    _face_candidate,
    _looks,
)
from twinstudio.domain.body import Appearance, BodyProfile
from twinstudio.domain.identity import face_distance as distance
from twinstudio.perception.faces import detect_faces


def spread(values: list[float]) -> str:
    q = np.percentile(values, [0, 5, 50, 95])
    return (f"min {q[0]:.3f}  p5 {q[1]:.3f}  median {q[2]:.3f}  p95 {q[3]:.3f}  "
            f"under 0.6: {np.mean(np.array(values) < 0.6):.0%}")


class Person:
    """A built roster person whose face can be swapped without fitting again (the face
    features leave the body's measurements as they are)."""

    def __init__(self, entry: twinstudio.demo.roster.RosterEntry, renderer: RasterRenderer):
        import json

        meta = json.loads((entry.folder / "person.json").read_text())
        self.profile = BodyProfile.model_validate(meta["profile"])
        face = face_local_changes(self.profile.face)
        self.local = {k: v for k, v in meta["fit"]["local_changes"].items() if k not in face}
        self.phenotypes = meta["fit"]["phenotypes"]
        self.index = entry.index
        self.renderer = renderer
        self.maps = self._maps(self.profile.appearance, self.profile.face)

    def _fit(self, face: dict[str, float], extra: dict[str, float] | None = None,
             phenotypes: dict[str, float] | None = None) -> BodyFit:
        local = {**self.local, **face_local_changes(face), **(extra or {})}
        return BodyFit(phenotypes={**self.phenotypes, **(phenotypes or {})},
                       local_changes=local)

    def _maps(self, appearance: Appearance, face: dict[str, float]):  # type: ignore[no-untyped-def]
        return bake_maps(posed_body(self._fit(face), LIBRARY["a_pose"]), appearance,
                         seed=self.index, size=512)

    def embedding(self, face: dict[str, float], *, maps=None, extra=None,  # type: ignore[no-untyped-def]
                  phenotypes=None) -> np.ndarray | None:
        body = posed_body(self._fit(face, extra, phenotypes), LIBRARY["relaxed"])
        found = detect_faces(self.renderer.render(body, maps or self.maps, View()).rgb)
        return found[0].embedding if found else None


def pairwise(embeddings: list[np.ndarray | None]) -> list[float]:
    kept = [e for e in embeddings if e is not None]
    return [distance(a, b) for a, b in itertools.combinations(kept, 2)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", type=int, default=8)
    parser.add_argument("--candidates", type=int, default=6)
    parser.add_argument("--people", type=int, default=30)
    args = parser.parse_args()

    import tempfile

    from twinstudio.bootstrap import bootstrap
    from twinstudio.config import Settings
    from twinstudio.demo.roster import build_roster
    from twinstudio.workspace import create_workspace

    workspace = Path(tempfile.mkdtemp(prefix="bench-faces-")) / "ws"
    create_workspace(workspace)
    entries = build_roster(bootstrap(Settings(workspace=workspace)), workspace,
                           count=args.people, seed=7)
    renderer = RasterRenderer()
    started = time.perf_counter()
    sizes = list(HEAD_SIZE_FEATURES)
    for entry in entries[:2]:
        person = Person(entry, renderer)
        rng = random.Random(f"bench-faces-{entry.index}")
        uniform = [{n: rng.uniform(-1, 1) for n in ROSTER_FACE_FEATURES}
                   for _ in range(args.faces)]
        ways: dict[str, list[np.ndarray | None]] = {
            "roster": [person.embedding(_face_candidate(rng)) for _ in range(args.faces)],
            "uniform": [person.embedding(f) for f in uniform],
            "extrapolated": [person.embedding({n: 2.5 * v for n, v in f.items()})
                             for f in uniform],
        }
        ancestry = []
        for face in uniform:
            blend = np.random.default_rng(rng.randrange(2**31)).dirichlet([0.5] * 3)
            ancestry.append(person.embedding(face, phenotypes=dict(zip(
                ("african", "asian", "caucasian"), map(float, blend), strict=True))))
        ways["ancestry"] = ancestry
        ways["head size"] = [person.embedding(f, extra=face_local_changes(
            {n: rng.uniform(-1, 1) for n in sizes})) for f in uniform]
        appearance = []
        for _ in range(args.faces):
            hair = rng.choice(_HAIR)
            looks = Appearance(skin_tone=person.profile.appearance.skin_tone,
                               hair_color=hair, eye_color=rng.choice(_EYES),
                               **_looks(rng, person.profile.sex,  # type: ignore[arg-type]
                                        person.profile.appearance.skin_tone, hair))
            appearance.append(person.embedding(
                person.profile.face, maps=person._maps(looks, person.profile.face)))
        ways["appearance only"] = appearance
        print(f"{entry.name} ({person.profile.sex.value}, Monk "
              f"{person.profile.appearance.skin_tone}), {args.faces} faces each, distances "
              "between them:")
        for name, embeddings in ways.items():
            print(f"  {name:16s} {spread(pairwise(embeddings))}")

    candidates: dict[int, list[np.ndarray]] = {}
    for entry in entries:
        person = Person(entry, renderer)
        rng = random.Random(f"bench-faces-candidates-{entry.index}")
        faces = [person.profile.face] + [_face_candidate(rng)
                                         for _ in range(args.candidates - 1)]
        candidates[entry.index] = [e for e in map(person.embedding, faces) if e is not None]
    for k in sorted({1, 2, 4, args.candidates}):
        chosen: dict[int, np.ndarray] = {}
        for index, options in candidates.items():
            chosen[index] = max(options[:k], key=lambda e: min(
                (distance(e, c) for c in chosen.values()), default=0.0))
        values = pairwise(list(chosen.values()))
        print(f"greedy pick of {k} candidate(s) per person, {len(chosen)} people: "
              f"{spread(values)}; pairs under 0.6: {sum(v < 0.6 for v in values)} of "
              f"{len(values)}")
    print(f"({time.perf_counter() - started:.0f} s; features: {len(FACE_FEATURES)} of the "
          f"body model, {len(ROSTER_FACE_FEATURES)} drawn by the roster)")


if __name__ == "__main__":
    main()
