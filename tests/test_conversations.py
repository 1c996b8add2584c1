"""Saved conversations in the accounts database: per user, newest first, and reopened with their
citations after the index is rebuilt (a changed or removed article is said so on its card)."""

from __future__ import annotations

import shutil

from assistant.app.accounts import Accounts
from assistant.app.chatview import Turn, citation_state, sources_html
from assistant.app.conversations import Conversations, title_of

DA_NANG = "Đà Nẵng có quan hệ với bao nhiêu địa phương nước ngoài?"


def test_each_user_sees_only_their_own_conversations(tmp_path, database_url):
    accounts = Accounts(tmp_path, database_url)
    accounts.add("lan", "secret-pass-1")
    accounts.add("minh", "secret-pass-2")
    store = Conversations(accounts)
    first = store.add_turn("lan", None, Turn("a1", "Câu hỏi thứ nhất?", text="Trả lời [1]"))
    assert store.add_turn("lan", first, Turn("a2", "Còn thì sao?", text="…")) == first
    second = store.add_turn("lan", None, Turn("b1", "Câu hỏi khác?", notice=True, text="Thông báo"))
    theirs = store.add_turn("minh", None, Turn("c1", "Của Minh?"))
    assert [c.id for c in store.list("lan")] == [second, first]  # the most recently used first
    assert [(c.title, c.turns) for c in store.list("lan")] == [("Câu hỏi khác?", 1), ("Câu hỏi thứ nhất?", 2)]
    assert [t.id for t in store.turns("lan", first)] == ["a1", "a2"] and store.turns("lan", second)[0].notice
    # another user's id reads as nothing, and writing to it starts a conversation of one's own
    assert store.turns("lan", theirs) == [] and not store.owns("lan", theirs)
    assert not store.rename("lan", theirs, "x") and not store.delete("lan", theirs)
    assert store.add_turn("lan", theirs, Turn("d1", "Chen vào?")) not in (theirs, first, second)
    assert [t.id for t in store.turns("minh", theirs)] == ["c1"]
    assert store.rename("lan", first, "  Tên   mới ") and store.list("lan")[-1].title == "Tên mới"
    assert store.delete("lan", second) and second not in [c.id for c in store.list("lan")]
    accounts.remove("lan")  # a user's conversations go with them
    with accounts.db() as con:
        assert con.execute("SELECT COUNT(*) FROM conversations WHERE \"user\" = 'lan'").fetchone()[0] == 0
        assert con.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 1


def test_titles_are_the_first_question_on_one_line():
    assert title_of(Turn("a", "  Sở Ngoại vụ\nHà Nội?  ")) == "Sở Ngoại vụ Hà Nội?"
    long = title_of(Turn("a", "từ " * 60))
    assert len(long) <= 82 and long.endswith(" …")
    assert title_of(Turn("a", "   ")) == "Hội thoại"


def test_citations_reopen_after_a_rebuild_and_say_when_their_article_changed_or_left(tmp_path, database_url, embedder,
                                                                                       mini_settings):
    from assistant.pipeline import Assistant, build_index

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(mini_settings.corpus_dir, corpus)
    settings = mini_settings.with_overrides(corpus_dir=corpus, index_dir=index)
    build_index(settings, embedder)
    answer = Assistant.open(settings, embedder).ask(DA_NANG)
    assert answer.citations and not answer.refused
    accounts = Accounts(tmp_path / "data", database_url)
    accounts.add("lan", "secret-pass-1")
    store = Conversations(accounts)
    conversation = store.add_turn("lan", None, Turn.from_answer("t1", DA_NANG, answer))
    cited = answer.citations[0]

    def reopened():
        turns = store.turns("lan", conversation)
        docs = Assistant.open(settings, embedder).index.documents
        return turns, docs, sources_html(turns, docs)

    # rebuilt, article unchanged: the stored citation is whole and nothing is flagged
    build_index(settings, embedder, rebuild=True)
    turns, docs, page = reopened()
    assert turns[0].citations == answer.citations and citation_state(cited, docs) == ""
    assert f'id="src-t1-{cited.n}"' in page and "src-stale" not in page and "<mark>" in page

    # the article now says something else: the card keeps the stored quote and says it changed
    source = next(p for p in corpus.iterdir() if p.stem == cited.doc_id)
    source.write_text(source.read_text(encoding="utf-8").replace("36 địa phương", "40 địa phương"), encoding="utf-8")
    build_index(settings, embedder)
    turns, docs, page = reopened()
    assert citation_state(cited, docs) == "changed"
    assert "đã thay đổi sau khi trả lời" in page and "36" in page and f'id="src-t1-{cited.n}"' in page

    # the article is gone from the corpus
    source.unlink()
    build_index(settings, embedder)
    turns, docs, page = reopened()
    assert citation_state(cited, docs) == "gone" and "không còn trong kho tài liệu" in page
