"""Builds on a Ray cluster: word segmentation and embedding spread over its nodes.

``assistant index --ray ADDRESS`` (setting ``ray_address``): ``ray://HOST:10001`` or
``HOST:6379`` joins a running cluster, ``auto`` the cluster this machine belongs to, ``local``
starts one on this machine. Reading and chunking stay on this machine (they are a small part
of a build); each chunk's BM25 terms are segmented in Ray tasks, and the texts are embedded
by Ray actors, one per CPU of the cluster, each holding the embedder the settings name.
The build is the same as a local one: the same chunks and terms, byte for byte, and vectors
from the same model in the same batches of 16. Every node needs this package installed (the
same version) and, for an embedding server, to reach it.

Ray is imported here and nowhere else; without it the error says what to install.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import BackendError
from .embedding import Progress, VectorEmbeddings, make_embedder

TERMS_BATCH = 256  # chunks per segmentation task
EMBED_BATCH = 64  # texts per embedding call (a multiple of the local batch of 16: the same batches)


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise BackendError("builds on a Ray cluster need ray", hint='pip install "assistant[ray]"') from exc
    return ray


def connect(address: str) -> Any:
    """Join (or, for "local", start) the cluster; the ``ray`` module."""
    ray = _ray()
    if not ray.is_initialized():
        try:
            ray.init(address=None if address == "local" else address, ignore_reinit_error=True,
                     include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        except Exception as exc:  # ConnectionError, ValueError, RuntimeError: each means "no cluster there"
            raise BackendError(f"cannot join the Ray cluster at {address}: {exc}",
                               hint="is it running? (ray start --head), or use --ray local") from exc
    return ray


def _segment(texts: list[str]) -> list[tuple[list[str], list[str]]]:
    from ..vietnamese import index_terms_both

    return [index_terms_both(t) for t in texts]


def chunk_terms(texts: Sequence[str], address: str) -> list[tuple[list[str], list[str]]]:
    """``vietnamese.index_terms_both`` of every text, segmented in Ray tasks, in order."""
    ray = connect(address)
    task = ray.remote(_segment)
    futures = [task.remote(list(texts[i : i + TERMS_BATCH])) for i in range(0, len(texts), TERMS_BATCH)]
    return [pair for part in ray.get(futures) for pair in part]


class _Embedder:
    """A Ray actor holding one embedder."""

    def __init__(self, spec: str, base_url: str, api_key: str | None, batch: int) -> None:
        self.embedder = make_embedder(spec, base_url, api_key, batch)

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.embedder.passages(texts)


class RayEmbeddings(VectorEmbeddings):
    """``local``'s vectors, with passages embedded by actors on the cluster (queries stay here)."""

    def __init__(self, local: VectorEmbeddings, address: str, spec: str, base_url: str = "",
                 api_key: str | None = None, batch: int = 64) -> None:
        ray = connect(address)
        self.local, self.dim, self.model_id = local, local.dim, local.model_id
        actor = ray.remote(_Embedder)
        n = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self._actors = [actor.remote(spec, base_url, api_key, batch) for _ in range(n)]

    def passages(self, texts: Sequence[str], progress: Progress | None = None, batch: int = 16) -> np.ndarray:
        from ray.util import ActorPool

        parts = [list(texts[i : i + EMBED_BATCH]) for i in range(0, len(texts), EMBED_BATCH)]
        out = []
        for vecs in ActorPool(self._actors).map(lambda a, part: a.passages.remote(part), parts):  # in order
            out.append(np.asarray(vecs, dtype=np.float32))
            if progress:
                progress(len(vecs))
        return np.concatenate(out) if out else np.zeros((0, self.dim), dtype=np.float32)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return self.local._encode(texts, is_query)
