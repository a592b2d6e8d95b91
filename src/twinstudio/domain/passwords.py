"""The password policy: one rule for every place a password is set (``user add``,
``user password``, the services, the demo logins), with the same limits as the sign-in
form.

A password is refused (each with its code) when it is

    password_too_short         under MIN_PASSWORD characters
    password_too_long          over MAX_PASSWORD characters (the sign-in form's limit:
                               a longer one could be set but never used)
    password_blank             only whitespace
    password_too_few_distinct  fewer than MIN_DISTINCT different characters, or one
                               short part repeated ("abcabcabca", nine spaces and an x)
    password_common            on the shipped list of common passwords
                               (``common_passwords.txt``), such a word with digits or
                               symbols around it or letters swapped for look-alike digits
                               ("password12", "P@ssw0rd!"), or a keyboard, alphabet or
                               digit run ("1234567890", "qwertyuiop")

Lengths count characters (what the form counts). Pure: the list is read from the
package once.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from twinstudio.domain.errors import Problem

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # the sign-in form's limit (web/pages.py) and every setter's
MIN_DISTINCT = 5
_LIST = Path(__file__).with_name("common_passwords.txt")
_AROUND = string.digits + string.punctuation + " "
_LEET = [str.maketrans("01345789@$!", "oieasbtgasi"),  # look-alike digits and symbols
         str.maketrans("01345789@$!", "oleasbtgasl")]
_RUNS = ("0123456789012345678901234567890", "abcdefghijklmnopqrstuvwxyz",
         "qwertyuiopasdfghjklzxcvbnm", "qwertzuiopasdfghjklyxcvbnm",
         "azertyuiopqsdfghjklmwxcvbn", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower case."""
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines
                     if line.strip() and not line.lstrip().startswith("#"))


def _repeated(password: str) -> bool:
    """Whether the password is one shorter part said again and again."""
    size = len(password)
    return any(size % unit == 0 and password == password[:unit] * (size // unit)
               for unit in range(1, size // 2 + 1))


def _is_common(password: str) -> bool:
    lowered = password.lower()
    listed = common_passwords()
    if lowered in listed:
        return True
    core = lowered.strip(_AROUND)
    if core and (core in listed or any(core.translate(t) in listed for t in _LEET)):
        return True
    squeezed = lowered.replace(" ", "")
    return any(squeezed in run or squeezed in run[::-1] for run in _RUNS)


def password_problem(password: str) -> Problem | None:
    """Why a password may not be set (a ``Problem`` with its code), or None."""
    def refused(code: str, message: str) -> Problem:
        return Problem("", message, code)  # the message names the password

    if len(password) < MIN_PASSWORD:
        return refused("password_too_short",
                       f"password must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        return refused("password_too_long",
                       f"password must be at most {MAX_PASSWORD} characters (this one has "
                       f"{len(password)}); a longer one could never be used to sign in")
    if not password.strip():
        return refused("password_blank", "password must not be only whitespace")
    if len(set(password)) < MIN_DISTINCT or _repeated(password):
        return refused("password_too_few_distinct",
                       f"password must have at least {MIN_DISTINCT} different characters "
                       "and not repeat one short part")
    if _is_common(password):
        return refused("password_common",
                       "password is too common (a well-known password, such a word with "
                       "digits or symbols added, or a keyboard or number run); choose "
                       "another, e.g. a few unrelated words")
    return None
