"""Answering: the extractive answerer, generative backends behind one registry, verification."""

REFUSAL = "Không tìm thấy thông tin này trong các bài viết."
