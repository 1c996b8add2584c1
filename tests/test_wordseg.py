"""Our loader of pyvi's CRF model segments exactly as pyvi does, without importing scikit-learn."""

import json
import random
import subprocess
import sys

import pytest

from assistant import wordseg
from assistant.vietnamese import sentence_spans
from conftest import ROOT, SHARED


def _texts() -> list[str]:
    out = []
    for p in sorted((ROOT / "corpus").iterdir()):
        if p.suffix in (".txt", ".md", ".html"):
            text = p.read_text(encoding="utf-8")
            out += [text[a:b] for a, b in sentence_spans(text)]
    rows = [json.loads(x) for x in (SHARED / "bench" / "xquad_vi" / "contexts.jsonl").read_text(encoding="utf-8").splitlines()]
    rng = random.Random(0)
    for row in rng.sample(rows, min(60, len(rows))):
        out += [row["text"][a:b] for a, b in sentence_spans(row["text"])]
    # what pyvi's tokenizer treats specially: abbreviations, URLs, e-mails, numbers, arrows, no text
    out += ["TP. Hồ Chí Minh và Tp. Đà Nẵng, ThS. Lan, Dr. An -> Hà Nội ==> 1.234,5 tỷ đồng...",
            "Liên hệ so.ngoaivu@hanoi.gov.vn hoặc https://hanoi.gov.vn/tin-tuc?id=1 >> 19/3/1983",
            "", "   ", "!!!", "UBND TỈNH QUẢNG NINH\nSỞ NGOẠI VỤ", "ha noi hop tac quoc te"]
    return out


def test_segments_exactly_as_pyvi():
    pytest.importorskip("sklearn_crfsuite")
    from pyvi import ViTokenizer

    texts = _texts()
    assert len(texts) > 300
    differ = [t for t in texts if wordseg.tokenize(t) != ViTokenizer.tokenize(t)]
    assert differ == []


def test_loading_imports_neither_scikit_learn_nor_scipy():
    code = ("import sys; from assistant import wordseg; print(wordseg.tokenize('thành lập Sở Ngoại vụ')); "
            "print(sorted(m for m in ('sklearn', 'scipy', 'sklearn_crfsuite') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["thành_lập Sở Ngoại_vụ", "[]"]


def test_a_pickle_cannot_run_code(tmp_path):
    import io
    import os
    import pickle

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    with pytest.raises(TypeError):  # os.system was replaced by the stand-in class, which takes no arguments
        wordseg._Unpickler(io.BytesIO(pickle.dumps(Evil()))).load()
    assert not (tmp_path / "pwned").exists()
