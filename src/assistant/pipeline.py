"""The one object the CLI, the chat UI and the evaluation share: load once, ask many.

``Assistant.open(settings)`` loads the embedder and the index (refusing an index built with
other settings); ``search`` returns passages, ``ask`` returns a cited Answer. Questions are
validated here, so every front end rejects an empty or over-long question the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .answer import backends
from .answer.backends import Answerer
from .answer.extractive import ExtractiveAnswerer
from .config import Settings
from .documents import Answer, ScoredChunk
from .errors import QuestionError
from .ingest.embedding import VectorEmbeddings, make_embedder
from .retrieve.hybrid import Retriever
from .store.disk import LoadedIndex, load_index
from .vietnamese import clean_input


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
    answerer: Answerer

    @classmethod
    def open(cls, settings: Settings, embedder: VectorEmbeddings | None = None, mode: str = "hybrid") -> Assistant:
        index = load_index(settings)  # cheap checks first: no model load for a missing index
        embedder = embedder or make_embedder(settings.embedder)
        retriever = Retriever(index, embedder, candidates=settings.candidates, rrf_k=settings.rrf_k, mode=mode)
        extractive = ExtractiveAnswerer(index, retriever, embedder, max_sentences=settings.answer_sentences)
        # an LLM backend writes; the extractive answerer is its fallback (backends.py)
        answerer = backends.get(settings.backend).make(settings, extractive)
        return cls(settings, embedder, index, retriever, answerer)

    def as_retriever(self, k: int | None = None) -> PassageRetriever:
        """This assistant's hybrid search as a LangChain ``BaseRetriever`` (see PassageRetriever)."""
        return PassageRetriever(assistant=self, k=k or self.settings.k)

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
        q = validate_question(question, self.settings.max_question_chars)
        yield from self.answerer.stream(q, k or self.settings.k)


class PassageRetriever(BaseRetriever):
    """Our hybrid Vietnamese search as a LangChain retriever, for a user's own chains.

    Each LangChain ``Document`` is one passage; its metadata carries what a citation needs:
    ``doc_id``, ``chunk_id``, ``title``, ``date`` (as readers see it), ``date_iso``,
    ``outlet``, ``url``, ``start``/``end`` (offsets into the cleaned article text) and ``score``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    assistant: Any
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        hits, _ = self.assistant.search(query, self.k)
        docs = self.assistant.index.documents
        out = []
        for h in hits:
            c, d = h.chunk, docs[h.chunk.doc_id]
            out.append(LCDocument(page_content=c.text, id=c.chunk_id, metadata={
                "doc_id": c.doc_id, "chunk_id": c.chunk_id, "title": c.title, "date": c.date_label,
                "date_iso": d.date, "outlet": d.outlet, "url": d.url, "start": c.start, "end": c.end,
                "score": round(h.score, 6),
            }))
        return out


def available_backends(settings: Settings) -> list[str]:
    """Answer backends whose packages are installed and configured (the chat UI offers these)."""
    return backends.available(settings)
