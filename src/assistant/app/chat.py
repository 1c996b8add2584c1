"""A chat over the pipeline: follow-up rewriting, polite refusals of bad input, streamed Turns.

:class:`ChatEngine` is what the Gradio UI calls, and it knows nothing about Gradio: it turns
one user message plus the earlier turns into a stream of :class:`~assistant.chatview.Turn`
updates. Every message the user sees is Vietnamese; an unexpected exception is logged and
shown as an apology, never as a traceback.

Concurrency: Gradio serves several browser tabs from threads. The pipeline (embedder, FAISS,
BM25) is shared and not promised to be thread-safe, so each step of an answer stream runs
under one lock; streams from different tabs interleave between steps.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator, Sequence

from ..answer import backends
from ..config import Settings
from ..documents import Answer
from ..errors import AssistantError, QuestionError
from ..vietnamese import clean_input
from .chatview import Turn
from .followup import rewrite

log = logging.getLogger(__name__)

EMPTY = "Bạn chưa nhập câu hỏi. Hãy gõ một câu hỏi, ví dụ: «Sở Ngoại vụ Hà Nội được thành lập khi nào?»"
TOO_LONG = ("Câu hỏi dài {n} ký tự, vượt quá giới hạn {limit} ký tự. "
            "Xin vui lòng đặt câu hỏi ngắn gọn hơn, mỗi lần một ý.")
FAILED = "Xin lỗi, không trả lời được câu hỏi này: {error}"
UNEXPECTED = ("Xin lỗi, đã xảy ra lỗi ngoài dự kiến khi trả lời. Vui lòng thử lại; "
              "nếu lỗi lặp lại, hãy báo cho quản trị viên.")


PREVIEW_CHARS = 120


def preview(text: str) -> str:
    """The start of a message the chat refused, which is all of it the session keeps."""
    return text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS].rstrip() + " …"


def available_backends(settings: Settings) -> list[str]:
    """Answer backends the chat offers: the configured one first (the backend registry decides)."""
    return backends.available(settings)


def backend_label(name: str) -> str:
    try:
        return backends.get(name).label
    except AssistantError:
        return name


class ChatEngine:
    def __init__(self, settings: Settings, assistant=None) -> None:
        from ..pipeline import Assistant

        self.settings = settings
        self.default = assistant or Assistant.open(settings)
        self._assistants = {self.default.settings.backend: self.default}
        self._lock = threading.Lock()
        self._adding = threading.Lock()

    @property
    def index(self):
        return self.default.index

    def assistant(self, backend: str | None):
        """The Assistant answering with ``backend``, opened on first use (sharing the embedder)."""
        backend = backend or self.default.settings.backend
        with self._lock:
            if backend not in self._assistants:
                from ..pipeline import Assistant

                settings = self.default.settings.with_overrides(backend=backend)
                self._assistants[backend] = Assistant.open(settings, embedder=self.default.embedder)
            return self._assistants[backend]

    def add_files(self, paths: Sequence, show_progress: bool = False):
        """Add files to the corpus, update the index, and answer from it from now on.

        The new index is opened beside the current one and swapped in under the lock, so a
        question being answered finishes on the index it started with.
        """
        from pathlib import Path

        from ..pipeline import Assistant, add_documents

        with self._adding:  # one upload at a time per server (the build lock covers other processes)
            report = add_documents(self.default.settings, [Path(p) for p in paths], self.default.embedder,
                                   show_progress=show_progress)
            if report.build is not None:
                fresh = Assistant.open(self.default.settings, embedder=self.default.embedder)
                with self._lock:
                    self.default = fresh
                    self._assistants = {fresh.settings.backend: fresh}
            return report

    def ask(self, question: str, k: int | None = None, backend: str | None = None) -> Answer:
        """One answer (no follow-up rewriting), for the HTTP API; steps serialised with the chat's."""
        assistant = self.assistant(backend)
        answer = None
        for piece in self._locked(assistant.ask_stream(question, k)):
            if isinstance(piece, Answer):
                answer = piece
        if answer is None:
            raise AssistantError("the answer stream ended without an answer")
        return answer

    def search(self, question: str, k: int | None = None):
        """``(hits, timings)`` as ``Assistant.search`` gives them, under the pipeline lock."""
        with self._lock:
            return self.default.search(question, k)

    def serialised(self, backend: str | None = None):
        """The Assistant for ``backend`` whose ``ask`` takes the pipeline lock (for a briefing)."""
        return _Serialised(self.assistant(backend), self._lock)

    def _locked(self, stream: Iterator) -> Iterator:
        while True:
            with self._lock:
                try:
                    item = next(stream)
                except StopIteration:
                    return
            yield item

    def stream(self, message: str | None, history: Sequence[Turn], k: int | None = None,
               backend: str | None = None) -> Iterator[tuple[Turn, str | None]]:
        """Yield ``(turn, text so far)`` while answering, then ``(final turn, None)``."""
        turn_id = uuid.uuid4().hex[:10]
        asked = clean_input(message if isinstance(message, str) else "").strip()
        limit = self.settings.max_question_chars
        if not asked:
            yield Turn(turn_id, "", text=EMPTY, notice=True), None
            return
        if len(asked) > limit:
            # subtle: the session keeps only what it accepted; a 1 MB message kept here would be
            # sent back to the browser with every later reply.
            yield Turn(turn_id, preview(asked), text=TOO_LONG.format(n=len(asked), limit=limit), notice=True), None
            return
        answered = [t for t in history if not t.notice and t.question]
        rewritten = rewrite(asked, [t.question for t in answered], answered[-1].text if answered else "")
        # subtle: only a real rewrite replaces what was typed; rewrite() also NFC/tone-normalises,
        # which the pipeline does anyway and which must not show as "Câu hỏi được hiểu là …"
        question = rewritten.question if rewritten.changed else asked
        pending = Turn(turn_id, asked, question)
        yield pending, ""
        try:
            answer, text = None, ""
            for piece in self._locked(self.assistant(backend).ask_stream(question, k)):
                if isinstance(piece, Answer):
                    answer = piece
                else:
                    text += piece
                    yield pending, text
            if answer is None:
                raise AssistantError("the answer stream ended without an answer")
            yield Turn.from_answer(turn_id, asked, answer), None
        except QuestionError as exc:
            yield Turn(turn_id, asked, question, text=FAILED.format(error=exc), notice=True), None
        except AssistantError as exc:
            hint = f" ({exc.hint})" if exc.hint else ""
            yield Turn(turn_id, asked, question, text=FAILED.format(error=f"{exc}{hint}"), notice=True), None
        except Exception:
            log.exception("answering %r failed", question)
            yield Turn(turn_id, asked, question, text=UNEXPECTED, notice=True), None


class _Serialised:
    """An Assistant whose ``ask`` runs under ``lock``; everything else as is."""

    def __init__(self, assistant, lock: threading.Lock) -> None:
        self._assistant, self._lock = assistant, lock

    def __getattr__(self, name: str):
        return getattr(self._assistant, name)

    def ask(self, question: str, k: int | None = None) -> Answer:
        with self._lock:
            return self._assistant.ask(question, k)
