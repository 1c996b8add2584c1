"""A chat over the pipeline: streamed Turns, polite refusals of bad input, in Vietnamese.

:class:`ChatEngine` is what the Gradio UI and the server call, and it knows nothing about
Gradio: it turns one user message plus the earlier turns into a stream of
:class:`~assistant.app.chatview.Turn` updates. Understanding (follow-ups included), locking
and error wording are the pipeline's (``Assistant``); this module only turns them into Turns.
Every message the user sees is Vietnamese; an unexpected exception is logged and shown as an
apology, never as a traceback.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace

from ..answer import backends
from ..config import Settings
from ..documents import NO_FILTERS, Answer, Filters
from ..errors import AssistantError, QuestionError
from ..pipeline import Assistant, add_documents, remove_documents, replace_document
from ..question.followup import Exchange
from ..store.disk import live_build
from ..vietnamese import clean_input
from .chatview import Turn

log = logging.getLogger(__name__)

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


def exchanges(history: Sequence[Turn]) -> list[Exchange]:
    """The answered turns of a conversation, as the pipeline reads follow-ups from them (without
    the notices a turn's text leads with, so every front end reads the same answer)."""
    return [Exchange(t.question, t.body) for t in history if not t.notice and t.question]


class ChatEngine:
    """The chat's and the server's Assistant, following the live build.

    A build made elsewhere (``assistant add`` or ``index`` from the shell, an upload on another
    server over the same folders) becomes live by replacing ``index/CURRENT``. At most once a
    second a request looks at it; a new build is opened on a thread and swapped in, and the
    requests meanwhile answer from the build they have.
    """

    WATCH_SECONDS = 1.0

    def __init__(self, settings: Settings, assistant: Assistant | None = None) -> None:
        self.settings = settings
        self._default = assistant or Assistant.open(settings)
        self._adding = threading.Lock()  # one upload or reload at a time
        self._looked = time.monotonic()

    @property
    def default(self) -> Assistant:
        """The Assistant of the newest live build this server has opened."""
        if time.monotonic() - self._looked >= self.WATCH_SECONDS:
            self._looked = time.monotonic()
            self._follow()
        return self._default

    def _follow(self) -> None:
        try:
            live = live_build(self._default.settings.index_dir)
        except AssistantError:
            return  # a damaged CURRENT: keep answering from the build we have
        if live is None or live == self._default.index.path or not self._adding.acquire(blocking=False):
            return
        threading.Thread(target=self._reload, args=(live,), name="assistant-reload", daemon=True).start()

    def _reload(self, live) -> None:
        try:
            fresh = Assistant.open(self._default.settings, embedder=self._default.embedder)
            self._default = replace(fresh, lock=self._default.lock)
            log.info("answering from the new build %s", live.name)
        except AssistantError as exc:
            log.warning("the new build %s could not be opened (%s); still answering from %s",
                        live.name, exc, self._default.index.path.name)
        finally:
            self._adding.release()

    @property
    def index(self):
        return self.default.index

    def assistant(self, backend: str | None) -> Assistant:
        """The Assistant answering with ``backend`` (same index, embedder and lock)."""
        return self.default.with_backend(backend)

    def add_files(self, paths: Sequence, show_progress: bool = False):
        """Add files to the corpus, update the index, and answer from it from now on.

        The new index is opened beside the current one and swapped in, so a question being
        answered finishes on the index it started with.
        """
        from pathlib import Path

        with self._adding:  # one upload at a time per server (the build lock covers other processes)
            report = add_documents(self._default.settings, [Path(p) for p in paths], self._default.embedder,
                                   show_progress=show_progress)
            self._swap(report.build)
            return report

    def _swap(self, report) -> None:
        """Answer from the new build from now on (same lock: streams on the old one finish there)."""
        if report is not None:
            fresh = Assistant.open(self._default.settings, embedder=self._default.embedder)
            self._default = replace(fresh, lock=self._default.lock)

    def remove(self, targets: Sequence[str], withdrawn_hook=None):
        """Take articles out of the corpus and the index (``pipeline.remove_documents``)."""
        with self._adding:
            report = remove_documents(self._default.settings, list(targets), self._default.embedder,
                                      withdrawn_hook=withdrawn_hook)
            self._swap(report.build)
            return report

    def replace(self, target: str, path, withdrawn_hook=None):
        """A new version of article ``target`` from the uploaded file ``path`` (``pipeline.replace_document``)."""
        from pathlib import Path

        with self._adding:
            added, removed = replace_document(self._default.settings, target, Path(path), self._default.embedder,
                                              withdrawn_hook=withdrawn_hook)
            self._swap(added.build)
            return added, removed

    def fetch_feeds(self, actor: str, audit=None):
        """Fetch the feeds' new articles (``newsroom.fetch_feeds``) and answer from them from now on.

        ``audit`` (an ``Accounts``) records what each feed brought, as done by ``actor``."""
        from .newsroom import fetch_feeds

        # the downloads run beside uploads and questions; the build waits for an upload's (one at a
        # time per server, the build lock covers other processes) and is swapped in under that lock
        report = fetch_feeds(self._default.settings, building=self._adding, built=self._swap)
        if audit is not None:
            for r in report.feeds:
                audit.audit(actor, "fetched feed", r.name, r.line())
        return report

    def ask(self, question: str, k: int | None = None, backend: str | None = None,
            history: Sequence[Exchange] = (), filters: Filters = NO_FILTERS) -> Answer:
        """One answer, for the HTTP API (a follow-up of ``history`` is rewritten)."""
        return self.assistant(backend).ask(question, k, history, filters)

    def search(self, question: str, k: int | None = None, filters: Filters = NO_FILTERS):
        """``(hits, timings)`` as ``Assistant.search`` gives them."""
        return self.default.search(question, k, filters)

    def stream(self, message: str | None, history: Sequence[Turn], k: int | None = None,
               backend: str | None = None, filters: Filters = NO_FILTERS) -> Iterator[tuple[Turn, str | None]]:
        """Yield ``(turn, text so far)`` while answering, then ``(final turn, None)``; ``filters``
        narrow the articles it answers from (the answer says so)."""
        turn_id = uuid.uuid4().hex[:10]
        assistant = self.assistant(backend)
        try:
            query = assistant.understand(message, exchanges(history))
        except QuestionError as exc:
            # subtle: the session keeps only what it accepted; a 1 MB message kept here would be
            # sent back to the browser with every later reply.
            asked = clean_input(message if isinstance(message, str) else "").strip()
            yield Turn(turn_id, preview(asked), text=exc.vi, notice=True), None
            return
        pending = Turn(turn_id, query.asked, query.text)
        yield pending, ""
        try:
            text = ""
            for piece in assistant.answer_stream(query, k, filters=filters):
                if isinstance(piece, Answer):
                    yield Turn.from_answer(turn_id, query.asked, piece), None
                    return
                text += piece
                yield pending, text
            raise AssistantError("the answer stream ended without an answer")
        except QuestionError as exc:
            yield Turn(turn_id, query.asked, query.text, text=FAILED.format(error=exc.vi), notice=True), None
        except AssistantError as exc:
            yield Turn(turn_id, query.asked, query.text, text=FAILED.format(error=exc.described()), notice=True), None
        except Exception:
            log.exception("answering %r failed", query.text)
            yield Turn(turn_id, query.asked, query.text, text=UNEXPECTED, notice=True), None


SCHEDULE = "lịch lấy tin"  # the actor of the scheduled fetches in the audit


class FeedSchedule:
    """``feeds_every``: the server fetches the feeds in the background, every ``every`` seconds.

    Each fetch runs like ``assistant feeds fetch`` (the build lock, one at a time with uploads),
    is logged one line per feed, and written to the audit when accounts exist. A fetch that
    fails is logged and the next one runs on time; nothing of the live index is lost."""

    def __init__(self, engine: ChatEngine, every: float, audit=None) -> None:
        self.engine, self.every, self.audit = engine, every, audit
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="assistant-feeds", daemon=True)
        self.runs = 0

    def start(self) -> FeedSchedule:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                audit = self.audit if self.audit is not None and self.audit.count() else None
                report = self.engine.fetch_feeds(SCHEDULE, audit)
                for r in report.feeds:
                    log.info("feeds: %s", r.line())
            except Exception:  # a broken fetch must not end the schedule (or the server)
                log.exception("the scheduled fetch of the feeds failed; the next runs in %.0f s", self.every)
            self.runs += 1
