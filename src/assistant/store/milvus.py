"""The Milvus Store: chunk vectors in a Milvus collection, past one machine's memory.

``milvus_uri`` is a local file (the embedded Milvus Lite: tests use it; one process at a
time) or ``http://host:19530`` (a Milvus server or cluster); nothing else changes. One
collection keyed by chunk id serves every build of one index folder: an update inserts only
chunks whose id is new and deletes the rows of removed chunks; rows no build uses (left by a
killed build) are deleted once the next build is live (``commit``), and searches ignore them
meanwhile. Every process loads the collection when it opens it (a server releases it otherwise).

Where the server offers it (Milvus 2.5 and later, Milvus Lite), the collection also holds each
chunk's word-segmented terms with Milvus's own BM25 (``lexical_search``), for deployments that
want full-text search inside Milvus; an older server (2.3, 2.4) gets the vectors alone, which
is all our retriever needs: its BM25 is the build folder's own (``full_text`` says which).

pymilvus is imported here and nowhere else; without it the error says what to install.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..documents import Chunk, Document
from ..errors import StoreError
from ..vietnamese import index_terms
from .base import Store

log = logging.getLogger(__name__)

BATCH = 1000
SAMPLE = 1000  # ids ``check`` looks up (every chunk's is too many at a million)
_LABEL = "assistant.embedder"  # collection property: the model whose vectors it holds
_TERMS_BYTES = 60_000  # a VARCHAR holds 65,535 bytes


def _pymilvus():
    try:
        import pymilvus
    except ImportError as exc:
        raise StoreError("store \"milvus\" needs pymilvus", hint='pip install "assistant[milvus]"') from exc
    return pymilvus


def is_local(uri: str) -> bool:
    return not uri.startswith(("http://", "https://", "tcp://", "grpc://"))


def connect(uri: str) -> Any:
    pymilvus = _pymilvus()
    if not is_local(uri):
        try:
            return pymilvus.MilvusClient(uri)
        except Exception as exc:  # pymilvus raises several kinds; each means "cannot reach it"
            raise StoreError(f"cannot reach Milvus at {uri}: {exc}", hint="is the Milvus server running?") from exc
    Path(uri).parent.mkdir(parents=True, exist_ok=True)
    # subtle: Milvus Lite logs a full traceback when its file is locked; our one line says it instead
    lite = logging.getLogger("milvus_lite")
    level = lite.level
    lite.setLevel(logging.CRITICAL)
    try:
        return pymilvus.MilvusClient(uri)
    except Exception as exc:
        raise StoreError(f"cannot open Milvus at {uri}: the Milvus Lite file is in use or unreadable",
                         hint="Milvus Lite opens its file in one process at a time: stop the other assistant "
                              "(e.g. a running chat) or use a Milvus server (milvus_uri = http://HOST:19530)") from exc
    finally:
        lite.setLevel(level)


def _terms(chunk: Chunk) -> str:
    text = " ".join(index_terms(f"{chunk.title}\n{chunk.text}"))
    return text.encode()[:_TERMS_BYTES].decode(errors="ignore") or "∅"


class MilvusStore(Store):
    name = "milvus"

    def __init__(self, embedding: Any, dim: int, chunks: Sequence[Chunk] = (),
                 documents: Mapping[str, Document] | None = None, *, uri: str = "milvus.db",
                 collection: str = "assistant_chunks", model_id: str = "", writing: bool = False,
                 fresh: bool = False, client: Any = None) -> None:
        super().__init__(embedding, dim, chunks, documents)
        self.uri, self.collection = uri, collection
        self.client = client or connect(uri)
        # subtle: chunk ids hash text, not vectors; a collection filled by another embedder
        # would pass its vectors off as ours, so it is emptied (as is every --rebuild)
        self.label = f"{model_id} dim={dim}"
        if writing:
            if fresh or (self.client.has_collection(collection) and self._label() != self.label):
                self.client.drop_collection(collection)
            self._ensure_collection()
        self.full_text = False  # does the collection hold Milvus's BM25 (lexical_search)?
        if self.client.has_collection(collection):
            fields = self.client.describe_collection(collection).get("fields") or []
            self.full_text = any(f.get("name") == "sparse" for f in fields)
            self._load()
        self._stale: set[str] = set()

    def _load(self) -> None:
        """Load the collection for searches and lookups (a new process finds it released)."""
        try:
            self.client.load_collection(self.collection)
        except Exception as exc:  # pymilvus raises several kinds; each means "cannot search it"
            raise StoreError(f"cannot load the Milvus collection {self.collection!r} at {self.uri}: {exc}",
                             hint="is the Milvus server running, with memory for the collection?") from exc

    def _label(self) -> str:
        return str((self.client.describe_collection(self.collection).get("properties") or {}).get(_LABEL, ""))

    def _ensure_collection(self) -> None:
        if self.client.has_collection(self.collection):
            return
        try:
            self._create(full_text=True)
        except Exception as exc:  # noqa: BLE001 - a server without BM25 functions or sparse vectors
            if self.client.has_collection(self.collection):  # created, then its BM25 index refused
                self.client.drop_collection(self.collection)
            log.info("Milvus at %s has no BM25 function (%s): the vectors alone go there", self.uri, exc)
            self._create(full_text=False)

    def _create(self, full_text: bool) -> None:
        pm = _pymilvus()
        schema = self.client.create_schema(auto_id=False)
        schema.add_field("id", pm.DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("vector", pm.DataType.FLOAT_VECTOR, dim=self.dim)
        schema.add_field("doc_id", pm.DataType.VARCHAR, max_length=1024)
        params = self.client.prepare_index_params()
        # exact search on Milvus Lite (the same passages as FAISS flat); the server picks its own index
        params.add_index("vector", index_type="FLAT" if is_local(self.uri) else "AUTOINDEX", metric_type="IP")
        if full_text:
            # subtle: our terms are already word-segmented ("ngoại_vụ"); the standard tokenizer keeps
            # "_" inside a word (Unicode word boundaries), so Milvus's BM25 counts the same words as ours
            schema.add_field("terms", pm.DataType.VARCHAR, max_length=65535, enable_analyzer=True,
                             analyzer_params={"tokenizer": "standard"})
            schema.add_field("sparse", pm.DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(pm.Function(name="bm25", function_type=pm.FunctionType.BM25,
                                            input_field_names=["terms"], output_field_names=["sparse"]))
            params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        # Strong: a build reads back (which ids are there, how many) what it has just written
        self.client.create_collection(self.collection, schema=schema, index_params=params,
                                      properties={_LABEL: self.label}, consistency_level="Strong")

    def _present(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(ids), BATCH):
            part = list(ids[i : i + BATCH])
            rows = self.client.get(self.collection, ids=part, output_fields=["id"])
            found.update(r["id"] for r in rows)
        return found

    def _total(self) -> int:
        """Rows in the collection, rows no build uses included (one query)."""
        rows = self.client.query(self.collection, filter="", output_fields=["count(*)"],
                                 consistency_level="Strong")
        return int(rows[0]["count(*)"]) if rows else 0

    def _all_ids(self) -> set[str]:
        ids: set[str] = set()
        # subtle: Milvus Lite lacks the timestamp call the iterator tries first; pymilvus falls
        # back by itself, but the lite server logs a traceback for it. It is not an error here.
        quiet = [logging.getLogger(n) for n in ("grpc._server", "pymilvus")]
        levels = [q.level for q in quiet]
        for q in quiet:
            q.setLevel(logging.CRITICAL)
        try:
            it = self.client.query_iterator(self.collection, batch_size=BATCH, filter="", output_fields=["id"])
            while batch := it.next():
                ids.update(r["id"] for r in batch)
            it.close()
        finally:
            for q, level in zip(quiet, levels):
                q.setLevel(level)
        return ids

    # --- Store ---------------------------------------------------------------------------
    def search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:  # type: ignore[override]
        if not self.chunks:
            return []
        # subtle: rows left by a killed build (not in this build) are skipped, so ask for a few more
        res = self.client.search(self.collection, data=[np.asarray(vector, dtype=np.float32).ravel().tolist()],
                                 anns_field="vector", limit=min(k + 16, 16_384), output_fields=["id"],
                                 search_params={"metric_type": "IP"})
        hits = [(self._row[h["id"]], float(h["distance"])) for h in res[0] if h["id"] in self._row]
        return hits[:k]

    def lexical_search(self, terms: Sequence[str], k: int) -> list[tuple[int, float]]:
        """Milvus's BM25 over the chunks' segmented terms (``vietnamese.index_terms``)."""
        if not self.full_text:
            raise StoreError(f"the Milvus collection {self.collection!r} at {self.uri} has no BM25 "
                             "(Milvus 2.5 and later have it); the assistant's own BM25 ranks words")
        if not self.chunks or not terms:
            return []
        res = self.client.search(self.collection, data=[" ".join(terms)], anns_field="sparse",
                                 limit=min(k + 16, 16_384), output_fields=["id"],
                                 search_params={"metric_type": "BM25"})
        return [(self._row[h["id"]], float(h["distance"])) for h in res[0] if h["id"] in self._row][:k]

    def count(self) -> int:
        return len(self._present([c.chunk_id for c in self.chunks]))

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        present = self._present([c.chunk_id for c in chunks])
        rows = [{"id": c.chunk_id, "vector": v.tolist(), "doc_id": c.doc_id}
                | ({"terms": _terms(c)} if self.full_text else {})
                for c, v in zip(chunks, vectors) if c.chunk_id not in present]
        for i in range(0, len(rows), BATCH):
            self.client.insert(self.collection, rows[i : i + BATCH])
        self.chunks.extend(chunks)
        self._reindex()

    def remove(self, chunk_ids: Iterable[str]) -> int:
        ids = [i for i in chunk_ids if i in self._row]
        for i in range(0, len(ids), BATCH):
            self.client.delete(self.collection, ids=ids[i : i + BATCH])
        drop = set(ids)
        self.chunks = [c for c in self.chunks if c.chunk_id not in drop]
        self._reindex()
        return len(ids)

    def vectors_of(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        ids = [i for i in chunk_ids if i in self._row]
        for i in range(0, len(ids), BATCH):
            for r in self.client.get(self.collection, ids=ids[i : i + BATCH], output_fields=["vector"]):
                out[r["id"]] = np.asarray(r["vector"], dtype=np.float32)
        return out

    def save(self, folder: Path) -> dict[str, Any]:
        # subtle: every chunk of this build is in the collection (``add`` made sure), so a total
        # above the chunk count means rows of a killed build: only then are all ids listed
        self._stale = self._all_ids() - set(self._row) if self._total() != len(self.chunks) else set()
        return {"name": self.name, "uri": self.uri, "collection": self.collection}

    def commit(self) -> None:
        """The new build is live: rows no build uses any more go."""
        stale = sorted(self._stale)
        for i in range(0, len(stale), BATCH):
            self.client.delete(self.collection, ids=stale[i : i + BATCH])
        self._stale = set()

    def check(self) -> list[str]:
        """Cheap at a million chunks: the row count, and up to ``SAMPLE`` ids spread over the chunks."""
        if not self.client.has_collection(self.collection):
            return [f"Milvus collection {self.collection!r} at {self.uri} is missing"]
        if self._label() != self.label:
            return [f"Milvus collection {self.collection!r} holds vectors of {self._label()!r}, not {self.label!r}"]
        total, step = self._total(), max(1, len(self.chunks) // SAMPLE)
        sample = [c.chunk_id for c in self.chunks[::step]]
        if total < len(self.chunks) or len(self._present(sample)) != len(sample):
            return [(f"Milvus collection {self.collection!r} lacks vectors of this build's chunks "
                     f"({total} rows for {len(self.chunks)} chunks)")]
        return []

    def close(self) -> None:
        self.client.close()
