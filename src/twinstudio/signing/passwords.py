"""Password hashing with argon2id (argon2-cffi), the adapter behind ``PasswordHasher``."""

from __future__ import annotations


class Argon2Passwords:
    """argon2id with the library's defaults (RFC 9106 low-memory profile). ``fast`` lowers
    the cost for test suites only; it is never used by ``bootstrap``."""

    def __init__(self, *, fast: bool = False) -> None:
        self._fast = fast
        self._instance = None

    @property
    def _hasher(self):  # type: ignore[no-untyped-def]
        # Loaded on first use: the CLI starts without argon2 until accounts are touched.
        if self._instance is None:
            try:
                from argon2 import PasswordHasher
            except ImportError:  # pragma: no cover - the 'web' extra is not installed
                from twinstudio.domain.errors import ConfigurationError

                raise ConfigurationError("accounts need argon2-cffi: install the 'web' "
                                         "extra (pip install -e '.[web]')") from None
            self._instance = (PasswordHasher(time_cost=1, memory_cost=8 * 1024,
                                             parallelism=1)
                              if self._fast else PasswordHasher())
        return self._instance

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
