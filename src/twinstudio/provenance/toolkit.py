"""The provenance adapter the services use: codecs, watermark, fingerprints and C2PA,
behind the ``ProvenanceTools`` port. It keeps one fingerprint index in memory and
rebuilds it when the registry has grown."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from twinstudio.domain.provenance import (
    AssetMark,
    CredentialReading,
    DecodedImage,
    FingerprintHit,
    Fingerprints,
    WatermarkReading,
)
from twinstudio.provenance import credentials, disclosure, images, watermark
from twinstudio.provenance.fingerprint import (
    LocalFeatures,
    local_features,
    match_local,
    pdq_pair,
    pdq_registered,
)
from twinstudio.provenance.index import FingerprintIndex
from twinstudio.provenance.keys import SigningCredentials


class ProvenanceToolkit:
    def __init__(self, signing: SigningCredentials) -> None:
        self.signing = signing
        self._index: FingerprintIndex | None = None
        self._indexed: Any = None
        self._lock = threading.Lock()

    # codecs -------------------------------------------------------------------
    def decode(self, data: bytes, *, max_side: int | None = None,
               max_pixels: int = images.MAX_PIXELS) -> DecodedImage:
        rgb, mime = images.decode(data, max_side=max_side, max_pixels=max_pixels)
        return DecodedImage(rgb=rgb, mime=mime, width=rgb.shape[1], height=rgb.shape[0])

    def encode(self, rgb: Any, mime: str) -> bytes:
        return images.encode(rgb, mime)

    # watermark ----------------------------------------------------------------
    def embed_mark(self, rgb: Any, code: int) -> Any:
        return watermark.embed(rgb, code)

    def read_mark(self, rgb: Any, sizes: Iterable[tuple[int, int]]) -> WatermarkReading:
        return watermark.read(rgb, sizes)

    # fingerprints -------------------------------------------------------------
    def fingerprints(self, rgb: Any) -> Fingerprints:
        straight, mirrored, quality = pdq_registered(rgb)
        return Fingerprints(straight.hex(), mirrored.hex(), quality,
                            local_features(rgb).to_bytes())

    def _index_for(self, version: Any, load: Callable[[], list[AssetMark]]
                   ) -> FingerprintIndex:
        # The registry is loaded and indexed again only when its version changed.
        with self._lock:
            if self._index is None or version != self._indexed:
                self._index = FingerprintIndex.build([
                    (m.asset_id, bytes.fromhex(m.pdq), bytes.fromhex(m.pdq_mirror),
                     LocalFeatures.from_bytes(m.local_features)) for m in load()])
                self._indexed = version
            return self._index

    def find(self, rgb: Any, version: Any, load: Callable[[], list[AssetMark]]
             ) -> FingerprintHit | None:
        """The asset this image is a copy of, by PDQ first, then by local features."""
        index = self._index_for(version, load)
        if not len(index):
            return None
        straight, mirrored, _ = pdq_pair(rgb)
        near = index.nearest_pdq(straight, mirrored)
        if near is not None:
            return FingerprintHit(near[0], "pdq", near[1], {"distance_bits": near[1]})
        best: tuple[int, int] | None = None
        for variant in (rgb, np.ascontiguousarray(rgb[:, ::-1])):
            query = local_features(variant)
            for position in index.candidates(query):
                reference = index.features[position]
                if reference is None:
                    continue
                found = match_local(query, reference)
                if found.ok and (best is None or found.inliers > best[1]):
                    best = (position, found.inliers)
            if best is not None:
                break
        if best is None:
            return None
        return FingerprintHit(index.asset_ids[best[0]], "local_features", best[1],
                              {"inliers": best[1]})

    # content credentials ------------------------------------------------------
    def sign(self, image: bytes, mime: str, manifest: dict[str, Any],
             parent: tuple[bytes, str, str] | None = None) -> bytes:
        return credentials.sign(image, mime, manifest, self.signing, parent)

    def read_credentials(self, image: bytes, mime: str) -> CredentialReading:
        return credentials.read(image, mime, self.signing)

    # disclosure ---------------------------------------------------------------
    def render_labels(self, rgb: Any, labels: list[str]) -> Any:
        return disclosure.render_labels(rgb, labels)
