from itertools import pairwise
from pathlib import Path

from assistant.ingest.chunking import ChunkerSettings, chunk_document
from assistant.ingest.loading import load_corpus
from assistant.vietnamese import sentence_spans

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def test_chunks_point_into_the_cleaned_text_and_never_cut_a_sentence():
    settings = ChunkerSettings(size=600, overlap=150)
    for doc in load_corpus(CORPUS):
        chunks = chunk_document(doc, settings)
        starts = {s for s, _ in sentence_spans(doc.text)}
        ends = {e for _, e in sentence_spans(doc.text)}
        assert chunks, doc.doc_id
        for c in chunks:
            assert doc.text[c.start : c.end] == c.text
            assert c.start in starts and c.end in ends
            assert c.doc_id == doc.doc_id and c.title == doc.title
        # consecutive chunks overlap (or touch) and cover the whole text
        for a, b in pairwise(chunks):
            assert b.start > a.start and (b.start <= a.end or not doc.text[a.end : b.start].strip())
        assert chunks[0].start == min(starts) and chunks[-1].end == max(ends)


def test_chunk_ids_are_stable_and_change_with_content():
    doc = load_corpus(CORPUS)[0]
    a = chunk_document(doc, ChunkerSettings())
    b = chunk_document(doc, ChunkerSettings())
    assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
    assert len({c.chunk_id for c in a}) == len(a)
    changed = chunk_document(doc.__class__(**{**doc.__dict__, "text": doc.text.replace("Hải Phòng", "HP", 1)}),
                             ChunkerSettings())
    assert changed[0].chunk_id != a[0].chunk_id
