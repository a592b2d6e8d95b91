"""Verify any image: is it one of ours, whose twin, which licence, still valid?

Four signals are read: the C2PA credential (it names an asset only when valid *and*
signed by a signer we trust: anyone can make a valid manifest with their own
certificate), the invisible watermark (the asset code), the fingerprint registry (PDQ,
then local features) and, only when none of those resolves the image, the faces in it
against every enrolled twin's template (``domain.identity``). The verdict is the worst of
the assets the signals name (``domain.provenance.decide_verdict``): an asset of ours that
was never approved is ``not_approved``, not licensed for publication.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from twinstudio.domain.asset import Asset, AssetState
from twinstudio.domain.budgets import ANALYSIS_SIDE
from twinstudio.domain.errors import ConfigurationError, NotFound
from twinstudio.domain.identity import IDENTITY_THRESHOLD, STRONG_LIKENESS
from twinstudio.domain.provenance import (
    AssetMark,
    CredentialReading,
    Verdict,
    decide_verdict,
    worst,
)
from twinstudio.services.context import ServiceContext
from twinstudio.services.enrolment import FaceIdentification, identify_faces
from twinstudio.services.ports import ProvenanceTools


@dataclass
class C2paSignal(CredentialReading):
    """The credential as read, with the asset its assertion claims and a note."""

    asset_id: str | None = None          # the asset the manifest claims
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {**super().as_dict(), "asset_id": self.asset_id}
        generation = (self.assertion or {}).get("generation")
        if generation:  # what made a diffusion image: recipe, seed, models and hashes
            out["generation"] = generation
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclass
class WatermarkSignal:
    found: bool
    code: str | None            # the asset code read, hex
    asset_id: str | None        # the asset registered under that code
    variant: str | None         # which geometric variant read it
    attempts: int
    confidence: str             # high | unregistered code | none

    def as_dict(self) -> dict[str, Any]:
        return {"found": self.found, "code": self.code, "asset_id": self.asset_id,
                "variant": self.variant, "attempts": self.attempts,
                "confidence": self.confidence}


@dataclass
class FingerprintSignal:
    found: bool
    asset_id: str | None
    method: str | None          # pdq | local_features
    detail: dict[str, Any]
    registry_size: int

    def as_dict(self) -> dict[str, Any]:
        return {"found": self.found, "asset_id": self.asset_id, "method": self.method,
                "detail": self.detail, "registry_size": self.registry_size}


@dataclass
class FaceSignal:
    """The faces in an image against the enrolled templates. ``match`` is the closest
    face's identification: every twin within the threshold, the margin, and whether it
    is ambiguous (the closest two are look-alikes: then no twin is named)."""

    checked: bool
    reason: str | None = None             # why it was not checked
    faces: int | None = None
    templates: int | None = None
    threshold: float | None = None
    match: FaceIdentification | None = None
    confidence: str | None = None         # high | medium | ambiguous | none

    @property
    def summary(self) -> str:
        """One line for people: who the face is, or why nobody is named."""
        if not self.checked:
            return f"not checked: {self.reason}"
        if not self.faces:
            return "no face in the image"
        found = self.match
        if found is None:
            return (f"{self.faces} face(s), no enrolled twin within {self.threshold} "
                    f"({self.templates} templates)")
        names = ", ".join(f"{c.twin_id} {c.distance:.3f}" for c in found.candidates)
        margin = "" if found.margin is None else f"; margin {found.margin:.3f} to the next"
        if found.ambiguous:
            return f"ambiguous between look-alikes ({names}){margin}"
        return f"{found.twin_id} ({self.confidence}; within the threshold: {names}){margin}"

    def as_dict(self) -> dict[str, Any]:
        if not self.checked:
            return {"checked": False, "reason": self.reason}
        if not self.faces:
            return {"checked": True, "faces": 0, "match": None}
        return {"checked": True, "faces": self.faces, "templates": self.templates,
                "threshold": self.threshold,
                "match": self.match.as_dict() if self.match else None,
                "confidence": self.confidence}


@dataclass
class VerifySignals:
    c2pa: C2paSignal
    watermark: WatermarkSignal
    fingerprint: FingerprintSignal
    face: FaceSignal

    def as_dict(self) -> dict[str, Any]:
        return {"c2pa": self.c2pa.as_dict(), "watermark": self.watermark.as_dict(),
                "fingerprint": self.fingerprint.as_dict(), "face": self.face.as_dict()}


@dataclass
class VerifyResult:
    verdict: Verdict
    asset_id: str | None
    asset_state: str | None        # the state of the asset the verdict is about
    twin_id: str | None
    licence_id: str | None
    signals_agree: bool
    signals: VerifySignals
    elapsed_ms: float
    explanation: str

    def as_dict(self) -> dict[str, Any]:
        """The JSON of ``twinstudio verify --json`` and of ``POST /verify``."""
        return {"verdict": self.verdict.value, "asset_id": self.asset_id,
                "asset_state": self.asset_state, "twin_id": self.twin_id,
                "licence_id": self.licence_id,
                "signals_agree": self.signals_agree, "signals": self.signals.as_dict(),
                "elapsed_ms": self.elapsed_ms, "explanation": self.explanation}


def _tools(ctx: ServiceContext) -> ProvenanceTools:
    if ctx.provenance is None or ctx.blobs is None:
        raise ConfigurationError("provenance is not configured for this workspace "
                                 "(run 'twinstudio init')")
    return ctx.provenance


def verify_image(ctx: ServiceContext, image: bytes) -> VerifyResult:
    """Verdict and signals for any image: C2PA credential, watermark, fingerprint, face."""
    tools = _tools(ctx)
    started = time.perf_counter()
    # analysed on a copy at most ANALYSIS_SIDE on its longer side (decoded reduced): our
    # own assets are smaller, so their watermark is read at the size it was embedded
    decoded = tools.decode(image, max_side=ANALYSIS_SIDE)
    credential = tools.read_credentials(image, decoded.mime)
    claimed = (credential.assertion or {}).get("asset_id")
    c2pa = C2paSignal(**vars(credential), asset_id=claimed)

    with ctx.uow() as uow:
        sizes = uow.marks.sizes()
        version = uow.marks.version()

    def load_marks() -> list[AssetMark]:
        with ctx.uow() as uow:
            return uow.marks.all()

    reading = tools.read_mark(decoded.rgb, sizes)
    code = reading.code
    mark_asset_id = None
    if code is not None:
        with ctx.uow() as uow:
            found = uow.marks.by_code(code)
        mark_asset_id = found.asset_id if found else None
    watermark = WatermarkSignal(
        found=code is not None, code=f"{code:08x}" if code is not None else None,
        asset_id=mark_asset_id, variant=reading.attempt, attempts=reading.attempts,
        confidence="high" if mark_asset_id else
        ("unregistered code" if code is not None else "none"))
    hit = tools.find(decoded.rgb, version, load_marks)
    fingerprint = FingerprintSignal(found=hit is not None,
                                    asset_id=hit.asset_id if hit else None,
                                    method=hit.method if hit else None,
                                    detail=hit.detail if hit else {},
                                    registry_size=version[0])
    face = FaceSignal(checked=False, reason="not needed: another signal resolved the image")
    trusted_claim = claimed if c2pa.valid and c2pa.trusted else None
    named = [a for a in (trusted_claim, mark_asset_id, hit.asset_id if hit else None) if a]
    if claimed and c2pa.present and not c2pa.valid:
        named.append(claimed)  # a tampered credential of ours still says which asset it was
    resolved = []
    with ctx.uow() as uow:
        for candidate in dict.fromkeys(named):
            try:
                asset = uow.assets.get(candidate)
            except NotFound:  # a credential from elsewhere, or edited: names nothing of ours
                continue
            resolved.append((asset, uow.licences.get(asset.licence_id),
                             uow.twins.get(asset.twin_id)))
    verdicts = [decide_verdict(asset=a, licence=lic, twin=tw, today=ctx.today(),
                               credential_present=c2pa.present,
                               credential_valid=c2pa.valid)
                for a, lic, tw in resolved]
    likeness: FaceIdentification | None = None
    if not resolved:
        # nothing of ours was found: does the image show an enrolled twin's face anyway?
        face = _face_signal(ctx, decoded.rgb)
        likeness = face.match
        verdicts = [decide_verdict(asset=None, licence=None, today=ctx.today(),
                                   credential_present=c2pa.present,
                                   credential_valid=c2pa.valid,
                                   face_match=likeness is not None)]
    verdict = worst(verdicts)
    chosen = next((r for r, v in zip(resolved, verdicts, strict=False) if v is verdict),
                  None)
    asset = chosen[0] if chosen else None
    if c2pa.present and c2pa.valid and not c2pa.trusted:
        c2pa.note = "valid but signed by an untrusted certificate: ignored"
    return VerifyResult(
        verdict=verdict,
        asset_id=asset.id if asset else None,
        asset_state=asset.state.value if asset else None,
        twin_id=asset.twin_id if asset else (likeness.twin_id if likeness else None),
        licence_id=asset.licence_id if asset else None,
        signals_agree=len({r[0].id for r in resolved}) <= 1,
        signals=VerifySignals(c2pa, watermark, fingerprint, face),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        explanation=_explanation(verdict, asset) + (_ambiguity(likeness) if likeness else ""))


def _explanation(verdict: Verdict, asset: Asset | None) -> str:
    if verdict is Verdict.NOT_APPROVED and asset is not None:
        return EXPLANATIONS[verdict] + (
            "; it is pending the talent's approval" if asset.state is
            AssetState.PENDING_APPROVAL else "; it was never submitted for approval")
    return EXPLANATIONS[verdict]


def _ambiguity(found: FaceIdentification) -> str:
    if not found.ambiguous:
        return ""
    alike = ", ".join(c.twin_id for c in found.candidates)
    return (f"; which twin is ambiguous: the face is within the threshold of look-alikes "
            f"({alike}) that a compliance review recorded as different people")


def _face_signal(ctx: ServiceContext, rgb: Any) -> FaceSignal:
    """Faces in the image against every enrolled twin's template (the identity rule)."""
    from twinstudio.services.biometrics import enrolled_face_templates, lookalike_pairs

    if ctx.faces is None:
        return FaceSignal(checked=False, reason="face models are not installed")
    faces = ctx.faces.embeddings(rgb)
    if not faces:
        return FaceSignal(checked=True, faces=0)
    templates = enrolled_face_templates(ctx)
    found = identify_faces(faces, templates, lookalike_pairs(ctx))
    best = found[0] if found else None
    confidence = ("none" if best is None else "ambiguous" if best.ambiguous
                  else "high" if (best.distance or 1.0) < STRONG_LIKENESS else "medium")
    return FaceSignal(checked=True, faces=len(faces), templates=len(templates),
                      threshold=IDENTITY_THRESHOLD, match=best, confidence=confidence)


EXPLANATIONS = {
    Verdict.LICENSED: "a twinstudio asset, approved, whose licence is in force today",
    Verdict.NOT_APPROVED: "a twinstudio asset whose licence is in force, but which is not "
                          "approved, so it is not licensed for publication",
    Verdict.LICENCE_EXPIRED: "a twinstudio asset whose licence has ended",
    Verdict.WITHDRAWN: "a twinstudio asset that was withdrawn or whose licence was "
                       "revoked or suspended",
    Verdict.TAMPERED: "carries a twinstudio credential, but its pixels no longer match it",
    Verdict.UNLICENSED_LIKENESS: "no credential, mark or fingerprint, but the face matches "
                                 "an enrolled twin",
    Verdict.UNKNOWN: "no credential, mark or fingerprint of a twinstudio asset was found",
}
