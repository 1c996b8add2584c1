"""New files -> the corpus folder: what ``assistant add`` and the chat's upload put there.

Each file is read with its format's reader before it is copied, so an unreadable file (a
scan, a damaged DOCX, a file over the size limit) is named and skipped and never lands in
the corpus; a readable one is copied atomically (a temporary name, then a rename), so a
crash leaves either the old file or the new one. Folders are walked for the formats we
read; a link in a folder that leads out of it is skipped.

A new file never replaces or renames an article silently: a different file under a name the
corpus has (or under a stem it has, ``004.md`` beside ``004.txt``, which would change the
article's id and its saved citations) is saved under a free name (``004-2.md``) unless
``overwrite`` asks to update the article. A name the corpus cannot hold (hidden, over 200 bytes)
is made one it can. Not here: indexing (``pipeline.add_documents`` updates the index afterwards).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError
from .formats import NO_LIMITS_GIVEN, SUFFIXES, Limits, Unreadable
from .loading import inside, make_document, shown_path

NAME_BYTES = 200  # longest corpus file name (file systems allow 255 bytes; room for "-2" and temporary names)


@dataclass(frozen=True)
class Placed:
    source: str  # as the user named it
    name: str  # file name in the corpus ("" when skipped before naming)
    status: str  # "added", "updated", "unchanged" or "skipped"
    reason: str = ""  # why it was skipped
    reason_vi: str = ""  # the same in Vietnamese, for the chat's upload panel
    digest: str = ""  # SHA-256 of its bytes (what the live index records as the article's content_hash)


def candidates(paths: Iterable[Path]) -> list[tuple[Path, str, str]]:
    """Files to add: each named file, and every file of a supported format under each folder.

    Each comes with why it cannot be added, in English and in Vietnamese ("" when it can).
    """
    out: list[tuple[Path, str, str]] = []
    for path in paths:
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("."):
                    out.append((p, "", "") if inside(p, path) else
                               (p, "a link to a file outside the folder", "liên kết tới tệp nằm ngoài thư mục"))
        elif path.suffix.lower() in SUFFIXES and path.is_file():
            out.append((path, "", ""))
        elif path.is_file():
            kinds = ", ".join(SUFFIXES)
            out.append((path, f"unsupported file type {path.suffix or '(none)'} (use {kinds})",
                        f"không hỗ trợ loại tệp {path.suffix or '(không đuôi)'} (dùng {kinds})"))
        else:
            out.append((path, "no such file or folder", "không có tệp hay thư mục này"))
    return out


def corpus_name(name: str) -> str:
    """``name`` as the corpus can hold it: not hidden (the build skips dot files), at most NAME_BYTES."""
    name = name.lstrip(".") or "tai-lieu"
    stem, suffix = os.path.splitext(name)
    while len(f"{stem}{suffix}".encode()) > NAME_BYTES:
        stem = stem[:-1]
    return f"{stem.rstrip()}{suffix}"


def _free_name(corpus_dir: Path, name: str, data: bytes, stems: set[str]) -> tuple[str, bool]:
    """Where ``data`` goes: ``(name, same)`` when the corpus has it already (``same`` = equal bytes),
    else a name no file of the corpus uses, in full or as a stem (``stems``: the corpus's, casefolded)."""
    stem, suffix = os.path.splitext(name)
    for n in range(1, 10_000):
        candidate = name if n == 1 else f"{stem}-{n}{suffix}"
        target = corpus_dir / candidate
        if target.is_file() and target.read_bytes() == data:
            return candidate, True
        if not target.exists() and os.path.splitext(candidate)[0].casefold() not in stems:
            return candidate, False
    raise OSError(f"no free name for {name} in the corpus")


def place_files(paths: Iterable[Path], corpus_dir: Path, max_bytes: int,
                limits: Limits = NO_LIMITS_GIVEN, overwrite: bool = False) -> list[Placed]:
    """Copy each readable file of ``paths`` into ``corpus_dir``; what happened to each, in order.

    ``overwrite``: a file whose name the corpus has replaces that article ("updated"); without
    it the file is saved under a free name beside it.
    """
    corpus_dir.mkdir(parents=True, exist_ok=True)
    placed: list[Placed] = []
    sources: dict[str, Path] = {}
    stems = {p.stem.casefold() for p in corpus_dir.iterdir() if not p.name.startswith(".")}  # grows as files land
    for src, why, why_vi in candidates(paths):
        shown = shown_path(src)
        if why:
            placed.append(Placed(shown, "", "skipped", why, why_vi))
            continue
        name = corpus_name(src.name)
        if name in sources and sources[name].resolve() != src.resolve():
            placed.append(Placed(shown, name, "skipped", f"another file of this add is also named {name}",
                                 f"một tệp khác trong lần thêm này cũng tên là {name}"))
            continue
        sources[name] = src
        try:
            size = src.stat().st_size
            if size > max_bytes:
                raise Unreadable(f"{size / 1e6:.1f} MB, over the {max_bytes / 1e6:g} MB limit (max_file_mb)",
                                 f"{size / 1e6:.1f} MB, vượt giới hạn {max_bytes / 1e6:g} MB (max_file_mb)")
            data = src.read_bytes()
            make_document(Path(name), data, {}, limits=limits)  # readable? (the reader's reason if not)
        except (OSError, ValueError) as exc:
            placed.append(Placed(shown, name, "skipped", str(exc), _vietnamese(exc)))
            continue
        digest = hashlib.sha256(data).hexdigest()
        target = corpus_dir / name
        if overwrite and target.is_file():
            same, status, why, why_vi = target.read_bytes() == data, "updated", "", ""
        else:
            free, same = _free_name(corpus_dir, name, data, stems)
            status = "added"
            why, why_vi = "", ""
            if free != name and not same:
                why = f"the corpus has another file named {_stem_or_name(corpus_dir, name)}; saved as {free}"
                why_vi = f"kho đã có một tệp khác tên {_stem_or_name(corpus_dir, name)}; lưu thành {free}"
            name, target = free, corpus_dir / free
        if same:
            placed.append(Placed(shown, name, "unchanged", digest=digest))
            continue
        tmp = corpus_dir / f".adding-{os.getpid()}-{uuid.uuid4().hex[:8]}{target.suffix}"
        try:
            tmp.write_bytes(data)
            shutil.copystat(src, tmp)
            os.replace(tmp, target)
        except OSError as exc:
            placed.append(Placed(shown, name, "skipped", f"cannot write it into the corpus ({exc.strerror or exc})",
                                 f"không ghi được vào kho ({exc.strerror or exc})"))
            continue
        finally:
            tmp.unlink(missing_ok=True)
        stems.add(Path(name).stem.casefold())
        placed.append(Placed(shown, name, status, why, why_vi, digest=digest))
    return placed


def _stem_or_name(corpus_dir: Path, name: str) -> str:
    """The corpus file ``name`` collides with: itself, or a file sharing its stem."""
    if (corpus_dir / name).exists():
        return name
    stem = os.path.splitext(name)[0].casefold()
    return next((p.name for p in sorted(corpus_dir.iterdir()) if p.stem.casefold() == stem), name)


def _vietnamese(exc: Exception) -> str:
    """Why a file was not added, for the chat: the reader's own Vietnamese, else the OS error."""
    if isinstance(exc, Unreadable):
        return exc.vi
    if isinstance(exc, PermissionError):
        return f"không có quyền đọc tệp ({exc.strerror or exc})"
    if isinstance(exc, OSError):
        return f"không đọc được tệp ({exc.strerror or exc})"
    if isinstance(exc, UnicodeError):
        return "tệp văn bản không phải mã UTF-8"
    return f"không đọc được tệp ({exc})"


# --- taking articles out ---------------------------------------------------------------------
REMOVED_DIR = ".removed"  # in the corpus folder: hidden, so no build reads it


@dataclass(frozen=True)
class Withdrawn:
    target: str  # as the user named it: an article id, a file name or a path
    name: str  # the corpus file ("" when none matched)
    status: str  # "removed" or "skipped"
    reason: str = ""  # why it was skipped, or "a copy of X" for a republication taken with it
    kept: str = ""  # where the file now is (recoverable: move it back and index)


REMOVED_METADATA = "removed-metadata.json"  # beside the removed files: their entries, to copy back


def _unlinked(path: Path) -> Path:
    """``path`` made absolute, its folder's links followed but not its own: naming a link in the
    corpus names that link's article, not the file it points to."""
    path = Path(os.path.abspath(path))
    return path.parent.resolve() / path.name


def resolve_article(target: str, corpus_dir: Path) -> Path | None:
    """The corpus file that ``target`` names: its article id, its file name, or its path."""
    from .loading import corpus_files, document_ids

    files = corpus_files(corpus_dir)
    ids = document_ids(files)
    for p in files:
        if target in (ids[p], p.name):
            return p
    path = _unlinked(Path(target))
    return next((p for p in files if _unlinked(p) == path), None)


def withdraw_files(targets: Iterable[str], corpus_dir: Path, copies: dict[str, list[str]] | None = None,
                   live: set[str] | None = None) -> list[Withdrawn]:
    """Move each named article out of ``corpus_dir`` into ``corpus/.removed/<time>/``, its
    ``metadata.json`` entry beside it (``removed-metadata.json``): the next build leaves it
    out, and nothing is lost. ``copies`` (article id -> the ids of its republications the live
    build recorded) go with it, or the next build would answer from a copy. The last article
    of the live build (``live``: its article ids; else the corpus's files) is never taken: an
    index needs one. Files move first, then the entries: a crash between leaves an entry with
    no file (reported by the next build), never an article without its metadata."""
    from .loading import METADATA_FILE, corpus_files, document_ids

    files = corpus_files(corpus_dir)
    ids = document_ids(files)
    by_id = {ids[p]: p for p in files}
    chosen: dict[Path, Withdrawn] = {}
    out: list[Withdrawn] = []
    for target in targets:
        path = resolve_article(target, corpus_dir)
        if path is None:
            out.append(Withdrawn(shown_path(target), "", "skipped", "no article of the corpus has this id, name or path"))
            continue
        chosen.setdefault(path, Withdrawn(shown_path(target), path.name, "removed"))
        for copy_id in (copies or {}).get(ids[path], []):
            if copy_id in by_id:
                chosen.setdefault(by_id[copy_id], Withdrawn(copy_id, by_id[copy_id].name, "removed",
                                                            f"a copy of {ids[path]}"))
    # the articles the next build still has: the live build's, but what left the folder since
    left = ((live & set(by_id)) if live is not None else set(by_id)) - {ids[p] for p in chosen}
    if chosen and not left:
        return out + [replace_status(w, "skipped", "the last articles of the index: it needs at least one")
                      for w in chosen.values()]
    if not chosen:
        return out
    folder = corpus_dir / REMOVED_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    try:
        folder.mkdir(parents=True)
    except OSError as exc:
        raise CorpusError(f"cannot make {shown_path(folder)}: {exc.strerror or exc}") from exc
    moved: list[Path] = []
    for path, w in chosen.items():  # each on its own: one that cannot move leaves the others removed
        try:
            os.replace(path, folder / path.name)
        except OSError as exc:
            out.append(replace_status(w, "skipped", f"cannot move it: {exc.strerror or exc}"))
            continue
        moved.append(path)
        out.append(replace_status(w, "removed", w.reason, kept=str(folder / path.name)))
    try:
        with metadata_lock(corpus_dir):
            _withdraw_metadata(corpus_dir / METADATA_FILE, corpus_dir, folder,
                               {k for p in moved for k in (p.name, ids[p])})
    except OSError as exc:  # the files are out; their entries stay, and the next build names them
        out.append(Withdrawn(METADATA_FILE, METADATA_FILE, "skipped",
                             f"the removed articles' entries stay in it: {exc.strerror or exc}"))
    return out


def _withdraw_metadata(meta_path: Path, corpus_dir: Path, folder: Path, keys: set[str]) -> None:
    """The entries of ``keys`` out of ``metadata.json`` into ``folder``'s removed-metadata.json."""
    meta = _read_metadata(meta_path) if inside(meta_path, corpus_dir) else {}  # never through a link out
    articles = meta.get("articles", meta)  # {"articles": {...}} or the entries at the top
    if not isinstance(articles, dict):
        return
    taken = {key: articles.pop(key) for key in sorted(keys) if isinstance(articles.get(key), dict)}
    if not taken:
        return
    (folder / REMOVED_METADATA).write_text(json.dumps({"articles": taken}, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp = corpus_dir / f".metadata-{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
    try:
        tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
        os.replace(tmp, meta_path)
    finally:
        tmp.unlink(missing_ok=True)


def replace_status(w: Withdrawn, status: str, reason: str, kept: str = "") -> Withdrawn:
    return Withdrawn(w.target, w.name, status, reason, kept)


def _read_metadata(path: Path) -> dict:
    """``metadata.json`` as it is, or {} when it cannot be used (then nothing of it is changed)."""
    try:
        meta = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


@contextmanager
def metadata_lock(corpus_dir: Path) -> Iterator[None]:
    """One change to ``metadata.json`` at a time, across processes (a fetch of the feeds, a removal)."""
    import fcntl

    with open(corpus_dir / ".metadata.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def metadata_for_update(corpus_dir: Path) -> dict:
    """``metadata.json`` to add entries to: {} when there is none; CorpusError naming it when it
    cannot be read or is not an object (then nothing is written over it)."""
    from .loading import METADATA_FILE

    path = corpus_dir / METADATA_FILE
    if not path.exists():
        return {}
    try:
        meta = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise CorpusError(f"{shown_path(path)} cannot be read ({exc}); fix it before fetching feeds") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("articles", {}), dict):
        raise CorpusError(f"{shown_path(path)} is not an object of articles; fix it before fetching feeds")
    return meta


def record_metadata(corpus: Path, entries: dict[str, dict]) -> None:
    """``entries`` (keyed by corpus file name) into ``metadata.json``, atomically, under its lock;
    the other entries unchanged. CorpusError when the file cannot be read (nothing is written)."""
    from .loading import METADATA_FILE

    if not entries:
        return
    with metadata_lock(corpus):
        meta = metadata_for_update(corpus)
        articles = meta.setdefault("articles", {}) if "articles" in meta or not meta else meta
        for name, entry in entries.items():
            key = Path(name).stem
            articles[key] = {**articles.get(key, {}), **entry}
        tmp = corpus / f".metadata-{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
        try:
            tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
            os.replace(tmp, corpus / METADATA_FILE)
        finally:
            tmp.unlink(missing_ok=True)
