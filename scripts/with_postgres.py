"""Run a command against a real PostgreSQL server started for it, then stop the server.

    python scripts/with_postgres.py -- python -m pytest tests/test_accounts.py

A throwaway cluster (``initdb``) in a temporary folder, listening on a Unix socket there only
(no TCP port), from Debian's ``postgresql`` package (``make test`` installs it as root). As
root, the server runs as the ``postgres`` user (PostgreSQL refuses root). The command gets
``ASSISTANT_TEST_POSTGRES``: the URL of the server's ``postgres`` database, on which the tests
make a database of their own each (``tests/conftest.py``). Exits with the command's status.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise SystemExit(f"Error: PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return found[-1]


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        print("usage: with_postgres.py -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    with tempfile.TemporaryDirectory(prefix="postgres-") as tmp:
        data, port = os.path.join(tmp, "data"), "5432"
        if as_postgres:
            shutil.chown(tmp, "postgres")
        t0 = time.monotonic()
        subprocess.run([*as_postgres, _bin("initdb"), "-D", data, "-A", "trust", "-U", "assistant", "-E", "UTF8"],
                       check=True, capture_output=True)
        subprocess.run([*as_postgres, _bin("pg_ctl"), "-D", data, "-w", "-l", os.path.join(tmp, "log"),
                        "-o", f"-k {tmp} -p {port} -c listen_addresses=''", "start"], check=True, capture_output=True)
        url = f"postgresql://assistant@/postgres?host={tmp}&port={port}"
        print(f"PostgreSQL on {tmp} started in {time.monotonic() - t0:.0f} s", file=sys.stderr)
        try:
            return subprocess.call(command, env={**os.environ, "ASSISTANT_TEST_POSTGRES": url})
        finally:
            subprocess.run([*as_postgres, _bin("pg_ctl"), "-D", data, "-m", "fast", "stop"], check=False,
                           capture_output=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
