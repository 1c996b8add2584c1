"""Generative answers: pack passages into the context, stream, verify, fall back.

:class:`GenerativeAnswerer` has the extractive answerer's ``answer(query, hits, k)`` and
``stream(query, hits, k)``, which yields text fragments and then the final Answer. It is given
the passages its extractive fallback reads (``wants(k)``), and shows the model the best ``k``
of them.

What the user sees is grounded whatever the model writes. The model's tokens are cut into
sentences as they arrive; each finished sentence goes through the verifier (verification.py)
and only then is yielded, with its citations as checked. Streaming is therefore per verified
sentence, not per raw token: an invented ``[7]`` or an unsupported claim is never shown,
not even for a moment. A flagged sentence waits until a kept one has been shown, so an
answer is never only flagged text.

Falling back: when the model is unreachable, too slow (``llm_timeout``, per request and in
total), fails, or writes nothing the passages support (including a refusal), the answer is
the extractive one -- itself a refusal when no sentence passes its checks -- with a short
Vietnamese notice. The extractive answerer is strict about refusing, so a model that says
"not found" cannot hide an answer the articles do hold, nor invent one.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from ..config import Settings
from ..documents import Answer, ScoredChunk, SentenceCheck
from ..vietnamese import sentence_spans
from . import REFUSAL, final_answer
from .prompts import render
from .verification import AnswerVerifier, Passage, claim_spans

if TYPE_CHECKING:
    from ..ingest.embedding import VectorEmbeddings
    from ..question.query import Query
    from ..store.disk import LoadedIndex
    from .extractive import ExtractiveAnswerer

log = logging.getLogger(__name__)

NOTICES = {
    "unreachable": "Không kết nối được mô hình ngôn ngữ; dưới đây là câu trả lời trích nguyên văn từ các bài viết.",
    "timeout": "Mô hình ngôn ngữ không trả lời kịp ({seconds:g} giây); dưới đây là câu trả lời trích nguyên văn "
               "từ các bài viết.",
    "error": "Mô hình ngôn ngữ gặp lỗi; dưới đây là câu trả lời trích nguyên văn từ các bài viết.",
    "unverified": "Câu trả lời do mô hình ngôn ngữ viết không có câu nào được các đoạn trích xác nhận; dưới đây là "
                  "câu trả lời trích nguyên văn từ các bài viết.",
    "off_topic": "Câu trả lời do mô hình ngôn ngữ viết không bám sát câu hỏi; dưới đây là câu trả lời trích nguyên văn "
                 "từ các bài viết.",
    "no_room": "Ngữ cảnh của mô hình ngôn ngữ quá nhỏ cho các đoạn trích; dưới đây là câu trả lời trích nguyên văn "
               "từ các bài viết.",
}
CUT_SHORT = "Mô hình ngôn ngữ bị ngắt giữa chừng; câu trả lời có thể chưa đầy đủ."
FLAGGED = "Các câu đánh dấu ⚠ không được các đoạn trích xác nhận; hãy đối chiếu với nguồn."
REMOVED = "Đã lược bỏ {n} câu mà các đoạn trích không xác nhận."
CHAT_TEMPLATE_TOKENS = 16  # role markers a chat template adds around the messages
_ENDS_SENTENCE = re.compile(r"[.!?…\]\"”')]\s*$")


class _Timeout(Exception):
    pass


# --- packing --------------------------------------------------------------------------------
_QUOTE_TAG = re.compile(r"trích_đoạn", re.IGNORECASE)


def render_passage(p: Passage) -> str:
    """One passage inside its ``<trích_đoạn>`` quotation marks (prompts/passage.txt).

    subtle: an article cannot close the quotation itself: the tag's name in its text is
    written differently, so nothing in it reads as ours.
    """
    def inert(text: str) -> str:
        return _QUOTE_TAG.sub("trích đoạn", text)

    return render("passage", n=p.n, title=inert(p.title), date=inert(p.date), text=inert(p.text))


def pack(hits: list[ScoredChunk], budget: int, count: Callable[[str], int]) -> list[Passage]:
    """Passages for the prompt, best ranked first, within ``budget`` tokens.

    A passage that does not fit whole keeps its leading sentences that do; a sentence is
    never cut. Later (smaller) passages may still fit after one that did not.
    """
    out: list[Passage] = []
    left = budget
    for hit in hits:
        c = hit.chunk
        whole = Passage(len(out) + 1, c.doc_id, c.title, c.date_label, c.chunk_id, c.start, c.end, c.text)
        p: Passage | None = whole
        cost = count(render_passage(whole)) + 1
        if cost > left:
            p, cost = _trim(whole, left, count)
        if p is None:
            continue
        out.append(p)
        left -= cost
    return out


def _trim(p: Passage, left: int, count: Callable[[str], int]) -> tuple[Passage | None, int]:
    best: tuple[Passage | None, int] = (None, 0)
    for _, end in sentence_spans(p.text):
        shorter = replace(p, end=p.start + end, text=p.text[:end])
        cost = count(render_passage(shorter)) + 1
        if cost > left:
            break
        best = (shorter, cost)
    return best


# --- prompt ---------------------------------------------------------------------------------
def system_prompt(settings: Settings, n_passages: int) -> str:
    return render("system", language=settings.language, n_passages=n_passages, refusal=REFUSAL)


def build_messages(question: str, passages: list[Passage], settings: Settings) -> list[BaseMessage]:
    system = system_prompt(settings, len(passages))
    user = render("answer", passages="\n".join(render_passage(p) for p in passages), question=question).rstrip()
    if settings.system_prompt_as_user:
        return [HumanMessage(system + "\n\n" + user)]
    return [SystemMessage(system), HumanMessage(user)]


def prompt_text(messages: list[BaseMessage]) -> str:
    return "\n\n".join(f"<{m.type}>\n{m.text}" for m in messages)


def failure_kind(exc: BaseException) -> str:
    """"timeout", "unreachable" or "error", from the exception and its causes."""
    seen: BaseException | None = exc
    names: list[str] = []
    while seen is not None and len(names) < 10:
        names.append(type(seen).__name__)
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, (_Timeout, TimeoutError)) or any("Timeout" in n for n in names):
        return "timeout"
    if any("Connect" in n for n in names) or isinstance(exc, ConnectionError):
        return "unreachable"
    return "error"


# --- the answerer ---------------------------------------------------------------------------
@dataclass
class _Run:
    """The state of one streamed answer."""

    verifier: AnswerVerifier
    min_relevance: float
    shown: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # sentences waiting for a kept, relevant one
    kept: int = 0
    anchored: bool = False  # has a kept sentence close to the question been shown?


class GenerativeAnswerer:
    """Answers with a LangChain chat model, verified; the extractive answerer is its fallback.

    ``model`` is the seam: any ``BaseChatModel`` that streams (tests pass LangChain's fake).
    """

    def __init__(self, model: BaseChatModel, fallback: ExtractiveAnswerer, settings: Settings,
                 count_tokens: Callable[[str], int], index: LoadedIndex, embedder: VectorEmbeddings) -> None:
        self.model = model
        self.fallback = fallback
        self.settings = settings
        self.count_tokens = count_tokens
        self.index = index
        self.embedder = embedder
        self.name = settings.backend

    def wants(self, k: int) -> int:
        """As many passages as the fallback reads; the model is shown the best ``k`` of them."""
        return self.fallback.wants(k)

    def answer(self, query: Query, hits: list[ScoredChunk], k: int | None = None) -> Answer:
        return final_answer(self.stream(query, hits, k))

    def passages(self, question: str, hits: list[ScoredChunk]) -> list[Passage]:
        s = self.settings
        frame = build_messages(question, [], s)
        overhead = sum(self.count_tokens(m.text) for m in frame) + CHAT_TEMPLATE_TOKENS
        return pack(hits, s.context_tokens - s.max_answer_tokens - overhead, self.count_tokens)

    def stream(self, query: Query, hits: list[ScoredChunk], k: int | None = None) -> Iterator[str | Answer]:
        """Yield each verified sentence (with its separator) as it is ready, then the Answer.

        The model is shown the best ``k`` of ``hits`` (all of them when ``k`` is None); the
        fallback reads them all."""
        s = self.settings
        t0 = time.perf_counter()
        question = query.text
        timings: dict[str, float] = {}
        passages = self.passages(question, hits[:k] if k else hits)
        if not passages:
            yield from self._fall_back(query, hits, "no_room", None, "", timings, t0)
            return
        messages = build_messages(question, passages, s)
        verifier = AnswerVerifier(passages, self.index, self.embedder, question,
                                  s.verify_min_lexical, s.verify_min_similarity, s.verify_unsupported,
                                  instructions=system_prompt(s, len(passages)), question_vector=query.vector)
        run = _Run(verifier, s.verify_min_relevance)
        failure = yield from self._generate(run, messages, timings, t0)
        checks = list(verifier.checks)
        if not run.anchored:  # nothing the model wrote is shown: the verdicts say so too
            checks = [c if c.verdict == "removed" else replace(c, verdict="removed", reasons=(*c.reasons, "off_topic"))
                      for c in checks]
            why = failure or ("off_topic" if run.kept else "unverified")
            yield from self._fall_back(query, hits, why, checks, prompt_text(messages), timings, t0)
            return
        notices = [CUT_SHORT] if failure else []
        if any(c.verdict == "flagged" for c in checks):
            notices.append(FLAGGED)
        removed = sum(c.verdict == "removed" and "duplicate" not in c.reasons for c in checks)
        if removed:
            notices.append(REMOVED.format(n=removed))
        cited = {n for c in checks if c.verdict != "removed" for n in c.citations}
        timings["answer"] = (time.perf_counter() - t0) * 1000
        yield Answer(question=question, text="".join(run.shown).strip(), refused=False,
                     citations=tuple(verifier.citations(cited)), timings_ms=timings, notices=tuple(notices),
                     backend=self.name, verification=tuple(checks), prompt=prompt_text(messages))

    def _generate(self, run: _Run, messages: list[BaseMessage], timings: dict[str, float],
                  t0: float) -> Generator[str, None, str | None]:
        """Stream the model into verified sentences; return why it failed, or None."""
        s = self.settings
        failure, buffer, tokens, first = None, "", 0, None
        t_gen = time.perf_counter()
        stream = self.model.stream(messages)
        try:
            while tokens < s.max_answer_tokens:  # some servers ignore max_completion_tokens
                try:
                    chunk = next(stream)
                    if time.perf_counter() - t_gen > s.llm_timeout:
                        raise _Timeout
                except StopIteration:
                    break
                except Exception as exc:  # any model failure becomes the extractive answer, never a traceback
                    failure = failure_kind(exc)
                    log.warning("%s backend failed (%s): %r", self.name, failure, exc, exc_info=s.debug)
                    break
                if not chunk.text:
                    continue
                first = first or time.perf_counter()
                tokens += 1
                buffer += chunk.text
                spans = claim_spans(buffer)
                if len(spans) > 1:  # every sentence but the last is finished
                    for (a, _), (b, _) in itertools.pairwise(spans):
                        yield from self._emit(run, buffer[a:b])
                    buffer = buffer[spans[-1][0]:]
        finally:
            stream.close()  # type: ignore[attr-defined]  # a generator, though typed as an Iterator
        timings["first_token"] = ((first or time.perf_counter()) - t0) * 1000
        timings["generation"] = (time.perf_counter() - t_gen) * 1000
        if failure is None:  # the last sentence, unless the token limit cut it off
            for a, b in claim_spans(buffer):
                last = buffer[a:b]
                if tokens >= s.max_answer_tokens and b == len(buffer.rstrip()) and not _ENDS_SENTENCE.search(last):
                    run.verifier.record(last, "removed", ["truncated"])
                else:
                    yield from self._emit(run, last + " ")
        return failure

    def _emit(self, run: _Run, raw: str) -> Iterator[str]:
        check, shown = run.verifier.check(raw)
        if not shown:
            return
        sep = "\n" if "\n" in raw[len(raw.rstrip()):] else " "
        shown += sep
        if check.verdict == "kept":
            run.kept += 1
            run.anchored = run.anchored or check.relevance >= run.min_relevance
        if not run.anchored:
            run.pending.append(shown)
            return
        shown, run.pending = "".join(run.pending) + shown, []
        run.shown.append(shown)
        yield shown

    def _fall_back(self, query: Query, hits: list[ScoredChunk], why: str, checks: list[SentenceCheck] | None,
                   prompt: str, timings: dict[str, float], t0: float) -> Iterator[str | Answer]:
        """The extractive answer over the same passages and the same embedding of the question."""
        answer = self.fallback.answer(query, hits)
        notice = NOTICES[why].format(seconds=self.settings.llm_timeout)
        timings = {**timings, "extractive": answer.timings_ms.get("answer", 0.0),
                   "answer": (time.perf_counter() - t0) * 1000}
        yield answer.text
        yield replace(answer, notices=(*answer.notices, notice), timings_ms=timings,
                      verification=None if checks is None else tuple(checks), prompt=prompt)


def make_generative_answerer(settings: Settings, index: LoadedIndex, embedder: VectorEmbeddings,
                             fallback: ExtractiveAnswerer) -> GenerativeAnswerer:
    from .chat_models import make_chat_model, token_counter

    model = make_chat_model(settings)
    return GenerativeAnswerer(model, fallback, settings, token_counter(model), index, embedder)
