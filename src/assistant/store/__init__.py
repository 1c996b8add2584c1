"""Stores of chunk vectors behind one seam (``base.Store``), and the index folder (``disk``).

``new_store`` makes the Store a build writes into, as ``settings.store`` names it;
``open_store`` reopens the one a build's manifest names. Adding a store is one class
and one line here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..config import Settings
from ..documents import Chunk, Document
from ..errors import ConfigError, IndexCorruptError
from .base import Store, citation_metadata

STORES = ("faiss", "milvus")

__all__ = ["STORES", "Store", "citation_metadata", "milvus_uri", "new_store", "open_store"]


def milvus_uri(settings: Settings) -> str:
    return settings.milvus_uri or str(settings.index_dir / "milvus.db")


def new_store(settings: Settings, embedding: Any, dim: int, model_id: str, *, fresh: bool = False) -> Store:
    """An empty Store for a new build, as the settings ask."""
    if settings.store == "faiss":
        from .faiss import FaissStore

        return FaissStore(embedding, dim, kind=settings.faiss_index)
    if settings.store == "milvus":
        from .milvus import MilvusStore

        return MilvusStore(embedding, dim, uri=milvus_uri(settings), collection=settings.milvus_collection,
                           model_id=model_id, writing=True, fresh=fresh)
    raise ConfigError(f"unknown store {settings.store!r}", hint=f"use one of: {', '.join(STORES)}")


def open_store(entry: Mapping[str, Any], folder: Path, embedding: Any, dim: int, model_id: str,
               chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> Store:
    """The Store a build's manifest describes (``entry`` is its "store")."""
    name = entry.get("name")
    if name == "faiss":
        from .faiss import FaissStore

        return FaissStore.load(folder, embedding, dim, chunks, documents, kind=str(entry.get("kind", "flat")))
    if name == "milvus":
        from .milvus import MilvusStore

        return MilvusStore(embedding, dim, chunks, documents, uri=str(entry.get("uri")),
                           collection=str(entry.get("collection")), model_id=model_id)
    raise IndexCorruptError(f"the manifest in {folder} names an unknown store {name!r}")
