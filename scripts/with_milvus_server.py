"""Run a command against a real Milvus server started for it on loopback, then stop the server.

    python scripts/with_milvus_server.py -- python -m pytest tests/test_store.py

The server is Milvus standalone from the ``milvus`` package on PyPI (2.3.5: no BM25 function,
so the store's fallback runs too), with its data in a fresh temporary folder. The command gets
``ASSISTANT_STORE=milvus`` and ``ASSISTANT_MILVUS_URI=http://127.0.0.1:PORT``. One such server
runs on a machine at a time (its embedded etcd takes fixed ports): a second one fails to start,
said in one line. Exits with the command's status.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print("usage: with_milvus_server.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    try:
        from milvus import default_server
    except ImportError:
        print('Error: the Milvus server needs the "milvus" package: pip install milvus==2.3.5', file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="milvus-server-") as data:
        default_server.set_base_dir(data)
        t0 = time.monotonic()
        try:
            default_server.start()
        except Exception as exc:  # noqa: BLE001 - the package raises TimeoutError, RuntimeError, OSError
            default_server.stop()
            print(f"Error: the Milvus server did not start ({exc}); is another one running?", file=sys.stderr)
            return 2
        uri = f"http://127.0.0.1:{default_server.listen_port}"
        print(f"Milvus server {uri} started in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        try:
            env = {**os.environ, "ASSISTANT_STORE": "milvus", "ASSISTANT_MILVUS_URI": uri}
            return subprocess.call(command, env=env)
        finally:
            default_server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
