"""The question wing: a question is understood once (``question.understand``) and embedded once
per answer, whatever the backend, and a follow-up reads the same through every front end."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.generative import NOTICES, GenerativeAnswerer
from assistant.errors import QuestionError
from assistant.pipeline import Assistant
from assistant.question.followup import Exchange
from assistant.question.query import Stats, understand
from assistant.retrieve.hybrid import Retriever

HAI_PHONG = "Sở Ngoại vụ Hải Phòng được thành lập khi nào?"
HA_NOI = "Sở Ngoại vụ Hà Nội được thành lập khi nào?"


class CountingEmbeddings:
    """The real embedder at its seam, counting the questions it embeds."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.queries: list[str] = []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def query(self, text: str):
        self.queries.append(text)
        return self.inner.query(text)


def counted(seed_assistant) -> tuple[Assistant, CountingEmbeddings]:
    embedder = CountingEmbeddings(seed_assistant.embedder)
    retriever = Retriever(seed_assistant.index, embedder, candidates=seed_assistant.settings.candidates)
    assistant = Assistant(seed_assistant.settings, embedder, seed_assistant.index, retriever,
                          seed_assistant.answerer, seed_assistant.stats)
    return assistant, embedder


def test_the_question_is_embedded_once_per_answer(seed_assistant):
    assistant, embedder = counted(seed_assistant)
    answer = assistant.ask("so ngoai vu ha noi thanh lap khi nao")  # restored, then embedded once
    assert "17/12/1996" in answer.text
    assert embedder.queries == ["sở ngoại vụ hà nội thành lập khi nào"]
    list(assistant.ask_stream(HA_NOI))
    assert len(embedder.queries) == 2
    assistant.search(HA_NOI)
    assert len(embedder.queries) == 3


def test_a_generative_answer_that_falls_back_embeds_the_question_once(seed_assistant):
    assistant, embedder = counted(seed_assistant)
    model = GenericFakeChatModel(messages=iter([AIMessage("Không tìm thấy thông tin này trong các bài viết.")]))
    settings = seed_assistant.settings.with_overrides(backend="llamacpp")
    assistant.answerer = GenerativeAnswerer(model, seed_assistant.answerer, settings, lambda t: len(t) // 3,
                                            seed_assistant.index, embedder)
    answer = assistant.ask(HA_NOI)
    assert NOTICES["unverified"] in answer.notices and "17/12/1996" in answer.text  # the extractive fallback
    assert embedder.queries == [HA_NOI]


def test_understand_cleans_validates_rewrites_and_analyses_once(seed_assistant):
    stats = seed_assistant.stats
    q = understand("  Còn Ha\u0300 Nội thì sao?\x07 ", history=[Exchange(HAI_PHONG, "26/11/2004 [1]")],
                   stats=stats, limit=1000)
    assert q.asked == "Còn Hà Nội thì sao?" and q.text == HA_NOI and q.rewritten and q.rule == "place"
    assert q.analysis is not None and [p.name for p in q.analysis.places] == ["Hà Nội"]
    assert q.analysis.expects == "date" and q.vector is None  # embedding is the pipeline's, once
    english = understand("When was the Hanoi Department of Foreign Affairs founded?", stats=stats, limit=1000)
    assert english.english and english.analysis.english and "Hà Nội" in english.lexical


@pytest.mark.parametrize(("text", "english", "vietnamese"), [
    ("", "the question is empty", "Bạn chưa nhập câu hỏi"),
    (" \n\t ", "the question is empty", "Bạn chưa nhập câu hỏi"),
    (None, "the question is empty", "Bạn chưa nhập câu hỏi"),
    ("Hà Nội? " * 200, "the limit is 1000", "vượt quá giới hạn 1000 ký tự"),
])
def test_one_question_error_carries_both_languages(seed_assistant, text, english, vietnamese):
    with pytest.raises(QuestionError) as err:
        understand(text, stats=seed_assistant.stats, limit=1000)
    assert english in str(err.value) and vietnamese in err.value.vi and err.value.hint


def test_k_has_one_range_everywhere(seed_assistant):
    from assistant.config import K_RANGE

    with pytest.raises(QuestionError, match="k must be between"):
        seed_assistant.ask(HA_NOI, K_RANGE[1] + 1)
    assert seed_assistant.search(HA_NOI, K_RANGE[1])[0]


def test_stats_build_the_restorer_only_when_a_question_needs_it(seed_assistant):
    stats = Stats(seed_assistant.index.bm25.idf, seed_assistant.index.bm25_folded.idf, seed_assistant.index.syllables)
    understand(HA_NOI, stats=stats, limit=1000)
    assert stats._restorer is None
    assert understand("so ngoai vu ha noi", stats=stats, limit=1000).dense_text == "sở ngoại vụ hà nội"
    assert stats._restorer is not None


def test_the_conversation_from_a_client_is_cleaned_and_never_makes_a_question_too_long(seed_assistant):
    stats = seed_assistant.stats
    dirty = Exchange("Sở Ngoại vụ \x1b[31mHải Phòng\ud800 được thành lập khi nào?", "26/11/2004 [1]\x07")
    q = understand("Còn Hà Nội thì sao?", history=[dirty], stats=stats, limit=1000)
    assert q.text == "Sở Ngoại vụ Hà Nội\ufffd được thành lập khi nào?" and q.rewritten
    assert q.text.encode("utf-8")  # no lone surrogate reaches JSON
    long_ago = Exchange("Sở Ngoại vụ Hải Phòng " + "rất " * 240 + "được thành lập khi nào?")
    q = understand("Còn Hà Nội thì sao?", history=[long_ago], stats=stats, limit=1000)
    assert len(q.text) <= 1000
    asked = "Còn Thành phố Hồ Chí Minh thì sao?"
    q = understand(asked, history=[Exchange("Hà Nội " * 140)], stats=stats, limit=1000)
    assert q.text == asked and not q.rewritten  # its rewrite would be over the limit: not made
