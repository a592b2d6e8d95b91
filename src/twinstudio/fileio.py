"""Files: written so that a reader never sees half of one (temporary file, fsync,
rename), and read with a bound (a device such as /dev/zero, a pipe or a huge file is
refused once it passes the limit, never read whole)."""

from __future__ import annotations

import os
from pathlib import Path

from twinstudio.domain.common import size_text
from twinstudio.domain.errors import InvalidInput, TooLarge


def read_bounded(path: Path, limit: int, *, what: str = "a file") -> bytes:
    """The bytes of ``path``: at most ``limit + 1`` are ever read, and more than ``limit``
    is refused (TooLarge, naming the limit and ``what`` the file was meant to be). A
    missing file, a folder or an unreadable one is InvalidInput naming the path."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder; give a file") from None
    except OSError as error:
        raise InvalidInput(f"{path}: cannot read ({error.strerror or error})") from None
    if len(data) > limit:
        raise TooLarge(f"{path}: larger than the limit of {size_text(limit)} for {what}")
    return data


def atomic_write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write ``data`` to ``path`` atomically; ``private`` files are created mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
