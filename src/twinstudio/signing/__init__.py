"""Ed25519 keys of the parties and signature checks (adapter over ``cryptography``)."""

from twinstudio.signing.keyring import FileKeyring, verify_signature

__all__ = ["FileKeyring", "verify_signature"]
