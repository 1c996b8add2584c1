"""ChatEngine over the real seed index; the `assistant chat` command; create_app without serving."""

from dataclasses import replace

import pytest
from click.testing import CliRunner

from assistant.app.chat import UNEXPECTED, ChatEngine, available_backends
from assistant.app.chatview import Turn
from assistant.app.cli import main

HAI_PHONG = "Sở Ngoại vụ Hải Phòng được thành lập khi nào?"
EMPTY = "Bạn chưa nhập câu hỏi."


@pytest.fixture(scope="module")
def engine(seed_settings, seed_assistant):
    return ChatEngine(seed_settings, seed_assistant)


def _final(stream) -> tuple[Turn, list[str | None]]:
    steps = list(stream)
    return steps[-1][0], [partial for _, partial in steps]


def test_answer_streams_then_arrives_with_citations(engine):
    turn, partials = _final(engine.stream(HAI_PHONG, []))
    assert partials[0] == "" and partials[-1] is None and len(partials) >= 3  # pending, fragments, final
    assert "26/11/2004" in turn.text and turn.citations
    assert turn.citations[0].doc_id == "000_ec42a8eebfee3595"
    assert not turn.rewritten and not turn.notice


def test_follow_up_is_answered_as_a_standalone_question(engine):
    first, _ = _final(engine.stream(HAI_PHONG, []))
    second, _ = _final(engine.stream("Còn Hà Nội thì sao?", [first]))
    assert second.question == "Sở Ngoại vụ Hà Nội được thành lập khi nào?"
    assert second.rewritten
    assert "17/12/1996" in second.text
    assert second.citations[0].doc_id == "004_ce329a74134a4137"
    assert second.id != first.id


def test_a_follow_up_naming_the_person_of_the_previous_answer(engine):
    first, _ = _final(engine.stream("Ai đã ký bản ghi nhớ với tỉnh Niigata?", []))
    assert "Lê Văn Thành" in first.text
    second, _ = _final(engine.stream("Ông ấy giữ chức vụ gì?", [first]))
    assert second.rewritten
    name = second.question.split(" giữ chức vụ")[0]
    assert name.startswith("Ông ") and name[4:] in first.text  # a name the previous answer gave


def test_a_question_in_other_unicode_forms_is_not_shown_as_rewritten(engine):
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Sở Ngoại vụ Hải Phòng được thành lập khi nào?")
    turn, _ = _final(engine.stream(nfd, []))
    assert not turn.rewritten and "26/11/2004" in turn.text


@pytest.mark.parametrize(
    ("message", "expected"),
    [("", EMPTY), ("   \n ", EMPTY), ("Hải Phòng? " * 500, "vượt quá giới hạn 1000 ký tự")],
)
def test_empty_or_huge_message_gets_a_polite_notice(engine, message, expected):
    turn, partials = _final(engine.stream(message, []))
    assert partials == [None]  # answered at once, nothing retrieved
    assert turn.notice and expected in turn.text


def test_notices_are_not_used_as_follow_up_context(engine):
    notice, _ = _final(engine.stream("", []))
    first, _ = _final(engine.stream(HAI_PHONG, []))
    turn, _ = _final(engine.stream("Còn Hà Nội thì sao?", [first, notice]))
    assert turn.question == "Sở Ngoại vụ Hà Nội được thành lập khi nào?"


class _Broken:
    """Stands in at the answer-backend seam: fails the way a bug would."""

    name = "extractive"

    def wants(self, k):
        return k

    def answer(self, query, hits, k=None):
        raise RuntimeError("boom")

    def stream(self, query, hits, k=None):
        raise RuntimeError("boom")
        yield


def test_unexpected_failure_is_an_apology_not_a_traceback(seed_settings, seed_assistant):
    broken = replace(seed_assistant, answerer=_Broken(), _siblings={})
    turn, _ = _final(ChatEngine(seed_settings, broken).stream(HAI_PHONG, []))
    assert turn.notice and turn.text == UNEXPECTED
    assert "boom" not in turn.text


def test_backends_offered_include_the_configured_one(seed_settings):
    assert available_backends(seed_settings)[0] == seed_settings.backend


def test_create_app_builds_without_serving(seed_settings, seed_assistant):
    import gradio as gr

    from assistant.app.ui import create_app

    app = create_app(seed_settings, seed_assistant)
    assert isinstance(app, gr.Blocks)
    assert not app.is_running
    assert app.title == "Trợ lý tra cứu đối ngoại địa phương"


def test_chat_without_an_index_says_so_in_one_line(tmp_path):
    result = CliRunner().invoke(main, ["chat", "--index", str(tmp_path / "none"), "--port", "7999"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and "assistant index" in lines[0]


def test_chat_help_lists_its_options():
    result = CliRunner().invoke(main, ["chat", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--share", "--k", "--index"):
        assert option in result.output
