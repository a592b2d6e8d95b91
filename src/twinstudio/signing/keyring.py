"""A file keyring: one Ed25519 private key per party under ``<workspace>/keys``.

In the embedded default the workspace holds every party's key (custody by the operator,
files mode 0600). A deployment where parties hold their own keys replaces this adapter;
verification needs only the public keys stored in the database.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from twinstudio.domain.errors import ConfigurationError, InvalidInput
from twinstudio.fileio import atomic_write

_PARTY = re.compile(r"^[a-z]{3}_[0-9a-f]{8,32}$")


def verify_signature(public_key: str, message: bytes, signature: str) -> bool:
    """True when ``signature`` (base64) is ``public_key``'s (base64 raw) over ``message``."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


class FileKeyring:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, party_id: str) -> Path:
        if not _PARTY.match(party_id):
            raise InvalidInput(f"not a party id: {party_id!r}")
        return self.directory / f"{party_id}.ed25519.pem"

    def create_key(self, party_id: str) -> str:
        path = self._path(party_id)
        if path.exists():
            raise InvalidInput(f"a signing key for {party_id} exists already")
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        atomic_write(path, pem, private=True)
        raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        return base64.b64encode(raw).decode()

    def discard(self, party_id: str) -> None:
        """Remove a key created for a party whose creation was rolled back."""
        self._path(party_id).unlink(missing_ok=True)

    def sign(self, party_id: str, message: bytes) -> str:
        path = self._path(party_id)
        if not path.exists():
            raise ConfigurationError(
                f"no signing key for {party_id} in {self.directory}; the party must sign "
                "with their own key")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"key of {party_id} is not an Ed25519 key")
        return base64.b64encode(key.sign(message)).decode()

    def verify(self, public_key: str, message: bytes, signature: str) -> bool:
        return verify_signature(public_key, message, signature)
