"""The one object the CLI, the chat UI and the evaluation share: load once, ask many.

``Assistant.open(settings)`` loads the embedder and the index (refusing an index built with
other settings); ``search`` returns passages, ``ask`` returns a cited Answer. Questions are
validated here, so every front end rejects an empty or over-long question the same way.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .answering import ExtractiveAnswerer
from .config import Settings
from .documents import Answer, ScoredChunk
from .embedding import VectorEmbeddings, make_embedder
from .errors import QuestionError
from .index import LoadedIndex, load_index
from .retrieval import Retriever
from .vietnamese import clean_input

if TYPE_CHECKING:
    from .generation import GenerativeAnswerer


def validate_question(question: str, max_chars: int) -> str:
    """The question as every stage expects it (see ``clean_input``), or a QuestionError."""
    q = clean_input(question or "").strip()
    if not q:
        raise QuestionError("the question is empty", hint="type a question, e.g. \"Sở Ngoại vụ Hà Nội thành lập khi nào?\"")
    if len(q) > max_chars:
        raise QuestionError(
            f"the question is {len(q)} characters long; the limit is {max_chars}",
            hint="ask a shorter question (or raise max_question_chars)",
        )
    return q


@dataclass
class Assistant:
    settings: Settings
    embedder: VectorEmbeddings
    index: LoadedIndex
    retriever: Retriever
    answerer: ExtractiveAnswerer | GenerativeAnswerer

    @classmethod
    def open(cls, settings: Settings, embedder: VectorEmbeddings | None = None, mode: str = "hybrid") -> Assistant:
        index = load_index(settings)  # cheap checks first: no model load for a missing index
        embedder = embedder or make_embedder(settings.embedder)
        retriever = Retriever(index, embedder, candidates=settings.candidates, rrf_k=settings.rrf_k, mode=mode)
        answerer = ExtractiveAnswerer(index, retriever, embedder, max_sentences=settings.answer_sentences)
        if settings.backend != "extractive":  # an LLM writes, the extractive answerer is its fallback
            from .generation import make_generative_answerer

            answerer = make_generative_answerer(settings, answerer)
        return cls(settings, embedder, index, retriever, answerer)

    def search(self, question: str, k: int | None = None) -> tuple[list[ScoredChunk], dict[str, float]]:
        q = validate_question(question, self.settings.max_question_chars)
        t0 = time.perf_counter()
        hits = self.retriever.search(q, k or self.settings.k)
        return hits, {"retrieval": (time.perf_counter() - t0) * 1000}

    def ask(self, question: str, k: int | None = None) -> Answer:
        q = validate_question(question, self.settings.max_question_chars)
        return self.answerer.answer(q, k or self.settings.k)

    def ask_stream(self, question: str, k: int | None = None) -> Iterator[str | Answer]:
        """Yield fragments of the answer text as they are ready, then the final Answer.

        The extractive backend has its whole answer at once; it still streams sentence by
        sentence so every front end can treat all backends alike. Generative backends yield
        each sentence of the model's answer once it is finished and verified.
        """
        if hasattr(self.answerer, "stream"):
            q = validate_question(question, self.settings.max_question_chars)
            yield from self.answerer.stream(q, k or self.settings.k)
            return
        answer = self.ask(question, k)
        for piece in re.split(r"(?<=\]) ", answer.text):
            yield piece + " "
        yield answer


def available_backends(settings: Settings) -> list[str]:
    """Answer backends whose packages are installed (the chat UI offers these)."""
    from .chat_models import available_backends as listed

    return listed(settings)
