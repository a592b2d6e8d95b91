"""A twin's LoRA in a recipe's pipelines: given as a file or folder on disk, or as
safetensors bytes in memory (decrypted by the caller, never written to disk), loaded
once per distinct file or content and switched on per image; and the conversion between
those bytes and a state dict ``load_lora_weights`` takes.

The bytes are what diffusers' ``save_lora_weights`` writes to
``pytorch_lora_weights.safetensors``: keys ``unet.…`` (SDXL) or ``transformer.…``
(FLUX.2), the ``lora.down``/``lora.up`` layout of ``convert_state_dict_to_diffusers``,
metadata ``{"format": "pt"}``. torch and safetensors load lazily.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

MAX_LORAS = 8              # distinct LoRAs kept loaded in one recipe (least recent out)
WEIGHT_SUFFIXES = (".safetensors", ".bin")
LORA_WEIGHT_NAMES = ("pytorch_lora_weights.safetensors", "pytorch_lora_weights.bin")


def load_lora_state(weights: bytes) -> dict[str, torch.Tensor]:
    """safetensors bytes -> a state dict (CPU tensors), as ``load_lora_weights`` takes it."""
    from safetensors.torch import load

    if not isinstance(weights, (bytes, bytearray, memoryview)) or not weights:
        raise ValueError("LoRA weights must be non-empty safetensors bytes")
    try:
        return load(bytes(weights))
    except Exception as exc:  # safetensors raises its own error types
        raise ValueError(f"LoRA weights are not a safetensors file: {exc}") from exc


def lora_bytes(state: dict[str, torch.Tensor]) -> bytes:
    """A LoRA state dict (diffusers' keys) -> the bytes ``save_lora_weights`` would write."""
    from safetensors.torch import save

    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state.items()}
    return save(tensors, metadata={"format": "pt"})


def weights_file(folder: Path, preferred: tuple[str, ...]) -> str:
    """The weight file of an adapter folder: the first of ``preferred`` present, else the
    only top-level ``.safetensors``/``.bin`` file."""
    for name in preferred:
        if (folder / name).is_file():
            return name
    found = sorted(p.name for p in folder.iterdir()
                   if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    if len(found) != 1:
        raise ValueError(f"{folder}: expected one of {', '.join(preferred)} or a single "
                         f".safetensors/.bin file, found {found or 'none'}")
    return found[0]


class Loras:
    """LoRA weights loaded into a pipeline once per distinct file (reloaded when the file
    changes) or per distinct in-memory content (keyed by its sha256), by adapter name, and
    the one active for each image (the twin's LoRA at its scale, or none); at most
    ``max_loaded`` kept, the least recently used let go."""

    def __init__(self, pipe: Any, max_loaded: int = MAX_LORAS,
                 on_change: Any = None) -> None:
        self.pipe = pipe
        self.max_loaded = max_loaded
        self.on_change = on_change   # loading re-hooks CPU offload on ``pipe``
        self.loaded: OrderedDict[str, tuple[tuple[int, int], str]] = OrderedDict()

    def activate(self, path: Path | None, scale: float, *, weights: bytes | None = None,
                 sha256: str | None = None) -> str | None:
        """Switch on the LoRA at ``path`` (a weight file, or a folder holding one) or the
        one whose safetensors bytes are ``weights`` (checked against ``sha256`` when
        given), at ``scale``; neither: switch LoRAs off. Returns the adapter's name."""
        if weights is not None:
            if path is not None:
                raise ValueError("give the LoRA as a path or as in-memory weights, not both")
            return self._activate_bytes(bytes(weights), sha256, scale)
        if sha256 is not None:
            raise ValueError("a LoRA sha256 was given without its weights")
        if path is None:
            if self.loaded:
                self.pipe.disable_lora()
            return None
        path = Path(path).resolve()
        if not path.exists():
            raise FileNotFoundError(f"LoRA weights not found: {path}")
        folder, weight = ((path.parent, path.name) if path.is_file() else
                          (path, weights_file(path, LORA_WEIGHT_NAMES)))
        key = str(folder / weight)
        stat = (folder / weight).stat()
        stamp = (stat.st_size, stat.st_mtime_ns)

        def load(name: str) -> None:
            self.pipe.load_lora_weights(str(folder), weight_name=weight, adapter_name=name,
                                        local_files_only=True)

        return self._use(key, stamp, "lora_" + hashlib.sha256(
            f"{key}|{stamp}".encode()).hexdigest()[:16], load, scale)

    def _activate_bytes(self, weights: bytes, sha256: str | None, scale: float) -> str:
        digest = hashlib.sha256(weights).hexdigest()
        if sha256 is not None and sha256.strip().lower() != digest:
            raise ValueError(f"the LoRA weights' sha256 is {digest}, not the {sha256} given")

        def load(name: str) -> None:
            self.pipe.load_lora_weights(load_lora_state(weights), adapter_name=name)

        return self._use(f"sha256:{digest}", (len(weights), 0), "lora_" + digest[:16],
                         load, scale)

    def _use(self, key: str, stamp: tuple[int, int], name: str, load: Any,
             scale: float) -> str:
        if key in self.loaded and self.loaded[key][0] != stamp:   # the file was rewritten
            self.pipe.delete_adapters(self.loaded.pop(key)[1])
        if key not in self.loaded:
            load(name)
            self.loaded[key] = (stamp, name)
            while len(self.loaded) > self.max_loaded:
                _, (_, old) = self.loaded.popitem(last=False)
                self.pipe.delete_adapters(old)
            if self.on_change is not None:
                self.on_change()
        self.loaded.move_to_end(key)
        name = self.loaded[key][1]
        self.pipe.enable_lora()
        self.pipe.set_adapters([name], adapter_weights=[float(scale)])
        return name

    def activate_for(self, inputs: Any, default: Path | None) -> str | None:
        """The LoRA of a ``RecipeInputs``: its in-memory weights, else its path, else the
        recipe's registered default."""
        if inputs.lora_weights is not None:
            return self.activate(inputs.lora, inputs.lora_scale, weights=inputs.lora_weights,
                                 sha256=inputs.lora_sha256)
        if inputs.lora_sha256 is not None:
            raise ValueError("lora_sha256 was given without lora_weights")
        path = inputs.lora if inputs.lora is not None else default
        return self.activate(path, inputs.lora_scale)
