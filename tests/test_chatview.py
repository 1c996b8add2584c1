"""What the chat renders: escaping, citation anchors, sources, the Markdown copied, coverage."""

import json
import re
from datetime import date

from assistant.app.chatview import (
    Turn,
    answers_of,
    assistant_content,
    briefing_stem,
    chat_messages,
    common_backend,
    coverage,
    inert,
    passage_html,
    restore,
    sources_html,
    to_markdown,
)
from assistant.documents import Answer, Citation, Document

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> [bấm](javascript:alert(3)) ${alert(4)} {{x}} **đậm**'


def _cite(n=1, **kw):
    d = {
        "n": n, "doc_id": "004", "title": "Sở Ngoại vụ Hà Nội: 25 năm", "date": "17/12/2021",
        "quote": "Sở được thành lập ngày 17/12/1996.",
        "passage": "Mở đầu bài viết. Sở được thành lập ngày 17/12/1996. Câu sau.",
        "outlet": "kinhtedothi.vn", "url": "https://kinhtedothi.vn/bai-viet.html",
    }
    return Citation(**{**d, **kw})


def _turn(**kw):
    question = "Sở Ngoại vụ Hà Nội thành lập khi nào?"
    d = {"id": "t1", "asked": question, "question": question, "text": "Sở được thành lập ngày 17/12/1996. [1]",
         "citations": (_cite(),)}
    return Turn(**{**d, **kw})


def _no_active_markup(rendered: str) -> None:
    # markup of our own is allowed; nothing from HOSTILE may survive as markup or Markdown
    for bad in ("<script", "<img", "javascript:", "](", "**", "${", "{{"):
        assert bad not in rendered


def test_inert_escapes_html_and_markdown():
    out = inert(HOSTILE)
    _no_active_markup(out)
    assert "<" not in out and ">" not in out
    assert "bấm" in out and "đậm" in out  # Vietnamese text itself untouched


def test_answer_links_each_marker_to_an_anchor_unique_to_its_turn():
    content = assistant_content(_turn())
    assert '<a class="cite" href="#src-t1-1"' in content
    other = assistant_content(_turn(id="t2"))
    assert 'href="#src-t2-1"' in other and "src-t1-1" not in other


def test_unknown_markers_stay_text():
    content = assistant_content(_turn(text="Câu trả lời. [1] [7]"))
    assert content.count('class="cite"') == 2  # [1] in the text, [1] in the source line
    assert "[7]" not in content and "&#91;7&#93;" in content


def test_hostile_answer_and_citation_render_inert():
    c = _cite(title=HOSTILE, quote=HOSTILE, passage="Trước. " + HOSTILE + " Sau.", outlet=HOSTILE,
              url="javascript:alert(5)")
    turn = _turn(asked=HOSTILE, text=HOSTILE + " [1]", citations=(c,))
    for rendered in (assistant_content(turn), sources_html([turn]), *(m["content"] for m in chat_messages([turn]))):
        _no_active_markup(rendered)
    assert "<a href" not in sources_html([turn])  # a javascript: URL is shown, never linked


def test_sources_panel_lists_every_cited_passage_with_its_quote_marked():
    turns = [_turn(), _turn(id="t2", citations=(_cite(), _cite(2, quote="Câu sau.")), text="x [1] y [2]")]
    html = sources_html(turns)
    assert [m for m in re.findall(r'id="(src-[^"]+)"', html)] == ["src-t2-1", "src-t2-2", "src-t1-1"]
    assert "<mark>Sở được thành lập ngày 17&#47;12&#47;1996&#46;</mark>" in html
    assert 'href="https&#58;&#47;&#47;kinhtedothi&#46;vn&#47;bai&#45;viet&#46;html"' in html
    assert "kinhtedothi&#46;vn" in html and "17&#47;12&#47;2021" in html


def test_sources_panel_empty_state_is_vietnamese():
    assert "Bấm vào số" in sources_html([])


def test_passage_is_clipped_around_the_quote():
    c = _cite(passage="a " * 400 + "Sở được thành lập ngày 17/12/1996." + " b" * 400)
    out = passage_html(c, context=50)
    assert out.startswith("…") and out.endswith("…")
    assert "<mark>" in out and len(out) < 400


def test_rewritten_question_is_shown():
    turn = _turn(asked="Còn Hà Nội thì sao?")
    assert "Câu hỏi được hiểu là" in assistant_content(turn)
    assert "Câu hỏi được hiểu là" not in assistant_content(_turn())


def test_notice_and_streaming_bubbles():
    notice = Turn("n1", "", text="Bạn chưa nhập câu hỏi.", notice=True)
    assert chat_messages([notice]) == [{"role": "assistant", "content": '<div class="notice">Bạn chưa nhập câu hỏi&#46;</div>'}]
    pending = Turn("p1", "Câu hỏi?", "Câu hỏi?")
    messages = chat_messages([], pending=pending, partial="")
    assert messages[0]["role"] == "user" and "Đang tìm" in messages[1]["content"]


def test_markdown_for_a_briefing():
    turn = _turn(citations=(_cite(), _cite(2, outlet="", url="", quote="Câu sau.")), text="A. [1] B. [2]")
    assert to_markdown(turn) == (
        "**Câu hỏi:** Sở Ngoại vụ Hà Nội thành lập khi nào?\n"
        "\n"
        "A. [1] B. [2]\n"
        "\n"
        "**Nguồn:**\n"
        "\n"
        "1. Sở Ngoại vụ Hà Nội: 25 năm — 17/12/2021 — kinhtedothi.vn — <https://kinhtedothi.vn/bai-viet.html>\n"
        "   > Sở được thành lập ngày 17/12/1996.\n"
        "2. Sở Ngoại vụ Hà Nội: 25 năm — 17/12/2021\n"
        "   > Câu sau.\n"
    )


def test_refusal_markdown_has_no_sources():
    turn = _turn(text="Không tìm thấy thông tin này trong các bài viết.", refused=True, citations=())
    assert "Nguồn" not in to_markdown(turn)


def test_turns_round_trip_through_json_and_bad_data_is_dropped():
    turns = [_turn(), _turn(id="t2", asked="Còn Hà Nội thì sao?")]
    stored = json.loads(json.dumps([t.to_dict() for t in turns]))
    assert restore(stored) == turns
    bad = [
        {**turns[0].to_dict(), "id": 'x" onmouseover="alert(1)'},  # would become an HTML id
        {**turns[0].to_dict(), "text": ["not", "text"]},
        {**turns[0].to_dict(), "citations": [{"n": "1"}]},
        {"unexpected": True},
        "not a dict",
    ]
    assert restore(bad + stored) == turns
    assert restore({"not": "a list"}) == []


def test_coverage_counts_articles_dates_and_build_time():
    docs = {
        "a": Document("a", "A", "x", date="2016", date_label="2016", date_sort="2016-07", localities=("Hải Phòng",)),
        "b": Document("b", "B", "x", date="2025-04-27", date_label="27/04/2025", date_sort="2025-04-27",
                      localities=("Hải Phòng", "Hà Nội")),
        "c": Document("c", "C", "x", date_label="không ghi ngày (viết sau 2020)", date_sort="2021"),
    }
    cov = coverage(docs, {"built_at": "2025-11-22T21:47:09+0000", "chunks": 59})
    assert (cov.articles, cov.first, cov.last) == (3, "2016", "27/04/2025")
    assert cov.text() == "3 bài viết · từ 2016 đến 27/04/2025 · Hải Phòng, Hà Nội · chỉ mục lập lúc 21:47 22/11/2025 UTC"
    # in Vietnam's time (the setting timezone's default), the next morning
    local = coverage(docs, {"built_at": "2025-11-22T21:47:09+0000"}, "Asia/Ho_Chi_Minh")
    assert local.built_at == "04:47 23/11/2025"
    assert coverage(docs, {"built_at": "2025-11-22T21:47:09+0000"}, "Mars/Olympus").built_at.endswith("UTC")


def test_passage_is_clipped_between_sentences_when_it_can_be():
    c = _cite(passage="Câu một dài. " * 40 + "Sở được thành lập ngày 17/12/1996." + " Câu hai dài." * 40)
    out = passage_html(c, context=60)
    assert out.startswith("… Câu một dài") and out.endswith("Câu hai dài&#46; …")


def test_turns_become_answers_for_a_briefing_notices_left_out():
    notice = Turn("n1", "", text="Bạn chưa nhập câu hỏi.", notice=True)
    follow = _turn(id="t2", asked="Còn Hà Nội thì sao?", backend="extractive")
    typed = _turn(id="t3", question="", asked="Hải Phòng?", text="Không có.", refused=True, citations=())
    answers = answers_of([notice, _turn(), follow, typed])
    assert answers == [
        Answer(_turn().question, _turn().text, False, (_cite(),), backend=""),
        Answer(follow.question, follow.text, False, (_cite(),), backend="extractive"),
        Answer("Hải Phòng?", "Không có.", True, (), backend=""),
    ]
    assert answers_of([notice]) == []


def test_the_briefing_backend_is_the_answers_own_or_the_configured_one():
    a = Answer("q", "t", False, backend="openai")
    assert common_backend([a, Answer("q", "t", False, backend="")], "extractive") == "openai"
    assert common_backend([a, Answer("q", "t", False, backend="llamacpp")], "extractive") == "extractive"
    assert common_backend([], "llamacpp") == "llamacpp"


def test_briefing_file_names_are_ascii():
    day = date(2025, 11, 22)
    assert briefing_stem("", day) == "ban-tin-2025-11-22"
    assert briefing_stem("  Đối ngoại Hải Phòng & Đà Nẵng!  ", day) == "ban-tin-doi-ngoai-hai-phong-da-nang-2025-11-22"
    assert briefing_stem("«»/..", day) == "ban-tin-2025-11-22"  # nothing left of the topic: no path tricks
    long = briefing_stem("Quan hệ hữu nghị " * 20, day)
    assert len(long) <= len("ban-tin--2025-11-22") + 60 and re.fullmatch(r"[a-z0-9-]+", long)
    assert not long.startswith("-") and "--" not in long


def test_a_briefing_from_restored_turns_keeps_only_verifiable_quotes():
    from assistant.briefing import assemble

    doc = Document("004", "Sở Ngoại vụ Hà Nội: 25 năm", "Mở đầu bài viết. Sở được thành lập ngày 17/12/1996. Câu sau.")
    forged = _cite(2, quote="Sở có 900 cán bộ.")  # not in the article: e.g. edited in sessionStorage
    turn = _turn(text="Sở được thành lập ngày 17/12/1996. [1]\nSở có 900 cán bộ. [2]", citations=(_cite(), forged))
    b = assemble([("", answers_of([turn]))], {"004": doc})
    assert [f.quote for f in b.footnotes] == ["Sở được thành lập ngày 17/12/1996."]
    assert b.items[0].dropped == 1
