"""Stores of chunk vectors behind one seam (``base.Store``), and the index folder (``disk``).

``new_store`` makes the Store a build writes into, as ``settings.store`` names it;
``open_store`` reopens the one a build's manifest names. Adding a store is one class and one
``STORES.register`` call (the registry pattern of every pluggable family, ``config.Registry``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Registry, Settings
from ..documents import Chunk, Document
from ..errors import IndexCorruptError
from .base import Store, citation_metadata


@dataclass(frozen=True)
class StoreKind:
    new: Callable[..., Store]  # (settings, embedding, dim, model_id, fresh) -> an empty Store for a build
    open: Callable[..., Store]  # (manifest entry, folder, embedding, dim, model_id, chunks, documents)


STORES: Registry[StoreKind] = Registry("store")

__all__ = ["STORES", "Store", "citation_metadata", "milvus_collection", "milvus_uri", "new_store", "open_store"]


def milvus_uri(settings: Settings) -> str:
    return settings.milvus_uri or str(settings.index_dir / "milvus.db")


def milvus_collection(settings: Settings) -> str:
    """The collection a build writes: the setting, else one of the index folder's own.

    subtle: a build deletes the collection's rows that it does not use, so two index folders
    sharing one collection on one server would delete each other's vectors. (A build is read
    from the collection its manifest names, wherever the folder is mounted.)
    """
    if settings.milvus_collection:
        return settings.milvus_collection
    where = str(settings.index_dir.resolve())
    return "assistant_" + hashlib.sha256(where.encode()).hexdigest()[:16]


def new_store(settings: Settings, embedding: Any, dim: int, model_id: str, *, fresh: bool = False) -> Store:
    """An empty Store for a new build, as the settings ask."""
    return STORES.get(settings.store).new(settings, embedding, dim, model_id, fresh)


def open_store(entry: Mapping[str, Any], folder: Path, embedding: Any, dim: int, model_id: str,
               chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> Store:
    """The Store a build's manifest describes (``entry`` is its "store")."""
    name = entry.get("name")
    if name not in STORES:
        raise IndexCorruptError(f"the manifest in {folder} names an unknown store {name!r}")
    return STORES.get(str(name)).open(entry, folder, embedding, dim, model_id, chunks, documents)


# --- the built-in stores: each imports its library only when chosen --------------------------
def _new_faiss(settings: Settings, embedding: Any, dim: int, model_id: str, fresh: bool) -> Store:
    from .faiss import FaissStore

    return FaissStore(embedding, dim, kind=settings.faiss_index)


def _open_faiss(entry: Mapping[str, Any], folder: Path, embedding: Any, dim: int, model_id: str,
                chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> Store:
    from .faiss import FaissStore

    return FaissStore.load(folder, embedding, dim, chunks, documents, kind=str(entry.get("kind", "flat")))


def _new_milvus(settings: Settings, embedding: Any, dim: int, model_id: str, fresh: bool) -> Store:
    from .milvus import MilvusStore

    return MilvusStore(embedding, dim, uri=milvus_uri(settings), collection=milvus_collection(settings),
                       model_id=model_id, writing=True, fresh=fresh)


def _open_milvus(entry: Mapping[str, Any], folder: Path, embedding: Any, dim: int, model_id: str,
                 chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> Store:
    from .milvus import MilvusStore

    return MilvusStore(embedding, dim, chunks, documents, uri=str(entry.get("uri")),
                       collection=str(entry.get("collection")), model_id=model_id)


STORES.register("faiss", StoreKind(_new_faiss, _open_faiss))  # files in the index folder, one machine
STORES.register("milvus", StoreKind(_new_milvus, _open_milvus))  # a Milvus server, or Milvus Lite
