"""New files -> the corpus folder: what ``assistant add`` and the chat's upload put there.

Each file is read with its format's reader before it is copied, so an unreadable file (a
scan, a damaged DOCX, a file over the size limit) is named and skipped and never lands in
the corpus; a readable one is copied atomically (a temporary name, then a rename), so a
crash leaves either the old file or the new one. Folders are walked for the formats we
read. Not here: indexing (``pipeline.add_documents`` updates the index afterwards).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .formats import SUFFIXES, Unreadable
from .loading import make_document, shown_path


@dataclass(frozen=True)
class Placed:
    source: str  # as the user named it
    name: str  # file name in the corpus ("" when skipped before naming)
    status: str  # "added", "updated", "unchanged" or "skipped"
    reason: str = ""  # why it was skipped
    reason_vi: str = ""  # the same in Vietnamese, for the chat's upload panel


def candidates(paths: Iterable[Path]) -> list[tuple[Path, str, str]]:
    """Files to add: each named file, and every file of a supported format under each folder.

    Each comes with why it cannot be added, in English and in Vietnamese ("" when it can).
    """
    out: list[tuple[Path, str, str]] = []
    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("."):
                    out.append((p, "", ""))
        elif path.suffix.lower() in SUFFIXES and path.is_file():
            out.append((path, "", ""))
        elif path.is_file():
            kinds = ", ".join(SUFFIXES)
            out.append((path, f"unsupported file type {path.suffix or '(none)'} (use {kinds})",
                        f"không hỗ trợ loại tệp {path.suffix or '(không đuôi)'} (dùng {kinds})"))
        else:
            out.append((path, "no such file or folder", "không có tệp hay thư mục này"))
    return out


def place_files(paths: Iterable[Path], corpus_dir: Path, max_bytes: int) -> list[Placed]:
    corpus_dir.mkdir(parents=True, exist_ok=True)
    placed: list[Placed] = []
    taken: dict[str, Path] = {}
    for src, why, why_vi in candidates(paths):
        shown = shown_path(src)
        if why:
            placed.append(Placed(shown, "", "skipped", why, why_vi))
            continue
        name = src.name
        if name in taken and taken[name].resolve() != src.resolve():
            placed.append(Placed(shown, name, "skipped", f"another file of this add is also named {name}",
                                 f"một tệp khác trong lần thêm này cũng tên là {name}"))
            continue
        taken[name] = src
        try:
            size = src.stat().st_size
            if size > max_bytes:
                raise Unreadable(f"{size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit (max_file_mb)",
                                 f"{size / 1e6:.1f} MB, vượt giới hạn {max_bytes / 1e6:g} MB (max_file_mb)")
            data = src.read_bytes()
            make_document(Path(name), data, {})  # readable? (the reader's reason if not)
        except (OSError, ValueError) as exc:
            placed.append(Placed(shown, name, "skipped", str(exc), _vietnamese(exc)))
            continue
        target = corpus_dir / name
        if target.is_file() and target.read_bytes() == data:
            placed.append(Placed(shown, name, "unchanged"))
            continue
        status = "updated" if target.exists() else "added"
        tmp = corpus_dir / f".adding-{os.getpid()}-{name}"
        try:
            tmp.write_bytes(data)
            shutil.copystat(src, tmp)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        placed.append(Placed(shown, name, status))
    return placed


def _vietnamese(exc: Exception) -> str:
    """Why a file was not added, for the chat: the reader's own Vietnamese, else the OS error."""
    if isinstance(exc, Unreadable):
        return exc.vi
    if isinstance(exc, PermissionError):
        return f"không có quyền đọc tệp ({exc.strerror or exc})"
    if isinstance(exc, OSError):
        return f"không đọc được tệp ({exc.strerror or exc})"
    return str(exc)
