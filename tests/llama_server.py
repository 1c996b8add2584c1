"""Run ``llama_cpp.server`` (same arguments) with llama.cpp's extra buffer types off.

The tests start a real OpenAI-compatible server with this, because on CPUs with AMX the
stock ``python -m llama_cpp.server`` segfaults on the first token (see
``assistant.answer.chat_models.without_extra_buffers``).

    python tests/llama_server.py --model FILE.gguf --host 127.0.0.1 --port 8000
"""

from llama_cpp.server.__main__ import main

from assistant.answer.chat_models import without_extra_buffers

if __name__ == "__main__":
    with without_extra_buffers():
        main()
