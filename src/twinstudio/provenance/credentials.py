"""C2PA content credentials: sign a manifest into an image, read and validate one
(adapter over ``c2pa-python``: Builder, Reader, Signer, Context).

Validation is reported in two independent parts: ``valid`` (the claim signature and the
hashes of the pixels match) and ``trusted`` (the signing chain ends in one of our trust
anchors). A changed pixel gives ``assertion.dataHash.mismatch`` and ``valid`` false.
"""

from __future__ import annotations

import io
import json
from typing import Any

from twinstudio.domain.provenance import CredentialReading
from twinstudio.provenance.keys import SigningCredentials

ASSERTION_LABEL = "com.twinstudio.asset"
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def _context(credentials: SigningCredentials):  # type: ignore[no-untyped-def]
    from c2pa import Context

    settings: dict[str, Any] = {"builder": {"thumbnail": {"enabled": False}}}
    if credentials.trust_anchors_pem:
        settings["trust"] = {"trust_anchors": credentials.trust_anchors_pem.decode()}
    return Context.from_dict(settings)


def sign(image: bytes, mime: str, manifest: dict[str, Any], credentials: SigningCredentials,
         parent: tuple[bytes, str, str] | None = None) -> bytes:
    """``image`` with ``manifest`` signed into it. ``parent`` = (bytes, mime, title) adds
    the image it was derived from as a ``parentOf`` ingredient."""
    from c2pa import Builder, C2paSignerInfo, C2paSigningAlg, Signer

    signer = Signer.from_info(C2paSignerInfo(C2paSigningAlg.ES256, credentials.chain_pem,
                                             credentials.key_pem, None))
    builder = Builder(manifest, context=_context(credentials))
    if parent is not None:
        data, parent_mime, title = parent
        builder.add_ingredient({"title": title, "relationship": "parentOf",
                                "label": "parent"}, parent_mime, io.BytesIO(data))
    out = io.BytesIO()
    builder.sign(signer, mime, io.BytesIO(image), out)
    return out.getvalue()


def read(image: bytes, mime: str, credentials: SigningCredentials) -> CredentialReading:
    """Read and validate the active manifest, if the image carries one."""
    from c2pa import C2paError, Reader

    try:
        with Reader(mime, io.BytesIO(image), context=_context(credentials)) as reader:
            store = json.loads(reader.json())
    except C2paError.ManifestNotFound:
        return CredentialReading(present=False)
    except C2paError as error:  # a manifest is there but cannot be parsed
        return CredentialReading(present=True, error=str(error)[:300], state="Invalid")
    active = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    failures = [s.get("code", "") for s in store.get("validation_status", [])
                if s.get("code") != "signingCredential.untrusted"]
    state = store.get("validation_state")
    reading = CredentialReading(
        present=True, state=state, valid=state in ("Valid", "Trusted"),
        trusted=state == "Trusted", failures=failures,
        signer=(active.get("signature_info") or {}).get("common_name"),
        has_parent=any(i.get("relationship") == "parentOf"
                       for i in active.get("ingredients", [])),
    )
    for assertion in active.get("assertions", []):
        if assertion.get("label") == ASSERTION_LABEL:
            reading.assertion = assertion.get("data")
        if assertion.get("label") in ("c2pa.actions", "c2pa.actions.v2"):
            for action in assertion.get("data", {}).get("actions", []):
                if action.get("digitalSourceType"):
                    reading.digital_source_type = action["digitalSourceType"]
    return reading
