"""Encryption of biometric templates at rest (adapter over ``cryptography``).

Envelope encryption: each twin has its own random AES-256-GCM data key; that key is stored
only wrapped (AES key wrap, RFC 3394) by a key-encryption key derived with HKDF-SHA256
from the configured master key. Destroying the wrapped data key (crypto-shredding) makes
every template of the twin unreadable for good, backups included, while the audit chain
keeps the fact that it was destroyed. The twin id is authenticated data of every
ciphertext, so a template cannot be moved to another twin.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from twinstudio.domain.errors import IntegrityError


class TemplateVault:
    def __init__(self, master_key: str) -> None:
        if len(master_key) < 16:
            raise ValueError("master key too short")
        self._kek = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"twinstudio/kek/v1",
                         info=b"biometric templates").derive(master_key.encode())

    def new_key(self) -> bytes:
        """A fresh data key, returned wrapped (the only form ever stored)."""
        return aes_key_wrap(self._kek, AESGCM.generate_key(bit_length=256))

    def _unwrap(self, wrapped: bytes) -> bytes:
        try:
            return aes_key_unwrap(self._kek, wrapped)
        except InvalidUnwrap:
            raise IntegrityError("a data key does not unwrap with this master key") from None

    def encrypt(self, wrapped: bytes, plaintext: bytes, twin_id: str) -> bytes:
        """nonce (12 bytes) + ciphertext with tag."""
        nonce = os.urandom(12)
        return nonce + AESGCM(self._unwrap(wrapped)).encrypt(nonce, plaintext,
                                                            twin_id.encode())

    def decrypt(self, wrapped: bytes, blob: bytes, twin_id: str) -> bytes:
        try:
            return AESGCM(self._unwrap(wrapped)).decrypt(blob[:12], blob[12:],
                                                         twin_id.encode())
        except InvalidTag:
            raise IntegrityError("a biometric template failed authentication") from None
