"""What an image of a twin must say about itself, and what a verification concludes.

``manifest_for`` builds the C2PA manifest (pure data): the creation action with the IPTC
digital source type, the twinstudio assertion (asset, twin, licence, consent reference,
alterations, retouched flag, expiry; never a name or a face), the CAWG training-and-mining
assertion forbidding AI training, and a disclosure statement (EU AI Act Art. 50).

``decide_verdict`` turns what verification found into one verdict.

``AssetMark`` is what the provenance registry keeps of a marked asset; ``DecodedImage``,
``Fingerprints`` and ``FingerprintHit`` are what the image tools give back (pixels typed
as ``Any``: the domain never imports numpy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from twinstudio.domain.asset import PUBLISHABLE, SOURCE_TYPES, Asset, AssetState
from twinstudio.domain.licence import Licence, LicenceState
from twinstudio.domain.twin import Twin, TwinState

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
ASSERTION_LABEL = "com.twinstudio.asset"
DISCLOSURE = ("AI-generated image of a digital twin, made with the depicted person's consent "
              "under licence; not a photograph of an event.")
RETOUCHED_FR = "Photographie retouchée"


# What the twinstudio assertion says about the model that made an image (the prompt and
# the runtime stay with the asset's record, not in the public credential).
GENERATION_FIELDS = ("backend", "recipe", "seed", "steps", "guidance", "strength",
                     "candidates", "size", "models", "lora_sha256", "adapter")


def manifest_for(asset: Asset, licence: Licence, *, generator: str, version: str,
                 asset_code: int, edited: bool = False,
                 generation: dict[str, Any] | None = None) -> dict[str, Any]:
    """The C2PA manifest definition for ``asset`` (``generation``: what made it, for a
    diffusion image: recipe, seed, steps, every model's name and manifest hash)."""
    actions: list[dict[str, Any]] = [{
        "action": "c2pa.created",
        "digitalSourceType": IPTC + SOURCE_TYPES[asset.source],
        "softwareAgent": {"name": generator, "version": version},
    }]
    if edited:
        actions = [{"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}},
                   {"action": "c2pa.edited", "digitalSourceType": IPTC + SOURCE_TYPES[
                       asset.source], "softwareAgent": {"name": generator, "version": version}}]
    return {
        "claim_generator_info": [{"name": generator, "version": version}],
        "title": f"{asset.id}",
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": actions}},
            {"label": ASSERTION_LABEL, "data": {
                "asset_id": asset.id, "asset_code": f"{asset_code:08x}",
                "twin_id": asset.twin_id, "licence_id": licence.id,
                "consent_ref": licence.consent_id,
                "permitted_alterations": licence.terms.permitted_alterations,
                "applied_alterations": asset.alterations, "retouched": asset.retouched,
                "expires": licence.terms.ends.isoformat(), "disclosure": DISCLOSURE,
                "labels": [RETOUCHED_FR] if asset.retouched else [],
                **({"generation": {k: generation[k] for k in GENERATION_FIELDS
                                   if k in generation}} if generation else {}),
            }},
            {"label": "cawg.training-mining", "data": {"entries": {
                "cawg.ai_training": {"use": "notAllowed"},
                "cawg.ai_generative_training": {"use": "notAllowed"},
                "cawg.ai_inference": {"use": "notAllowed"},
                "cawg.data_mining": {"use": "notAllowed"},
            }}},
        ],
    }


class Verdict(StrEnum):
    """What verification concludes. ``not_approved``: one of our assets, under a licence
    in force, that the talent (or agency) has not approved: it is not licensed for
    publication (its state says whether it waits for approval or was never submitted)."""

    LICENSED = "licensed"
    NOT_APPROVED = "not_approved"
    LICENCE_EXPIRED = "licence_expired"
    WITHDRAWN = "withdrawn"
    TAMPERED = "tampered"
    UNLICENSED_LIKENESS = "unlicensed_likeness"
    UNKNOWN = "unknown"


_SEVERITY = {Verdict.TAMPERED: 6, Verdict.WITHDRAWN: 5, Verdict.LICENCE_EXPIRED: 4,
             Verdict.NOT_APPROVED: 3, Verdict.UNLICENSED_LIKENESS: 2, Verdict.LICENSED: 1,
             Verdict.UNKNOWN: 0}


def decide_verdict(*, asset: Asset | None, licence: Licence | None, today: date,
                   credential_present: bool, credential_valid: bool,
                   twin: Twin | None = None, face_match: bool = False) -> Verdict:
    """One verdict from what was found (the asset resolved by any signal, and the
    credential's state). A present credential whose pixels no longer match is tampering,
    whatever else matched; a missing credential (stripped metadata) is not. An asset of a
    twin that is no longer active (suspended, retired, shredded) is withdrawn. An asset in
    force that was never approved (generated, pending approval) is ``not_approved``."""
    if credential_present and not credential_valid:
        return Verdict.TAMPERED
    if asset is None or licence is None:
        return Verdict.UNLICENSED_LIKENESS if face_match else Verdict.UNKNOWN
    if asset.state in (AssetState.WITHDRAWN, AssetState.REJECTED, AssetState.QA_FAILED) \
            or licence.state in (LicenceState.REVOKED, LicenceState.SUSPENDED) \
            or (twin is not None and twin.state is not TwinState.ACTIVE):
        return Verdict.WITHDRAWN
    if asset.state is AssetState.EXPIRED or licence.state is LicenceState.EXPIRED \
            or today > licence.terms.ends:
        return Verdict.LICENCE_EXPIRED
    if asset.state not in PUBLISHABLE:
        return Verdict.NOT_APPROVED
    return Verdict.LICENSED


def worst(verdicts: list[Verdict]) -> Verdict:
    """When signals point at different assets, the least favourable verdict stands."""
    return max(verdicts, key=lambda v: _SEVERITY[v]) if verdicts else Verdict.UNKNOWN


# Visible disclosure on published renditions (the master stays clean).
# EU AI Act Art. 50(4): realistic AI-made depictions of people are disclosed; twinstudio
# labels every EU/EEA publication on channels where the viewer sees the image itself.
EU_EEA = frozenset(
    [
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU",
        "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES",
        "SE", "IS", "LI", "NO"
    ]
)
AI_LABEL = "AI-generated"
VISIBLE_CHANNELS = frozenset({"social", "ooh", "print", "ecommerce", "email", "video"})


def disclosure_labels(*, channel: str, territory: str, retouched: bool,
                      body_alteration_applied: bool, always_label: bool = False) -> list[str]:
    """Labels to render into a publication of an asset on ``channel`` in ``territory``.

    - "AI-generated" in the EU/EEA (Art. 50), or everywhere when ``always_label``.
    - "Photographie retouchée" in France when the body's shape was altered (Code de la
      santé publique L2133-2, in force since 1 October 2017).
    """
    labels = []
    if channel in VISIBLE_CHANNELS and (always_label or territory in EU_EEA):
        labels.append(AI_LABEL)
    if territory == "FR" and (retouched or body_alteration_applied):
        labels.append(RETOUCHED_FR)
    return labels


# ------------------------------------------------------------------ registry and image data


@dataclass
class AssetMark:
    """What the provenance registry keeps of a marked asset (no pixels, no person data)."""

    asset_id: str
    code: int
    blob_sha256: str
    mime: str
    width: int
    height: int
    pdq: str           # hex
    pdq_mirror: str    # hex
    pdq_quality: int
    local_features: bytes
    created_at: datetime


@dataclass
class DecodedImage:
    rgb: Any          # numpy uint8 (h, w, 3)
    mime: str         # sniffed from the bytes
    width: int
    height: int


@dataclass
class Fingerprints:
    pdq: str
    pdq_mirror: str
    pdq_quality: int
    local_features: bytes


@dataclass
class FingerprintHit:
    asset_id: str
    method: str        # "pdq" or "local_features"
    score: float       # PDQ bits apart, or RANSAC inliers
    detail: dict[str, Any]


@dataclass
class WatermarkReading:
    """What the invisible watermark reader found: the asset code, if any."""

    code: int | None
    attempt: str | None  # which variant decoded: "as is", "inverted", "resized", ...
    attempts: int


@dataclass
class CredentialReading:
    """What the C2PA reader found in an image: the manifest, its validation, our assertion."""

    present: bool
    valid: bool = False
    trusted: bool = False
    state: str | None = None
    failures: list[str] = field(default_factory=list)
    assertion: dict[str, Any] | None = None
    digital_source_type: str | None = None
    signer: str | None = None
    has_parent: bool = False
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"present": self.present, "valid": self.valid, "trusted": self.trusted,
                "state": self.state, "failures": self.failures, "signer": self.signer,
                "digital_source_type": self.digital_source_type,
                "has_parent": self.has_parent, "error": self.error}
