"""Model folders on disk: what ``model add`` records (layout, class, every file's size and
SHA-256) and what loading checks again (``verify``: the first changed file is named).

A folder is in diffusers layout: a whole pipeline has ``model_index.json`` at its root; a
component (a ControlNet) has ``config.json`` and its weights; an IP-Adapter or a LoRA is
a folder of weight files (an IP-Adapter with its ``image_encoder/``). Files under hidden
folders (``.cache``, ``.git``) are not part of a model. Symbolic links (the Hugging Face
cache's snapshots are made of them) are followed: the manifest hashes what they point at.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from twinstudio.domain.errors import IntegrityError, InvalidInput
from twinstudio.domain.models import ModelFile, ModelKind, changed_files
from twinstudio.services.ports import ModelScan

WEIGHTS = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf")
MAX_CONFIG_BYTES = 1_000_000
CHUNK = 1 << 20


class ModelChanged(IntegrityError):
    """A registered model's files are not those of its manifest."""

    code = "model_changed"


def _files(root: Path) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.is_file():
            out.append(path)
    return out


def _hash(path: Path, name: str) -> ModelFile:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return ModelFile(path=name, size=size, sha256=digest.hexdigest())


def hash_folder(root: Path) -> tuple[ModelFile, ...]:
    """Every file of the folder (hidden folders left out) with its size and SHA-256."""
    return tuple(_hash(path, path.relative_to(root).as_posix()) for path in _files(root))


def _config(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise InvalidInput(f"{path} is larger than 1 MB; not a diffusers config")
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidInput(f"{path} cannot be read as JSON: {error}") from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path} is not a JSON object")
    return data


class LocalModelFolders:
    """``ModelFolders`` over the local (or a mounted shared) file system."""

    def scan(self, path: str, kind: ModelKind) -> ModelScan:
        root = Path(path).expanduser()
        if not root.is_dir():
            raise InvalidInput(f"{path}: no such folder")
        root = root.resolve()
        layout, class_name = self._layout(root, kind)
        files = hash_folder(root)
        if not any(f.path.endswith(WEIGHTS) for f in files):
            raise InvalidInput(f"{root} holds no weight files ({', '.join(WEIGHTS)})")
        return ModelScan(path=str(root), layout=layout, class_name=class_name, files=files)

    def _layout(self, root: Path, kind: ModelKind) -> tuple[str, str | None]:
        index, config = root / "model_index.json", root / "config.json"
        if kind is ModelKind.BASE:
            if not index.is_file():
                raise InvalidInput(f"{root} is not a diffusers pipeline folder: a base "
                                   "model needs model_index.json at its root")
            return "pipeline", _config(index).get("_class_name")
        if kind is ModelKind.CONTROLNET:
            if not config.is_file():
                raise InvalidInput(f"{root} is not a diffusers component folder: a "
                                   "ControlNet needs config.json at its root")
            name = _config(config).get("_class_name")
            if not (isinstance(name, str) and "ControlNet" in name):
                raise InvalidInput(f"{config}: _class_name is {name!r}, not a ControlNet")
            return "component", name
        if kind is ModelKind.IP_ADAPTER and not (root / "image_encoder" / "config.json"
                                                 ).is_file():
            raise InvalidInput(f"{root}: an IP-Adapter folder needs its image encoder in "
                               "image_encoder/ (config.json and weights)")
        return "weights", None


def verify(path: str, expected: tuple[ModelFile, ...] | list[ModelFile], name: str) -> None:
    """Refuse a model folder whose files are not those of its manifest, naming them."""
    root = Path(path)
    if not root.is_dir():
        raise ModelChanged(f"model {name!r}: its folder {path} is gone")
    changes = changed_files(expected, hash_folder(root))
    if changes:
        listed = ", ".join(str(c) for c in changes[:5])
        more = f" and {len(changes) - 5} more" if len(changes) > 5 else ""
        raise ModelChanged(f"model {name!r}: files differ from its manifest: {listed}{more}; "
                           "register it again if the change is intended")
