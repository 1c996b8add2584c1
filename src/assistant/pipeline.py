"""The only composer: builds the index (ingest -> store) and the Assistant (understand ->
retrieve -> answer) from Settings. The CLI, the chat, the HTTP API, MCP, briefings, the
evaluation and the benches all come through here.

``Assistant.open(settings)`` loads the embedder and the index (refusing an index built with
other settings); ``search`` returns passages, ``ask`` a cited Answer, ``ask_stream`` its
fragments and then the Answer. Every question goes through ``question.understand`` here, so
every front end cleans, validates and rewrites follow-ups the same way, and the question is
embedded once per answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .answer import backends, final_answer
from .answer.backends import Answerer
from .answer.decision import Decisions
from .answer.extractive import ExtractiveAnswerer
from .answer.nearest import nearest
from .config import K_RANGE, Settings, embedding_api_key
from .documents import NO_FILTERS, Answer, Document, Filters, ScoredChunk
from .errors import IndexCorruptError, IndexMismatchError, IndexMissingError, QuestionError
from .ingest.adding import Placed, Withdrawn, place_files, withdraw_files
from .ingest.build import Checkpoint, Reusable, corpus_hash, prepare, text_key
from .ingest.duplicates import merge_copies
from .ingest.embedding import VectorEmbeddings, make_embedder
from .ingest.formats import Limits
from .ingest.loading import Skipped, load_corpus
from .question.followup import Exchange
from .question.period import period_named
from .question.query import Query, Stats, understand
from .retrieve.hybrid import Retriever
from .store import citation_metadata, new_store
from .store.disk import FORMAT_VERSION, LoadedIndex, build_lock, live_documents, load_index, write_build
from .store.lexical import LexicalIndex, SyllableCounts


def embedder_for(settings: Settings) -> VectorEmbeddings:
    """The embedder the settings name (an embedding server's URL and key included)."""
    return make_embedder(settings.embedder, settings.embedding_base_url, embedding_api_key(),
                         batch=settings.embedding_batch)


# --- building the index: ingest -> store ------------------------------------------------------
@dataclass(frozen=True)
class BuildReport:
    path: Path
    documents: int
    chunks: int
    embedded: int  # chunks + sentences that needed the model
    reused: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    seconds: float
    rebuilt: bool
    notes: tuple[str, ...] = ()  # e.g. why nothing of the previous build was reused
    copies: tuple[tuple[str, str], ...] = ()  # (copy, article it republishes): recorded, not indexed


def _reusable(settings: Settings, model_id: str, notes: list[str]) -> Reusable:
    """What the live build can give the next one, if it passes its checks.

    subtle: a build that fails its checks is never reused, not even in part: a shifted
    vectors file would otherwise pass its wrong vectors on to every later build. Vectors
    are reused across a change of store or chunker (they are keyed by text), never across
    a change of model.
    """
    try:
        old = load_index(settings, check=False, for_reuse=True)
    except IndexCorruptError as exc:
        notes.append(f"the previous index was damaged ({exc}); everything was embedded again")
        return Reusable()
    except IndexMismatchError as exc:
        notes.append(f"{exc}; everything was embedded again")
        return Reusable()
    except IndexMissingError:
        return Reusable()
    if old.manifest["embedder"]["model_id"] != model_id:
        notes.append(f"the previous index was embedded with {old.manifest['embedder']['model_id']}; "
                     "everything was embedded again")
        return Reusable()
    was = (old.manifest.get("store") or {}).get("name", "faiss")
    if was != settings.store:
        notes.append(f"the previous build kept its vectors in {was}; this one keeps them in {settings.store} "
                     "(setting store); its vectors were reused")
    by_sent = {}
    for i, s in enumerate(old.sentences):
        by_sent[text_key(old.documents[s.doc_id].text[s.start : s.end])] = old.sentence_vectors[i]
    return Reusable(chunks=old.store.vectors_of, sentences=by_sent, hashes=_hashes(old.documents.values()),
                    manifest=old.manifest)


def _hashes(docs: Iterable[Document]) -> dict[str, str]:
    """Content hash of every file behind ``docs``, republished copies included."""
    out = {}
    for d in docs:
        out[d.doc_id] = d.content_hash
        out.update({c.doc_id: c.content_hash for c in d.copies})
    return out


def read_limits(settings: Settings) -> Limits:
    """What reading one file may cost (time and memory of the parsers), from the settings."""
    return Limits(seconds=settings.read_seconds, memory_mb=settings.read_memory_mb)


def build_index(settings: Settings, embedder: VectorEmbeddings | None = None, *, rebuild: bool = False,
                show_progress: bool = False, embed_sentences: bool = True) -> BuildReport:
    """Build or update the index of ``settings.corpus_dir`` in ``settings.index_dir``.

    Articles are read and embedded (ingest), written into a new Store (``settings.store``)
    and a new build folder, which then goes live; ``embed_sentences=False`` skips the
    sentence vectors (retrieval-only benchmarks).
    """
    with build_lock(settings.index_dir, show_progress):
        t0 = time.perf_counter()
        skipped: list[Skipped] = []
        docs, copies = merge_copies(load_corpus(settings.corpus_dir, skipped, max_bytes=int(settings.max_file_mb * 1e6),
                                                limits=read_limits(settings)))
        embedder = embedder or embedder_for(settings)
        if settings.ray_address:  # passages embedded on the cluster's nodes, by the same model
            from .ingest.cluster import RayEmbeddings

            embedder = RayEmbeddings(embedder, settings.ray_address, settings.embedder, settings.embedding_base_url,
                                     embedding_api_key(), settings.embedding_batch)
        notes: list[str] = []
        reuse = Reusable() if rebuild else _reusable(settings, embedder.model_id, notes)
        # subtle: what a killed build embedded is kept under index/.partial-<model>, so the next
        # build embeds only the rest; the folder goes once a build is live
        checkpoint = Checkpoint(settings.index_dir / f".partial-{text_key(embedder.model_id)[:12]}")
        if rebuild:
            checkpoint.clear()
            checkpoint = Checkpoint(checkpoint.folder)
        if checkpoint.known:
            notes.append(f"resumed an interrupted build: {len(checkpoint.known)} texts were already embedded")
        ready = prepare(docs, settings.chunker, embedder, reuse, embed_sentences=embed_sentences,
                        show_progress=show_progress, checkpoint=checkpoint, ray_address=settings.ray_address)
        store = new_store(settings, embedder, embedder.dim, embedder.model_id, fresh=rebuild)
        store.documents = {d.doc_id: d for d in docs}
        store.add(ready.chunks, ready.vectors)
        manifest = {
            "format": FORMAT_VERSION,
            "embedder": {"spec": settings.embedder, "model_id": embedder.model_id, "dim": embedder.dim},
            "chunker": settings.chunker.describe(),
            "faiss_index": settings.faiss_index,
            "corpus_hash": corpus_hash(docs),
            "documents": len(docs),
            "chunks": len(ready.chunks),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        if all(reuse.manifest.get(k) == v for k, v in manifest.items() if k != "built_at") and not rebuild:
            # nothing changed: the index's content still dates from the build before (the chat's
            # header said "built at" the time of every start that ran `assistant index`)
            manifest["built_at"] = reuse.manifest.get("built_at", manifest["built_at"])
        lexical = (LexicalIndex.build(ready.terms), LexicalIndex.build(ready.fterms),
                   SyllableCounts.build(d.text for d in docs))
        path = write_build(settings.index_dir, manifest, docs, ready.chunks, lexical, ready.sentences,
                           ready.sentence_vectors, store)
        store.commit()  # the new build is live: the store may drop what only the old one used
        checkpoint.clear()
    rebuilt = rebuild or reuse.empty
    old, new = reuse.hashes, _hashes(docs)
    return BuildReport(
        path=path,
        documents=len(docs),
        chunks=len(ready.chunks),
        embedded=ready.embedded,
        reused=ready.reused,
        added=tuple(sorted(set(new) - set(old))) if not rebuilt else (),
        changed=tuple(sorted(k for k in new if k in old and old[k] != new[k])),
        removed=tuple(sorted(set(old) - set(new))),
        skipped=tuple(skipped),
        seconds=time.perf_counter() - t0,
        rebuilt=rebuilt,
        notes=tuple(notes),
        copies=tuple(sorted(copies.items())),
    )


@dataclass(frozen=True)
class AddReport:
    placed: tuple[Placed, ...]
    build: BuildReport | None  # None when nothing new reached the corpus and an index exists

    def of(self, status: str) -> list[Placed]:
        return [p for p in self.placed if p.status == status]


def add_documents(settings: Settings, paths: list[Path], embedder: VectorEmbeddings | None = None, *,
                  show_progress: bool = False, overwrite: bool = False) -> AddReport:
    """Copy readable files into the corpus folder, then update the index incrementally.

    An add is not done until its build is live: a file the corpus already holds but the live
    build lacks (an earlier add killed before its build went live) is indexed now and said so.
    """
    placed = place_files(paths, settings.corpus_dir, max_bytes=int(settings.max_file_mb * 1e6),
                         limits=read_limits(settings), overwrite=overwrite)
    live = live_documents(settings.index_dir)
    indexed = set(_hashes(live).values()) if live is not None else None
    placed = [_unfinished(p) if p.status == "unchanged" and indexed is not None and p.digest not in indexed else p
              for p in placed]
    changed = any(p.status in ("added", "updated") for p in placed)
    report = build_index(settings, embedder, show_progress=show_progress) if changed or indexed is None else None
    return AddReport(tuple(placed), report)


@dataclass(frozen=True)
class RemoveReport:
    withdrawn: tuple[Withdrawn, ...]
    build: BuildReport | None  # None when nothing was taken out

    def of(self, status: str) -> list[Withdrawn]:
        return [w for w in self.withdrawn if w.status == status]


def remove_documents(settings: Settings, targets: list[str], embedder: VectorEmbeddings | None = None, *,
                     show_progress: bool = False,
                     withdrawn_hook: Callable[[list[Withdrawn]], None] | None = None) -> RemoveReport:
    """Take articles (by id, file name or path) out of the corpus, with the copies the live build
    recorded of them, into ``corpus/.removed/`` (recoverable), and update the index: the new
    build answers from them no more. ``withdrawn_hook`` hears what moved before the build (the
    audit: a failed build does not undo the move)."""
    withdrawn = _withdraw(settings, targets, withdrawn_hook)
    removed = any(w.status == "removed" for w in withdrawn)
    report = build_index(settings, embedder, show_progress=show_progress) if removed else None
    return RemoveReport(tuple(withdrawn), report)


def _withdraw(settings: Settings, targets: list[str],
              hook: Callable[[list[Withdrawn]], None] | None) -> list[Withdrawn]:
    """Move ``targets`` (with the copies the live build recorded of them) to ``corpus/.removed/``;
    ``hook`` hears what moved (the audit), before any build."""
    live = live_documents(settings.index_dir)
    copies = {d.doc_id: [c.doc_id for c in d.copies] for d in live or []}
    withdrawn = withdraw_files(targets, settings.corpus_dir, copies, {d.doc_id for d in live} if live else None)
    removed = [w for w in withdrawn if w.status == "removed"]
    if removed and hook is not None:
        hook(removed)
    return withdrawn


def replace_document(settings: Settings, target: str, path: Path, embedder: VectorEmbeddings | None = None, *,
                     show_progress: bool = False,
                     withdrawn_hook: Callable[[list[Withdrawn]], None] | None = None) -> tuple[AddReport, RemoveReport]:
    """A new version of article ``target`` from the file ``path``, in one build: the file goes
    into the corpus first; only once it is there does the old one go to ``corpus/.removed/``
    (unless the new file took its very name). A file that cannot be read replaces nothing."""
    placed = place_files([path], settings.corpus_dir, max_bytes=int(settings.max_file_mb * 1e6),
                         limits=read_limits(settings), overwrite=True)
    if not any(p.status in ("added", "updated") for p in placed):
        return AddReport(tuple(placed), None), RemoveReport((), None)
    names = {p.name for p in placed} | {Path(p.name).stem for p in placed}
    withdrawn = [] if target in names else _withdraw(settings, [target], withdrawn_hook)
    report = build_index(settings, embedder, show_progress=show_progress)
    return AddReport(tuple(placed), report), RemoveReport(tuple(withdrawn), report)


def _unfinished(p: Placed) -> Placed:
    return replace(p, status="added", reason="in the corpus but not in the index: an earlier add stopped before "
                   "its build; indexed now", reason_vi="đã có trong kho nhưng chưa vào chỉ mục (lần thêm trước bị "
                   "dừng giữa chừng); nay đã lập chỉ mục")


# --- answering: understand -> retrieve -> answer ----------------------------------------------
ENGLISH = ("Câu hỏi có vẻ viết bằng tiếng Anh: trợ lý tìm theo nghĩa được, nhưng chỉ trích câu tiếng Việt và "
           "hay bỏ sót; hãy hỏi bằng tiếng Việt để có câu trả lời chính xác hơn.")


def check_k(k: int | None, default: int) -> int:
    """``k`` passages, or the settings' default; one range for every front end (config.K_RANGE)."""
    k = default if k is None else k
    lo, hi = K_RANGE
    if not lo <= k <= hi:
        raise QuestionError(f"k must be between {lo} and {hi}, not {k}", vi=f"k phải từ {lo} đến {hi}.")
    return k


def _answerer(settings: Settings, backend: str, index: LoadedIndex, embedder: VectorEmbeddings) -> Answerer:
    """The backend's answerer; an LLM backend writes, the extractive answerer is its fallback."""
    extractive = ExtractiveAnswerer(index, max_sentences=settings.answer_sentences)
    return backends.get(backend).make(settings, index, embedder, extractive)


@dataclass
class Assistant:
    """understand -> retrieve -> answer, the only place they are called in that order.

    Every front end (CLI, chat, HTTP API, MCP, briefings) calls ``ask``/``ask_stream``/
    ``search`` with the text it got and, for a follow-up, the conversation before it. The
    pipeline (embedder, FAISS, BM25) is shared and not promised to be thread-safe, so each step
    runs under ``lock``, one per index: streams from several clients interleave between steps.
    """

    settings: Settings
    embedder: VectorEmbeddings
    index: LoadedIndex
    retriever: Retriever
    answerer: Answerer
    stats: Stats
    lock: threading.RLock = field(default_factory=threading.RLock)
    _siblings: dict[str, Assistant] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, settings: Settings, embedder: VectorEmbeddings | None = None, mode: str = "hybrid") -> Assistant:
        index = load_index(settings)  # cheap checks first: no model load for a missing index
        return cls.over(index, settings, embedder or embedder_for(settings), mode=mode)

    @classmethod
    def over(cls, index: LoadedIndex, settings: Settings, embedder: VectorEmbeddings, *, mode: str = "hybrid",
             retriever: Retriever | None = None, backend: str | None = None) -> Assistant:
        """Retriever and answerer over a loaded ``index``: how every system is composed.

        ``retriever`` replaces our hybrid one (the evaluation's baselines); ``backend``
        replaces ``settings.backend``.
        """
        index.store.bind(embedder)
        settings = settings.with_overrides(backend=backend)
        retriever = retriever or Retriever(index, embedder, candidates=settings.candidates, rrf_k=settings.rrf_k,
                                           mode=mode)
        stats = Stats(index.bm25.idf, index.bm25_folded.idf, index.syllables)
        answerer = _answerer(settings, settings.backend, index, embedder)
        return cls(settings, embedder, index, retriever, answerer, stats)

    def with_backend(self, backend: str | None) -> Assistant:
        """This assistant answering with ``backend``: the same index, embedder, search and lock."""
        if not backend or backend == self.settings.backend:
            return self
        with self.lock:
            self._siblings.setdefault(self.settings.backend, self)
            if backend not in self._siblings:
                settings = self.settings.with_overrides(backend=backend)
                self._siblings[backend] = replace(
                    self, settings=settings, answerer=_answerer(settings, backend, self.index, self.embedder))
            return self._siblings[backend]

    def with_decisions(self, models: Decisions) -> Assistant:
        """This assistant with the extractive answerer reading other fitted decisions (the fold
        models of ``answer.decision.fold_models``, for out-of-fold evaluation); itself when it
        does not answer extractively."""
        if not isinstance(self.answerer, ExtractiveAnswerer):
            return self
        return replace(self, answerer=ExtractiveAnswerer(self.index, self.answerer.max_sentences, models),
                       _siblings={})

    def as_retriever(self, k: int | None = None) -> PassageRetriever:
        """This assistant's hybrid search as a LangChain ``BaseRetriever`` (see PassageRetriever)."""
        return PassageRetriever(assistant=self, k=k or self.settings.k)

    # -- the three steps -------------------------------------------------------------------------
    def understand(self, text: str | None, history: Sequence[Exchange] = ()) -> Query:
        """The question as every later stage reads it (not yet embedded: see ``embedded``)."""
        with self.lock:  # the index's statistics build the diacritic restorer on first use
            return understand(text, history=history, stats=self.stats, limit=self.settings.max_question_chars)

    def embedded(self, query: Query) -> Query:
        """``query`` with its embedding: the one embedding of this question, whoever reads it."""
        return query if query.vector is not None else query.with_vector(self.embedder.query(query.dense_text))

    def retrieve(self, query: Query, k: int, filters: Filters = NO_FILTERS) -> list[ScoredChunk]:
        return self.retriever.search(query, k, filters) if filters else self.retriever.search(query, k)

    def narrowed(self, query: Query, filters: Filters = NO_FILTERS) -> Filters:
        """``filters`` and the period the question names, when that period leaves out some of
        the articles they admit and keeps some; else ``filters`` as they are."""
        period = period_named(query) if self.settings.narrow_by_period else None
        allowed = getattr(self.retriever, "allowed", None)
        if period is None or allowed is None:
            return filters
        narrow = replace(filters, period=period)
        with self.lock:
            wider, mask = allowed(filters), allowed(narrow)
        if not mask.any() or (mask.all() if wider is None else bool((mask == wider).all())):
            return filters
        return narrow

    def search(self, question: str | None, k: int | None = None,
               filters: Filters = NO_FILTERS) -> tuple[list[ScoredChunk], dict[str, float]]:
        k = check_k(k, self.settings.k)
        t0 = time.perf_counter()
        with self.lock:
            query = self.understand(question)
            if self.retriever.mode != "bm25":  # BM25 alone needs no embedding
                query = self.embedded(query)
            hits = self.retrieve(query, k, self.narrowed(query, filters))
        return hits, {"retrieval": (time.perf_counter() - t0) * 1000}

    def ask(self, question: str | None, k: int | None = None, history: Sequence[Exchange] = (),
            filters: Filters = NO_FILTERS) -> Answer:
        return final_answer(self.ask_stream(question, k, history, filters))

    def ask_stream(self, question: str | None, k: int | None = None,
                   history: Sequence[Exchange] = (), filters: Filters = NO_FILTERS) -> Iterator[str | Answer]:
        """Yield fragments of the answer text as they are ready, then the final Answer.

        The extractive backend has its whole answer at once; it still streams sentence by
        sentence so every front end can treat all backends alike. Generative backends yield
        each sentence of the model's answer once it is finished and verified. A bad question
        raises QuestionError before anything is yielded.
        """
        k = check_k(k, self.settings.k)
        t0 = time.perf_counter()
        query = self.understand(question, history)
        yield from self.answer_stream(query, k, t0, filters)

    def answer_stream(self, query: Query, k: int | None = None, t0: float | None = None,
                      filters: Filters = NO_FILTERS) -> Iterator[str | Answer]:
        """``ask_stream`` for a question already understood (``understand``): the chat shows
        how it read a follow-up before the answer comes. ``filters`` narrow the articles it
        answers from, and the answer says so."""
        k = check_k(k, self.settings.k)
        t0 = time.perf_counter() if t0 is None else t0
        filters = self.narrowed(query, filters)
        with self.lock:
            query = self.embedded(query)  # the answerer reads it against the sentences, whatever the retrieval
            hits = self.retrieve(query, self.answerer.wants(k), filters)
        retrieval = (time.perf_counter() - t0) * 1000
        stream = self.answerer.stream(query, hits, k)
        try:
            while True:
                with self.lock:
                    try:
                        piece = next(stream)
                    except StopIteration:
                        return
                if isinstance(piece, Answer):
                    piece = self._finished(piece, query, retrieval, t0)
                    notices = ((filters.described(),) if filters else ()) + ((ENGLISH,) if query.english else ())
                    if notices:
                        piece = replace(piece, notices=(*notices, *piece.notices))
                    if piece.refused and not piece.nearest:
                        piece = replace(piece, nearest=nearest(self.index, query, hits))
                yield piece
        finally:  # a client that stops reading: the backend's stream ends here, under the lock
            close = getattr(stream, "close", None)
            if close is not None:
                with self.lock:
                    close()

    @staticmethod
    def _finished(answer: Answer, query: Query, retrieval: float, t0: float) -> Answer:
        timings = {"retrieval": retrieval, **answer.timings_ms, "total": (time.perf_counter() - t0) * 1000}
        if "first_token" in timings:  # the answerer counts from its own start
            timings["first_token"] += retrieval
        return replace(answer, timings_ms=timings, asked=query.asked if query.rewritten else "")


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
        return [LCDocument(page_content=h.chunk.text, id=h.chunk.chunk_id,
                           metadata={**citation_metadata(h.chunk, docs[h.chunk.doc_id]), "score": round(h.score, 6)})
                for h in hits]
