"""One ``GenerationBackend`` in front of several: each request goes to the backend its
generator names (``GenerationRequest.backend``: studio unless a diffusion generator was
chosen). Backends are built on their first request and kept (a diffusion backend keeps
its pipelines loaded for the life of the worker process)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twinstudio.domain.errors import InvalidInput
from twinstudio.domain.generation import GenerationInputs, GenerationResult


class BackendRouter:
    name = "router"

    def __init__(self, factories: dict[str, Callable[[], Any]]) -> None:
        self._factories = dict(factories)
        self._built: dict[str, Any] = {}

    def backend(self, name: str) -> Any:
        if name not in self._built:
            if name not in self._factories:
                raise InvalidInput(f"no generation backend {name!r} here (have: "
                                   f"{', '.join(sorted(self._factories))})")
            self._built[name] = self._factories[name]()
        return self._built[name]

    def check(self, inputs: GenerationInputs) -> None:
        self.backend(inputs.request.backend).check(inputs)

    def generate(self, inputs: GenerationInputs) -> GenerationResult:
        return self.backend(inputs.request.backend).generate(inputs)
