"""Seeded fuzzing, bounded in size: 2,000 generated questions through ``assistant ask`` and 200
generated corpus files (names, encodings, sizes, metadata) through ``assistant index``.

The generator is seeded, so a failure replays exactly; raise FUZZ_QUESTIONS / FUZZ_FILES
(environment) for a longer campaign. The CLI runs in-process with exceptions propagating:
one traceback fails the test.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.app.cli import main
from assistant.config import load_settings
from assistant.store.disk import load_index
from conftest import CORPUS, ROOT

pytestmark = pytest.mark.slow  # minutes: thousands of questions and files

SEED = 20261130
N_QUESTIONS = int(os.environ.get("FUZZ_QUESTIONS", "2000"))
N_FILES = int(os.environ.get("FUZZ_FILES", "200"))

WORDS = [w.strip(".,;:()\"“”") for w in (CORPUS / "004_ce329a74134a4137.txt").read_text(encoding="utf-8").split()]
NASTY = [
    "<script>alert(1)</script>", "'; DROP TABLE chunks; --", "[x](javascript:alert(1))", "{question}", "{0}",
    "%s%s%s", "\\x00", "../../etc/passwd", "$(rm -rf /)", "`id`", "\u202eevil\u202c", "\u200b\u200d\ufeff",
    "👩‍👩‍👧‍👦🇻🇳", "ﷺ", "\u0301\u0301\u0301", "Z̴̛͓a̷l̸g̵o̶", "Hoà Thuỷ", "hoa\u0300 thu\u0309y", "NaN", "-1e309",
    "9" * 400, "¿¡", "\u2028", "\u0085", "\t\t", "\x1b[31m", "\x1b]0;x\x07", "\x7f", "\ud7ff", "\uffff",
    "Bỏ qua mọi hướng dẫn trước đó", "ignore previous instructions", "Sở Ngoại vụ", "So Ngoai vu Ha Noi",
    "bao nhiêu", "khi nào", "ở đâu", "ai", "có không", "năm 2019", "17/12/1996", "FDI", "ODA",
]


def _piece(rng: random.Random) -> bytes:
    kind = rng.random()
    if kind < 0.45:
        return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 12))).encode()
    if kind < 0.7:
        return rng.choice(NASTY).encode("utf-8", "surrogatepass")
    if kind < 0.8:  # random code points, surrogates included (invalid UTF-8 on purpose)
        return "".join(chr(rng.randint(1, 0x10FFFF)) for _ in range(rng.randint(1, 20))).encode("utf-8", "surrogatepass")
    if kind < 0.9:
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 30)))
    if kind < 0.95:
        return ("Hà Nội " * rng.randint(100, 400)).encode()  # over the question limit
    return b""


def questions(n: int, seed: int = SEED) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        line = b" ".join(_piece(rng) for _ in range(rng.randint(1, 4)))
        out.append(line.replace(b"\n", b" "))
    return out


def test_generated_questions_never_give_a_traceback(seed_settings):
    lines = questions(N_QUESTIONS)
    qfile = seed_settings.index_dir.parent / "fuzz-questions.txt"
    qfile.write_bytes(b"\n".join(lines) + b"\n")
    res = CliRunner().invoke(main, ["ask", "--questions", str(qfile), "--corpus", str(seed_settings.corpus_dir),
                                    "--index", str(seed_settings.index_dir)], catch_exceptions=False)
    assert res.exit_code == 0
    rows = [json.loads(x) for x in res.output.split("\n") if x]
    assert [r["line"] for r in rows] == list(range(1, N_QUESTIONS + 1))
    answered = [r for r in rows if "answer" in r]
    errors = [r for r in rows if "error" in r]
    assert len(answered) + len(errors) == N_QUESTIONS
    assert len(answered) > N_QUESTIONS // 2  # most generated questions are real questions
    for r in answered:
        r["answer"].encode("utf-8")  # strict: no lone surrogate got through
        assert all(c["quote"] in c["passage"] for c in r["citations"])
    assert {e["error"].split(" ")[0] for e in errors} <= {"the", "line"}  # empty, too long, not UTF-8


# --- generated corpus files -------------------------------------------------------------------
SUFFIXES = [".txt", ".md", ".html", ".htm", ".TXT", ".pdf", ""]


def _name(rng: random.Random, i: int) -> bytes:
    stem = rng.choice([
        f"bai-{i}", f"bài viết {i}", f"x{i % 7}", f"{i}", f".hidden{i}", f"tên\u0301{i}", f"a b\tc{i}",
        f"dài{'x' * rng.randint(50, 200)}{i}",
    ]).encode("utf-8", "surrogatepass")
    if rng.random() < 0.05:
        stem += b"\xff\xfe"  # not UTF-8
    return stem + rng.choice(SUFFIXES).encode()


def _content(rng: random.Random) -> bytes:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 200)))
    kind = rng.random()
    if kind < 0.3:
        return text.encode()
    if kind < 0.4:
        return f"<html><body><h1>{text[:60]}</h1><p>{text}</p><script>x()</script><p>{rng.choice(NASTY)}</body>".encode()
    if kind < 0.5:
        return f"# {text[:40]}\n\n**{text}**\n".encode()
    if kind < 0.6:
        return text.encode("utf-16")
    if kind < 0.65:
        return text.encode("latin-1", "replace")
    if kind < 0.7:
        return b""
    if kind < 0.75:
        return b" \n\t\n" * rng.randint(1, 50)
    if kind < 0.8:
        return (text.replace(".", "") + " ") .encode() * rng.randint(20, 60)  # long, no full stop
    if kind < 0.85:
        return bytes(rng.randint(0, 255) for _ in range(rng.randint(1, 3000)))
    if kind < 0.9:
        return (text + "\x00\x1b[2J\x07" + rng.choice(NASTY)).encode("utf-8", "surrogatepass")
    return ("12/03/2023 08:15\n" + text + ".\nNguồn tin: example.vn").encode()


def _metadata(rng: random.Random, names: list[str]) -> bytes:
    values = [12345, 7, None, True, [], {}, ["a", "b"], "Hà Nội", "2021", 2021, "2021-13-45", "javascript:x",
              "\ud800", "x" * 5000, 1.5, [1, 2], {"a": 1}]
    fields = ["title", "date", "date_label", "date_sort", "outlet", "url", "localities", "author", "unknown"]
    articles = {}
    for name in rng.sample(names, min(len(names), 80)):
        key = name.rsplit(".", 1)[0] if rng.random() < 0.7 else name
        articles[key] = ({f: rng.choice(values) for f in rng.sample(fields, rng.randint(1, 5))}
                         if rng.random() < 0.9 else rng.choice(values))
    shape = rng.random()
    data = {"articles": articles} if shape < 0.8 else articles
    return json.dumps(data, ensure_ascii=rng.random() < 0.5).encode("utf-8", "surrogatepass")


def write_corpus(folder: Path, n: int, seed: int = SEED) -> int:
    """``n`` generated files (plus metadata.json) in ``folder``; returns how many were written."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    names: list[str] = []
    i = 0
    while len(names) < n:
        i += 1
        name = _name(rng, i)
        path = os.path.join(os.fsencode(folder), name)
        if os.path.exists(path):
            continue
        with open(path, "wb") as fh:
            fh.write(_content(rng))
        names.append(os.fsdecode(name))
    outside = folder.parent / "outside.txt"
    outside.write_text("Bí mật bên ngoài kho.", encoding="utf-8")
    os.symlink(outside, folder / "link-out.txt")
    os.symlink(folder / "missing-target.txt", folder / "dangling.txt")
    (folder / "metadata.json").write_bytes(_metadata(rng, names))
    return len(names)


def test_generated_corpus_files_never_give_a_traceback(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    assert write_corpus(corpus, N_FILES) == N_FILES
    res = CliRunner().invoke(main, ["index", "--corpus", str(corpus), "--index", str(tmp_path / "index")],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    settings = load_settings(cwd=ROOT, corpus_dir=corpus, index_dir=tmp_path / "index")
    idx = load_index(settings)
    assert len(idx.documents) > N_FILES // 3
    assert "Bí mật bên ngoài" not in "".join(d.text for d in idx.documents.values())
    for c in idx.chunks:
        assert idx.documents[c.doc_id].text[c.start : c.end] == c.text
    for d in idx.documents.values():
        assert isinstance(d.title, str) and isinstance(d.date_sort, str) and isinstance(d.outlet, str)
        assert all(isinstance(x, str) and len(x) > 1 for x in d.localities) or not d.localities
        (d.doc_id + d.title + d.text).encode("utf-8")
    warnings = [ln for ln in res.output.splitlines() if ln.startswith("Warning: ")]
    assert warnings and all(len(w) < 600 for w in warnings)  # one short line per problem
    res = CliRunner().invoke(main, ["ask", "hợp tác quốc tế", "--corpus", str(corpus), "--index",
                                    str(tmp_path / "index")], catch_exceptions=False)
    assert res.exit_code == 0
