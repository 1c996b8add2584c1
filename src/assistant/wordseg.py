"""Vietnamese word segmentation with pyvi's CRF model, loaded without scikit-learn.

``pyvi.ViTokenizer`` keeps its model as a pickled ``sklearn_crfsuite.CRF``, so importing it
imports scikit-learn and SciPy: 0.9 s of every cold ``assistant ask``, for a model that is a
CRFsuite file inside the pickle. Here the pickle is read with stand-in classes (no code from
it runs; only NumPy scalars and byte strings are rebuilt), the CRFsuite file is handed to
``pycrfsuite`` (which sklearn_crfsuite wraps), and pyvi's own features and joining rules are
repeated from ``pyvi/ViTokenizer.py`` (pyvi 0.1.1, MIT licence, Viet-Trung Tran). It loads in
about 0.1 s; ``tests/test_wordseg.py`` checks that it segments exactly as pyvi does.

Deliberately not here: what the segments are used for (``vietnamese.index_terms``).
"""

from __future__ import annotations

import importlib.util
import pickle
import re
import string
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

_SAFE = {("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"), ("numpy", "dtype"),
         ("_codecs", "encode")}


class _State:
    """Stands in for every class in the pickle: keeps its state, runs nothing."""

    state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _SAFE:
            return super().find_class(module, name)
        return _State


def _pyvi_models() -> Path:
    spec = importlib.util.find_spec("pyvi")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("pyvi is not installed (pip install pyvi)")
    return Path(spec.origin).parent / "models"


@lru_cache(maxsize=1)
def _model() -> tuple[Any, set[str], set[str], bytes]:
    import pycrfsuite

    models = _pyvi_models()
    with (models / "pyvi3.pkl").open("rb") as fh:
        crf = _Unpickler(fh).load()
    data = crf.state["modelfile"].state["__FILE_RESOURCE_DATA__"]
    tagger = pycrfsuite.Tagger()
    tagger.open_inmemory(data)
    bi, tri = set(), set()
    for token in (models / "words.txt").read_text(encoding="utf-8").split("\n"):
        n = len(token.split(" "))
        if n == 2:
            bi.add(token)
        elif n == 3:
            tri.add(token)
    # subtle: CRFsuite reads the model in place, without a copy: the bytes must live as long
    # as the tagger, or tagging reads freed memory (a segfault)
    return tagger, bi, tri, data


_PATTERNS = [r"[A-ZĐ]+\.", r"Tp\.", r"Mr\.", r"Mrs\.", r"Ms\.", r"Dr\.", r"ThS\.",  # abbreviations
             "==>", "->", r"\.\.\.", ">>", "\n",  # specials
             r"\w+://[^\s]+", r"([a-zA-Z0-9_.+-]+@([a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+)",  # web, e-mail
             r"\d+([\.,_]\d+)+", r"[^\w\s]", r"\w+"]  # number, non-word, word
_TOKEN = re.compile("(" + "|".join(_PATTERNS) + ")", re.UNICODE)


def _syllables(text: str) -> list[str]:
    return [m[0] for m in _TOKEN.findall(unicodedata.normalize("NFC", text))]


def _features(sent: list[str], bi: set[str], tri: set[str]) -> list[dict[str, Any]]:
    """pyvi's features of every syllable of ``sent`` (``ViTokenizer.sent2features``), each
    syllable's case and each bigram and trigram looked up once, not at every position that
    names it (segmentation is most of a build's time but embedding)."""
    n = len(sent)
    low = [w.lower() for w in sent]
    title = [w.istitle() for w in sent]
    upper = [w.isupper() for w in sent]
    # subtle: lower() of the joined words equals the lower()s joined: a space is no cased letter
    bigram = [f"{low[i]} {low[i + 1]}" in bi for i in range(n - 1)]
    trigram = [f"{low[i]} {low[i + 1]} {low[i + 2]}" in tri for i in range(n - 2)]
    out = []
    for i in range(n):
        f: dict[str, Any] = {"bias": 1.0, "word.lower()": low[i], "word.isupper()": upper[i],
                             "word.istitle()": title[i], "word.isdigit()": sent[i].isdigit()}
        if i > 0:
            f.update({"-1:word.lower()": low[i - 1], "-1:word.istitle()": title[i - 1],
                      "-1:word.isupper()": upper[i - 1], "-1:word.bi_gram()": bigram[i - 1]})
            if i > 1:
                f["-2:word.tri_gram()"] = trigram[i - 2]
        if i < n - 1:
            f.update({"+1:word.lower()": low[i + 1], "+1:word.istitle()": title[i + 1],
                      "+1:word.isupper()": upper[i + 1], "+1:word.bi_gram()": bigram[i]})
            if i < n - 2:
                f["+2:word.tri_gram()"] = trigram[i]
        out.append(f)
    return out


def tokenize(text: str) -> str:
    """Syllables joined into words by "_": 'thành lập Sở Ngoại vụ' -> 'thành_lập Sở Ngoại_vụ'."""
    tmp = _syllables(text)
    if not tmp:
        return text
    tagger, bi, tri, _ = _model()
    labels = tagger.tag(_features(tmp, bi, tri))
    out = [tmp[0]]
    for i in range(1, len(labels)):
        if (labels[i] == "I_W" and tmp[i] not in string.punctuation and tmp[i - 1] not in string.punctuation
                and not tmp[i][0].isdigit() and not tmp[i - 1][0].isdigit()
                and not (tmp[i][0].istitle() and not tmp[i - 1][0].istitle())):
            out.append("_" + tmp[i])
        else:
            out.append(" " + tmp[i])
    return "".join(out)
