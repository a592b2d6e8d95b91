"""Fit anny's body to a person's measurements.

A box-constrained, regularised Levenberg-Marquardt on the tailor's measurements of
``measure.Measurer``: residuals in millimetres, the Jacobian from torch autograd through
the mesh sections, gender and age fixed from the person, and a small pull towards the
average body so that the smallest change that fits is chosen. On this machine a fit takes
seconds and lands within a millimetre on height, bust, waist and hips (``bench/body_fit.py``
prints the figures over the roster).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from twinstudio.body3d.measure import Measurer
from twinstudio.body3d.model import (
    FACE_FEATURES,
    FIT_LOCAL_CHANGES,
    FIT_PHENOTYPES,
    body_model,
)
from twinstudio.domain.body import BodyFit, BodyProfile, Sex
from twinstudio.domain.errors import InvalidInput

# Which measurement of the mesh answers which field of BodyMeasurements.
FIELDS = {"height": "height_cm", "bust": "bust_cm", "underbust": "underbust_cm",
          "waist": "waist_cm", "hips": "hips_cm", "inseam": "inseam_cm",
          "shoulder_width": "shoulder_width_cm"}


def anny_age(years: float) -> float:
    """anny's age axis: 1/3 child (about 11), 2/3 young adult (25), 1 old (90)."""
    if years <= 25:
        return 1 / 3 + (max(years, 11) - 11) / 14 * (1 / 3)
    return 2 / 3 + (min(years, 90) - 25) / 65 * (1 / 3)


def face_local_changes(face: dict[str, float]) -> dict[str, float]:
    """anny's local changes for named face features (see ``model.FACE_FEATURES``)."""
    unknown = sorted(set(face) - set(FACE_FEATURES))
    if unknown:
        raise InvalidInput(f"unknown face features {unknown}; known: "
                           f"{', '.join(FACE_FEATURES)}")
    return {label: float(weight) for name, weight in face.items()
            for label in FACE_FEATURES[name]}


class BodyFitter:
    def __init__(self) -> None:
        self.model = body_model()
        self.measurer = Measurer(self.model)
        self.phenotype_labels = list(self.model.phenotype_labels)
        self.local_labels = list(self.model.local_change_labels)
        n_p, n_l = len(FIT_PHENOTYPES), len(FIT_LOCAL_CHANGES)
        self.x0 = np.array([0.5] * n_p + [0.0] * n_l)
        self.lower = np.array([0.0] * n_p + [-1.0] * n_l)
        self.upper = np.array([1.0] * n_p + [1.0] * n_l)
        # Prior weight (mm² per unit²): global phenotypes move before local targets.
        self.prior = np.array([2.0] * n_p + [10.0] * n_l)

    def parameters(self, x: Any, fixed: dict[str, float],
                   face: dict[str, float] | None = None) -> tuple[Any, Any]:
        import torch

        dtype = torch.float64
        phenotypes = torch.full((1, len(self.phenotype_labels)), 0.5, dtype=dtype)
        for name, value in fixed.items():
            phenotypes[0, self.phenotype_labels.index(name)] = value
        p_index = torch.tensor([self.phenotype_labels.index(n) for n in FIT_PHENOTYPES])
        phenotypes = phenotypes.index_put(
            (torch.zeros(len(p_index), dtype=torch.long), p_index), x[:len(FIT_PHENOTYPES)])
        local = torch.zeros(1, len(self.local_labels), dtype=dtype)
        for name, value in (face or {}).items():
            local[0, self.local_labels.index(name)] = value
        l_index = torch.tensor([self.local_labels.index(n) for n in FIT_LOCAL_CHANGES])
        local = local.index_put((torch.zeros(len(l_index), dtype=torch.long), l_index),
                                x[len(FIT_PHENOTYPES):])
        return phenotypes, local

    def rest_vertices(self, x: Any, fixed: dict[str, float],
                      face: dict[str, float] | None = None) -> Any:
        phenotypes, local = self.parameters(x, fixed, face)
        out = self.model(phenotype_kwargs=phenotypes, local_changes_kwargs=local)
        return out["rest_vertices"][0]

    def _evaluate(self, x: np.ndarray, fixed: dict[str, float], keys: list[str],
                  jacobian: bool, face: dict[str, float] | None = None
                  ) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
        import torch

        xt = torch.tensor(x, dtype=torch.float64, requires_grad=jacobian)
        measured = self.measurer(self.rest_vertices(xt, fixed, face))
        y = torch.stack([measured[k] for k in keys]) * 1000.0
        if not jacobian:
            return y.detach().numpy(), None, measured
        rows = [torch.autograd.grad(y[i], xt, retain_graph=True)[0].numpy()
                for i in range(len(keys))]
        return y.detach().numpy(), np.stack(rows), measured

    def fit(self, profile: BodyProfile, *, iterations: int = 40,
            tolerance_mm: float = 0.3) -> BodyFit:
        started = time.perf_counter()
        fixed = {"gender": 1.0 if profile.sex is Sex.FEMALE else 0.0,
                 "age": anny_age(profile.age)}
        # The face is held as given while the body fits (a head taller or wider changes
        # the height, which the fit then makes up elsewhere).
        face = face_local_changes(profile.face)
        wanted = {k: v for k, v in ((k, getattr(profile.measurements, f))
                                    for k, f in FIELDS.items()) if v is not None}
        keys = list(wanted)
        target = np.array([wanted[k] * 10.0 for k in keys])
        x = self.x0.copy()
        # At exactly 0 autograd returns both one-sided slopes of a local change (doubled).
        x[len(FIT_PHENOTYPES):] = 1e-3
        damping = 1e-3

        def cost(y: np.ndarray, x: np.ndarray) -> float:
            return float(np.sum((y - target) ** 2) + np.sum(self.prior * (x - self.x0) ** 2))

        y, jac, _ = self._evaluate(x, fixed, keys, True, face)
        current = cost(y, x)
        done = 0
        for done in range(1, iterations + 1):  # noqa: B007 (reported after the loop)
            residual = y - target
            if np.max(np.abs(residual)) < tolerance_mm:
                break
            assert jac is not None
            normal = jac.T @ jac + np.diag(self.prior)
            gradient = jac.T @ residual + self.prior * (x - self.x0)
            while True:
                step = np.linalg.solve(normal + damping * np.diag(np.diag(normal)), -gradient)
                candidate = np.clip(x + step, self.lower, self.upper)
                y_new, _, _ = self._evaluate(candidate, fixed, keys, False, face)
                if cost(y_new, candidate) < current:
                    damping = max(damping / 5, 1e-7)
                    break
                damping *= 5
                if damping > 1e6:
                    break
            if damping > 1e6:
                break
            x = candidate
            y, jac, _ = self._evaluate(x, fixed, keys, True, face)
            current = cost(y, x)
        _, _, measured = self._evaluate(x, fixed, keys, False, face)
        rows = []
        for key in FIELDS:
            achieved = float(measured[key]) * 100.0
            row: dict[str, float | str] = {"measurement": key, "achieved_cm": round(achieved, 2)}
            if key in wanted:
                row["target_cm"] = wanted[key]
                row["error_mm"] = round((achieved - wanted[key]) * 10.0, 2)
            rows.append(row)
        n_p = len(FIT_PHENOTYPES)
        return BodyFit(
            phenotypes={**fixed, **dict(zip(FIT_PHENOTYPES, map(float, x[:n_p]), strict=True))},
            local_changes={**face, **dict(zip(FIT_LOCAL_CHANGES, map(float, x[n_p:]),
                                              strict=True))},
            rows=rows, iterations=done, seconds=time.perf_counter() - started)


_fitter: BodyFitter | None = None


def fit_body(profile: BodyProfile) -> BodyFit:
    """Fit the body twin to ``profile`` (the model is built once per process)."""
    global _fitter
    if _fitter is None:
        _fitter = BodyFitter()
    return _fitter.fit(profile)


class AnnyBodyFitting:
    """BodyFitting (``services.ports``) on anny: the model loads on the first fit."""

    def fit(self, profile: BodyProfile) -> BodyFit:
        return fit_body(profile)
