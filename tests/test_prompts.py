import pytest

from assistant.answer.prompts import load_template, placeholders, render, template_names
from assistant.errors import PromptError


def test_every_template_renders_strictly():
    names = template_names()
    assert {"system", "answer", "passage", "rewrite"} <= set(names)
    for name in names:
        values = {p: f"<{p}>" for p in placeholders(load_template(name))}
        text = render(name, **values)
        for v in values.values():
            assert v in text


def test_missing_or_unknown_variables_are_errors():
    with pytest.raises(PromptError, match="needs"):
        render("passage", n=1, title="t", date="d")
    with pytest.raises(PromptError, match="no placeholder"):
        render("passage", n=1, title="t", date="d", text="x", extra="y")


def test_system_prompt_requires_citations_and_refusal():
    text = render("system", language="tiếng Việt", n_passages=3, refusal="Không tìm thấy thông tin này trong các bài viết.")
    assert "[n]" in text and "Không tìm thấy thông tin này trong các bài viết." in text
