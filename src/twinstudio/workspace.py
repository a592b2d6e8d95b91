"""A workspace folder: marker file, SQLite database, keys. Created only by ``init``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from twinstudio.domain.common import utcnow
from twinstudio.domain.errors import Conflict, InvalidInput

MARKER = "twinstudio-workspace.json"


def is_workspace(path: Path) -> bool:
    return (path / MARKER).is_file()


def require_workspace(path: Path) -> None:
    if not is_workspace(path):
        raise InvalidInput(
            f"{path} is not a twinstudio workspace; create it with "
            f"'twinstudio init --workspace {path}'")


def create_workspace(path: Path) -> bool:
    """Create the folder and marker; False when it was a workspace already."""
    if is_workspace(path):
        return False
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise Conflict(f"{path} exists and is not an empty folder or a twinstudio workspace")
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text(json.dumps({"format": 1, "created_at": utcnow().isoformat()}))
    return True


def remove_workspace(path: Path) -> None:
    """Delete a workspace folder, but only one that carries the marker."""
    if not path.exists():
        return
    require_workspace(path)
    shutil.rmtree(path)
