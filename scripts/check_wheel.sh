#!/usr/bin/env bash
# The wheel as a user gets it: built from this checkout (not editable), installed into a fresh
# venv outside the checkout, then checked there: every prompt template renders from the
# packaged copy, the login page and the chat's CSS and JavaScript are in it (app/static/),
# `assistant ask` answers over the seed corpus, the openai backend sends the packaged prompts
# to a real llama.cpp server (run from the dev venv), `assistant chat` serves its API and its
# /docs page (local files) from the installed package, and `assistant users` makes its
# database with the packaged migrations.
#   bash scripts/check_wheel.sh            (after `make install-dev`; .ci/run calls it)
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
DEV=$REPO/${VENV:-.venv}/bin
WORK=$(mktemp -d)
SERVER=
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK" build' EXIT

free_port() { "$DEV/python" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }
wait_for() { for _ in $(seq 120); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 1; done; }

echo "== wheel: build"
"$DEV/pip" wheel -q --no-deps --no-build-isolation . -w "$WORK/dist" 2>&1 | grep -v -i "warn\|^ *!!\|\*\*\*\|corresp\|^ *$\|SPDX\|2027\|packaging.python" || true
WHEEL=$(ls "$WORK"/dist/assistant-*.whl)
python3 -m venv "$WORK/venv"
quiet() { "$@" 2>&1 | { grep -v "is ignored: it is neither" || true; }; }  # this machine's pip index notes
quiet "$WORK/venv/bin/pip" install -q --upgrade pip
quiet "$WORK/venv/bin/pip" install -q "$WHEEL[openai,ui,mcp]"
BIN=$WORK/venv/bin
cd "$WORK"  # nothing of the checkout on sys.path or in the working directory

echo "== wheel: prompt templates"
"$BIN/python" - "$REPO/prompts" <<'PY'
import sys
from pathlib import Path
import assistant.answer.prompts as prompts
from assistant.answer.prompts import placeholders, prompts_dir, render, template_names

where = prompts_dir()
assert "site-packages" in str(where), f"prompts read from {where}, not from the installed wheel"
names = template_names()
wanted = sorted(p.stem for p in Path(sys.argv[1]).glob("*.txt"))
assert names == wanted, f"the wheel has templates {names}, the checkout {wanted}"
for name in names:
    text = render(name, **{key: f"<{key}>" for key in placeholders(prompts.load_template(name))})
    assert text.strip(), name
print(f"{len(names)} templates render from {where}: {', '.join(names)}")
PY

echo "== wheel: the login page and the chat's CSS and JavaScript"
"$BIN/python" - "$REPO/src/assistant/app/static" <<'PY'
import sys
from importlib.resources import files
from pathlib import Path

where = files("assistant.app.static")
assert "site-packages" in str(where), f"static files read from {where}, not from the installed wheel"
wanted = sorted(p.name for p in Path(sys.argv[1]).iterdir() if p.suffix in (".html", ".css", ".js"))
missing = [name for name in wanted if not where.joinpath(name).is_file()]
assert not missing, f"the wheel lacks {missing}"
print(f"{len(wanted)} static files in the wheel: {', '.join(wanted)}")
PY

echo "== wheel: assistant ask over the seed corpus"
"$BIN/assistant" index --corpus "$REPO/corpus" --index "$WORK/index" 2>/dev/null
"$BIN/assistant" ask "Sở Ngoại vụ Hà Nội được thành lập khi nào?" --corpus "$REPO/corpus" --index "$WORK/index" \
  --json > "$WORK/answer.json"
"$BIN/python" - "$WORK/answer.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))
assert not a["refused"] and a["citations"], a
print("answered:", a["answer"].splitlines()[0], "| cites", a["citations"][0]["doc_id"])
PY

echo "== wheel: openai backend with the packaged prompts, against a real llama.cpp server"
GGUF=$("$DEV/python" -c "from assistant.answer.chat_models import bundled_gguf; print(bundled_gguf())")
PORT=$(free_port)
"$DEV/python" "$REPO/tests/llama_server.py" --model "$GGUF" --host 127.0.0.1 --port "$PORT" --n_ctx 4096 \
  > "$WORK/server.log" 2>&1 &
SERVER=$!
wait_for "http://127.0.0.1:$PORT/v1/models"
ASSISTANT_OPENAI_BASE_URL="http://127.0.0.1:$PORT/v1" ASSISTANT_OPENAI_MODEL=gemma3-270m ASSISTANT_SYSTEM_PROMPT_AS_USER=true ASSISTANT_LLM_TIMEOUT=120 \
  "$BIN/assistant" ask "Sở Ngoại vụ Hà Nội được thành lập khi nào?" --backend openai --json \
  --corpus "$REPO/corpus" --index "$WORK/index" > "$WORK/generated.json"
"$BIN/python" - "$WORK/generated.json" "$REPO/prompts/system.txt" <<'PY'
import json, sys
a = json.load(open(sys.argv[1], encoding="utf-8"))
rule = open(sys.argv[2], encoding="utf-8").read().splitlines()[0][:60]
assert rule in a["prompt"] and "<trích_đoạn>" in a["prompt"], "the packaged prompts were not sent"
assert not any("Không kết nối" in n for n in a["notices"]), a["notices"]  # the server was reached
assert a["citations"] and not a["refused"], a
print(f"generative answer via {a['backend']}: {a['answer'].splitlines()[0][:80]}",
      f"| notices: {a['notices'] or 'none'}")
PY
echo "== wheel: the server (chat, API, /docs without a CDN)"
kill "$SERVER" 2>/dev/null || true
PORT=$(free_port)
ASSISTANT_DATA_DIR="$WORK/data" "$BIN/assistant" chat --port "$PORT" --corpus "$REPO/corpus" --index "$WORK/index" \
  > "$WORK/chat.log" 2>&1 &
SERVER=$!
wait_for "http://127.0.0.1:$PORT/v1/models"
curl -sf "http://127.0.0.1:$PORT/api/v1/ask" -H 'content-type: application/json' \
  -d '{"question": "Sở Ngoại vụ Hà Nội được thành lập khi nào?"}' > "$WORK/api.json" || { cat "$WORK/chat.log"; exit 1; }
"$BIN/python" -c "import json,sys; a=json.load(open(sys.argv[1])); assert a['citations'], a; print('api answered:', a['answer'].splitlines()[0])" "$WORK/api.json"
curl -sf "http://127.0.0.1:$PORT/docs" -o "$WORK/docs.html"
grep -q "static-offline-docs/swagger-ui-bundle.js" "$WORK/docs.html"
curl -sf "http://127.0.0.1:$PORT/static-offline-docs/swagger-ui-bundle.js" -o "$WORK/swagger.js"
[ "$(stat -c %s "$WORK/swagger.js")" -gt 100000 ]
echo "/docs served from the package's own files"

echo "== wheel: accounts (the schema's migrations from the package)"
echo "secret-pass-1" | ASSISTANT_DATA_DIR="$WORK/data2" "$BIN/assistant" users add lan --role admin --password-stdin
ASSISTANT_DATA_DIR="$WORK/data2" "$BIN/assistant" users audit | grep -q "add user"
echo "users and the audit work from the installed package"
echo "== wheel: OK"
