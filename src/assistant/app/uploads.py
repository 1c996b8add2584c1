"""Each uploader's files in a folder of their own, and gone once they are added.

Gradio's ``/upload`` stores every file in one folder (``<upload folder>/<salted hash>/<name>``)
and later accepts any file in that folder as an upload. The server's Guard moves what an upload
stored into ``<upload folder>/users/<id of the user>/…`` before it answers with the new paths
(``claim``), and the upload handler takes only files in its own user's folder (``owned``): one
user's upload cannot be handed in by another, and nothing outside the folder is taken. Added
files are removed at once (``discard``); Gradio's ``delete_cache`` removes the rest within
two hours.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

USERS = "users"  # beside Gradio's own 64-hex-digit folders


def root() -> Path:
    """Gradio's upload folder (``GRADIO_TEMP_DIR``, else the system's temp folder)."""
    from gradio.utils import get_upload_folder  # gradio loads with the chat only

    return Path(get_upload_folder()).resolve()


def folder(who: str) -> Path:
    """The folder of ``who``'s uploads ("" = nobody signed in: a server without accounts)."""
    return root() / USERS / hashlib.sha256(f"user:{who}".encode()).hexdigest()[:24]


class Vanished(Exception):
    """A file an upload stored was gone before it could be moved (the same file, uploaded at the
    same moment by another user, was moved first)."""


def claim(who: str, stored: list[str]) -> list[str]:
    """Move the files an upload stored into ``who``'s folder; their new paths, in order."""
    top, mine = root(), folder(who)
    moved = []
    for path in stored:
        source = Path(path).resolve()
        if not source.is_relative_to(top) or source.is_relative_to(top / USERS):
            raise ValueError(f"not a file Gradio stored: {path}")
        target = mine / source.parent.name / source.name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)
        except FileNotFoundError as exc:
            raise Vanished(path) from exc
        _remove_empty(source.parent)
        moved.append(str(target))
    return moved


def owned(who: str | None, path: str) -> bool:
    """Is ``path`` a file in ``who``'s upload folder (None: in Gradio's upload folder)?"""
    try:
        return Path(path).resolve().is_relative_to(root() if who is None else folder(who))
    except (OSError, ValueError):
        return False


def discard(paths: list[str]) -> None:
    """Remove uploaded files (they are in the corpus now, or refused) and their emptied folders."""
    for path in paths:
        try:
            Path(path).unlink(missing_ok=True)
            _remove_empty(Path(path).parent)
        except OSError as exc:
            log.warning("could not remove the uploaded %s: %s", path, exc)


def _remove_empty(directory: Path) -> None:
    try:
        directory.rmdir()
    except OSError:
        pass  # not empty: another file of the same content and a different name
