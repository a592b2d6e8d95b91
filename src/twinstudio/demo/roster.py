"""The synthetic roster: made-up people with bodies fitted to their measurements and a
capture set each (front, three-quarter left and right, side, back at 768x1024), registered
as talents marked ``synthetic``. The demo and the tests use it: no photo of a real person
exists on these machines, and none may be used without consent.

Deterministic for a seed. Bodies and captures are cached under the cache folder
(``body3d.model.default_cache_dir``) so that every workspace, and the demo after a reset,
reuses them; each workspace registers its talents once (its
``roster/manifest.json`` maps a roster person to their talent).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twinstudio.demo.roster_spec import RosterPerson, sample_roster
from twinstudio.domain.consent import BiometricReleaseDocument
from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.twin import TwinState
from twinstudio.fileio import atomic_write
from twinstudio.services.context import ServiceContext
from twinstudio.services.enrolment import EnrolmentResult, enrol_twin
from twinstudio.services.likeness import ReviewDecisionResult
from twinstudio.services.parties import add_talent
from twinstudio.services.rights import active_biometric_release, grant_biometric_release

VIEWS = {"front": 0.0, "three_quarter_left": 35.0, "three_quarter_right": -35.0,
         "side": 90.0, "back": 180.0}
CAPTURE_POSE = "relaxed"
# What a roster talent enrols: the back view shows no face, so it stays out.
ENROL_VIEWS = ("front", "three_quarter_left", "three_quarter_right", "side")
ROSTER_RELEASE = BiometricReleaseDocument(
    purpose="Face template and body keypoints of a synthetic roster talent, to check the "
            "identity of generated images and find unlicensed uses",
    retention_days=365, written_release=True, explicit_consent=True, language="en")


@dataclass
class RosterEntry:
    index: int
    name: str
    talent_id: str
    folder: Path
    captures: dict[str, Path]
    fit: dict[str, Any]


def _key(person: RosterPerson) -> str:
    text = person.profile.model_dump_json() + person.name + CAPTURE_POSE
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _png(array: np.ndarray) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(array).save(out, "PNG")
    return out.getvalue()


def build_person(person: RosterPerson, folder: Path, renderer: Any) -> dict[str, Any]:
    """Fit, bake and render one person's capture set into ``folder`` (skipped if there)."""
    from twinstudio.body3d.appearance import bake_maps
    from twinstudio.body3d.fit import fit_body
    from twinstudio.body3d.poses import LIBRARY
    from twinstudio.body3d.render import View
    from twinstudio.body3d.twin import posed_body

    meta_path = folder / "person.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    fitted = fit_body(person.profile)
    maps = bake_maps(posed_body(fitted, LIBRARY["a_pose"]), person.profile.appearance,
                     seed=person.index)
    body = posed_body(fitted, LIBRARY[CAPTURE_POSE])
    keypoints = {}
    for view_name, yaw in VIEWS.items():
        result = renderer.render(body, maps, View(yaw_degrees=yaw))
        atomic_write(folder / f"{view_name}.png", _png(result.rgb))
        atomic_write(folder / f"{view_name}-mask.png",
                     _png((result.mask * 255).astype(np.uint8)))
        keypoints[view_name] = result.keypoints
    meta = {"index": person.index, "name": person.name, "build": person.build,
            "profile": person.profile.model_dump(mode="json"), "fit": fitted.as_dict(),
            "pose": CAPTURE_POSE, "keypoints": keypoints}
    atomic_write(meta_path, json.dumps(meta, indent=1).encode())
    return meta


RENDERERS = ("raster", "cycles")


def _folder(cache_root: Path, person: RosterPerson, renderer: str) -> Path:
    """Where one person's capture set is cached."""
    return cache_root / "roster" / f"{_key(person)}-{renderer}"


def _check_renderer(name: str) -> None:
    if name not in RENDERERS:
        raise InvalidInput(f"renderer must be raster or cycles, got {name!r}")


def _renderer(name: str) -> Any:
    _check_renderer(name)
    if name == "raster":
        from twinstudio.body3d.render import RasterRenderer

        return RasterRenderer()
    from twinstudio.body3d.render_cycles import CyclesRenderer

    return CyclesRenderer("preview")


_WORKER_RENDERER: Any = None


def _share_cores(threads: int) -> None:
    """A pool process's initializer: its share of the cores for PyTorch's and Mesa
    llvmpipe's thread pools (each would otherwise take every core, and the processes
    would contend for them)."""
    os.environ["LP_NUM_THREADS"] = str(threads)
    from twinstudio.body3d.model import body_model

    body_model()
    import torch

    torch.set_num_threads(threads)


def _build_in_worker(person: RosterPerson, folder: Path, renderer: str) -> str:
    """A pool process's job: build one person (its renderer and body model load once)."""
    global _WORKER_RENDERER
    if _WORKER_RENDERER is None:
        _WORKER_RENDERER = _renderer(renderer)
    build_person(person, folder, _WORKER_RENDERER)
    return person.name


def default_build_workers() -> int:
    """Processes that build the roster's missing people: one per core, at most 4 (each
    holds the body model, about 1 GB)."""
    return max(1, min(os.cpu_count() or 1, 4))


def _build_missing(people: list[RosterPerson], folders: list[Path], renderer: str,
                   workers: int, progress: Callable[[int, int, str], None] | None) -> None:
    """Build the people whose capture sets are not cached yet, in ``workers`` processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    missing = [(p, f) for p, f in zip(people, folders, strict=True)
               if not (f / "person.json").exists()]
    if len(missing) < 2 or workers < 2:
        return
    done = len(people) - len(missing)
    workers = min(workers, len(missing))
    threads = max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_share_cores, initargs=(threads,)) as pool:
        futures = [pool.submit(_build_in_worker, p, f, renderer) for p, f in missing]
        for future in as_completed(futures):
            name = future.result()
            done += 1
            if progress:
                progress(done, len(people), f"built {name}")


def build_roster(ctx: ServiceContext, workspace: Path, *, count: int, seed: int,
                 renderer: str = "raster", cache_dir: Path | None = None,
                 agency_for: Callable[[int], str | None] | None = None,
                 progress: Callable[[int, int, str], None] | None = None,
                 indices: list[int] | None = None,
                 workers: int | None = None) -> list[RosterEntry]:
    """Build (or reuse) the roster and register each person as a synthetic talent.

    ``renderer`` is ``raster`` (default, about a second a view) or ``cycles`` (the
    physically based preview, about half a minute a view on these CPUs). ``indices``
    builds only those people of the roster of ``count`` (the same people as in the
    whole roster). People not cached yet are built in ``workers`` processes (default:
    ``default_build_workers()``); talents are registered in this process, in order."""
    from twinstudio.body3d.model import default_cache_dir

    _check_renderer(renderer)
    engine: Any = None   # loaded only when this process builds someone itself
    cache_root = cache_dir or default_cache_dir()
    manifest_path = workspace / "roster" / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    people = sample_roster(count, seed)
    if indices is not None:
        if not all(0 <= i < count for i in indices):
            raise InvalidInput(f"roster indices must be between 0 and {count - 1}")
        people = [people[i] for i in indices]
    folders = [_folder(cache_root, person, renderer) for person in people]
    _build_missing(people, folders, renderer,
                   default_build_workers() if workers is None else workers, progress)
    entries = []
    for done, (person, folder) in enumerate(zip(people, folders, strict=True)):
        if progress:
            progress(done, len(people), person.name)
        key = _key(person)
        if engine is None and not (folder / "person.json").exists():
            engine = _renderer(renderer)
        meta = build_person(person, folder, engine)
        talent_id = manifest.get(key)
        if talent_id is None:
            agency = agency_for(person.index) if agency_for else None
            talent, _ = add_talent(ctx, name=person.name, language="en", synthetic=True,
                                   agency_id=agency, actor="roster")
            talent_id = manifest[key] = talent.id
            atomic_write(manifest_path, json.dumps(manifest, indent=1).encode())
        _record_body(ctx, talent_id, meta)
        entries.append(RosterEntry(person.index, person.name, talent_id, folder,
                                   {v: folder / f"{v}.png" for v in VIEWS}, meta["fit"]))
    if progress:
        progress(len(people), len(people), "done")
    return entries


@dataclass(frozen=True)
class SamplePhotos:
    """One roster person's capture photos, copied out for a user to enrol."""

    index: int
    name: str
    photos: list[Path]
    profile: dict[str, Any]      # the body profile document the captures were made from


def sample_photos(out: Path, *, index: int = 0, count: int = 30, seed: int = 7,
                  cache_dir: Path | None = None) -> SamplePhotos:
    """Copy roster person ``index``'s enrolment views (front, three-quarter left and right,
    side; built once and cached) into ``out``, with nothing registered in any workspace:
    sample photos for a walk-through of ``twin enrol``."""
    import shutil

    from twinstudio.body3d.model import default_cache_dir

    if not 0 <= index < count:
        raise InvalidInput(f"--index must be between 0 and {count - 1}, got {index}")
    person = sample_roster(count, seed)[index]
    folder = _folder(cache_dir or default_cache_dir(), person, "raster")
    meta = build_person(person, folder, None if (folder / "person.json").exists()
                        else _renderer("raster"))
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"{out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    photos = []
    for view in ENROL_VIEWS:
        target = out / f"{view}.png"
        shutil.copyfile(folder / f"{view}.png", target)
        photos.append(target)
    return SamplePhotos(person.index, person.name, photos, meta["profile"])


def _record_body(ctx: ServiceContext, talent_id: str, meta: dict[str, Any]) -> None:
    """Give the talent's twin its body twin (profile, fit and the appearance seed the
    captures were baked with), once."""
    from twinstudio.services.bodies import set_twin_body

    with ctx.uow() as uow:
        twin = uow.twins.get_by_talent(talent_id)
        if uow.bodies.has(twin.id):
            return
    fit = {"phenotypes": meta["fit"]["phenotypes"],
           "local_changes": meta["fit"]["local_changes"], "maps_seed": meta["index"]}
    set_twin_body(ctx, twin_id=twin.id, profile=meta["profile"], fit=fit, actor="roster")


# Why the roster's look-alikes are different people: they were generated as such. The
# decision is a compliance user's (audited, with this reason), as for any real roster.
ROSTER_DISTINCT_REASON = ("synthetic roster: generated as distinct people (separate body "
                          "and face parameters); the face recogniser, trained on real faces, "
                          "puts many synthetic faces under its threshold")


@dataclass
class RosterEnrolment:
    """What enrolling one roster talent did: the enrolment (None when the twin was no
    longer enrolling) and the likeness review decided on the way, if there was one."""

    entry: RosterEntry
    result: EnrolmentResult | None
    review: ReviewDecisionResult | None = None

    @property
    def enrolled(self) -> bool:
        return self.result is None or self.result.enrolled or (
            self.review is not None and self.review.twin_state is TwinState.ACTIVE)


def enrol_roster(ctx: ServiceContext, entries: list[RosterEntry], *, actor: str = "roster",
                 reviewer: str | None = None,
                 progress: Callable[[int, int, str], None] | None = None,
                 ) -> list[RosterEnrolment]:
    """Enrol each roster talent through ``enrol_twin``, the path of ``twinstudio twin
    enrol``: a biometric release is recorded first for a talent without one, then the
    capture set (``ENROL_VIEWS``) is checked and the twin enrolled, sent to a likeness
    review or refused with reasons. With ``reviewer`` (a compliance user's id), a review
    is decided ``distinct`` by that user with ``ROSTER_DISTINCT_REASON``; without, it stays
    pending. A twin that is no longer enrolling is left as it is (``result`` None); a
    refusal is returned, not raised, so the caller decides."""
    from twinstudio.domain.likeness import ReviewDecision
    from twinstudio.services.likeness import decide_review

    results: list[RosterEnrolment] = []
    for done, entry in enumerate(entries):
        if progress:
            progress(done, len(entries), entry.name)
        with ctx.uow() as uow:
            twin = uow.twins.get_by_talent(entry.talent_id)
            release = active_biometric_release(uow, entry.talent_id)
        if twin.state is not TwinState.ENROLLING:
            results.append(RosterEnrolment(entry, None))
            continue
        if release is None:
            grant_biometric_release(ctx, talent_id=entry.talent_id, document=ROSTER_RELEASE)
        photos = [(f"{view}.png", entry.captures[view].read_bytes()) for view in ENROL_VIEWS]
        result = enrol_twin(ctx, talent_id=entry.talent_id, photos=photos, actor=actor)
        done_review = None
        if result.review_id and reviewer:
            done_review = decide_review(ctx, result.review_id, decision=ReviewDecision.DISTINCT,
                                        reason=ROSTER_DISTINCT_REASON, actor=reviewer)
        results.append(RosterEnrolment(entry, result, done_review))
    if progress:
        progress(len(entries), len(entries), "done")
    return results


def require_face_templates(ctx: ServiceContext, enrolments: list[RosterEnrolment]) -> None:
    """Fail loudly when a roster twin ended without an enrolled face template (each
    person named with the reason enrolment gave)."""
    from twinstudio.domain.errors import IntegrityError
    from twinstudio.services.biometrics import enrolled_face_templates

    enrolled = set(enrolled_face_templates(ctx))
    with ctx.uow() as uow:
        twin_of = {e.entry.talent_id: uow.twins.get_by_talent(e.entry.talent_id).id
                   for e in enrolments}
    missing = [e for e in enrolments if twin_of[e.entry.talent_id] not in enrolled]
    if missing:
        lines = "; ".join(
            f"{e.entry.name}: " + (", ".join(r["message"] for r in e.result.reasons)
                                   if e.result and e.result.reasons else "no face template")
            for e in missing)
        raise IntegrityError(f"{len(missing)} of {len(enrolments)} roster twins have no face "
                             f"template: {lines}")


def contact_sheet(entries: list[RosterEntry], out: Path, *, columns: int = 6,
                  tile: tuple[int, int] = (192, 256)) -> Path:
    """A grid of front captures with each person's name, for looking at the roster."""
    import io

    from matplotlib import get_data_path
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(Path(get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"),
                              13)
    rows = (len(entries) + columns - 1) // columns
    label = 22
    sheet = Image.new("RGB", (columns * tile[0], rows * (tile[1] + label)), (250, 250, 250))
    draw = ImageDraw.Draw(sheet)
    for i, entry in enumerate(entries):
        x, y = (i % columns) * tile[0], (i // columns) * (tile[1] + label)
        image = Image.open(entry.captures["front"]).convert("RGB").resize(tile)
        sheet.paste(image, (x, y))
        draw.text((x + 4, y + tile[1] + 3), entry.name, fill=(20, 20, 20), font=font)
    buffer = io.BytesIO()
    sheet.save(buffer, "PNG")
    atomic_write(out, buffer.getvalue())
    return out
