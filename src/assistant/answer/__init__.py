"""Answering: the extractive answerer, generative backends behind one registry, verification."""

from __future__ import annotations

from collections.abc import Iterable

from ..documents import Answer
from ..errors import AssistantError

REFUSAL = "Không tìm thấy thông tin này trong các bài viết."


def final_answer(stream: Iterable[str | Answer]) -> Answer:
    """The Answer that ends a stream of fragments (every backend's stream ends with one)."""
    answer = None
    for piece in stream:
        if isinstance(piece, Answer):
            answer = piece
    if answer is None:
        raise AssistantError("the answer stream ended without an answer")
    return answer
