"""The file parsers in a worker process: a damaged or crafted file costs bounded time and memory.

HTML, PDF and DOCX parsers (trafilatura/lxml, pypdf, python-docx) are large C and Python
libraries fed with files from anywhere. One long-lived worker process per server or build
runs them, one file at a time: its address space is capped (``Limits.memory_mb``, so a
decompression bomb ends in a MemoryError, not in the server being killed), and a file that
takes longer than ``Limits.seconds`` has its worker killed and replaced. Either way the file
is Unreadable with the reason, and the next file gets a fresh worker.

Not here: what a format's reader does (``formats``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path

from .formats import NO_LIMITS_GIVEN, PARSED, READERS, Extracted, Limits, Unreadable, read


def _serve(conn: Connection, memory_mb: int) -> None:
    """The worker: read each ``(suffix, raw, limits)`` sent, answer ``("ok", Extracted)`` or ``("no", Unreadable)``."""
    import logging
    import resource

    cap = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    logging.disable(logging.WARNING)  # the parsers' complaints about a damaged file: its Unreadable says it
    while True:
        try:
            suffix, raw, limits = conn.recv()
        except (EOFError, OSError):  # the server or build is gone
            return
        try:
            conn.send(("ok", read(suffix, raw, limits)))
        except Unreadable as exc:
            conn.send(("no", exc))
            if isinstance(exc.__cause__, MemoryError):
                return  # a worker that ran out of memory is not trusted with the next file


class _Worker:
    """``python -m assistant.ingest.sandbox`` on one end of a socket pair.

    subtle: a new interpreter, not multiprocessing: fork is unsafe in a threaded server, and
    spawn re-runs the caller's main script (a user's script without a ``__main__`` guard).
    """

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        self.fresh = True  # its first file waits for the parsers to import too
        mine, theirs = socket.socketpair()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}  # the same package
        self.proc = subprocess.Popen([sys.executable, "-m", __name__, str(theirs.fileno()), str(memory_mb)],
                                     pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, env=env)
        theirs.close()
        self.conn = Connection(mine.detach())

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(5)
        self.conn.close()


_worker: _Worker | None = None
_lock = threading.Lock()
_START_SECONDS = 5.0  # a new worker imports its parsers before the first file


def read_isolated(suffix: str, raw: bytes, limits: Limits) -> Extracted:
    """``formats.read`` in the worker process, under ``limits``; Unreadable when it fails or goes over."""
    global _worker
    with _lock:  # one file at a time: the worker is one process
        if _worker is None or not _worker.alive() or _worker.memory_mb != limits.memory_mb:
            if _worker is not None:
                _worker.stop()
            _worker = _Worker(limits.memory_mb)
        worker = _worker
        try:
            worker.conn.send((suffix, raw, limits))
            done = worker.conn.poll(limits.seconds + (_START_SECONDS if worker.fresh else 0.0))
            worker.fresh = False
            got = worker.conn.recv() if done else None
        except (EOFError, OSError, BrokenPipeError):  # the worker died: out of memory in C, a crash
            worker.stop()
            _worker = None
            raise Unreadable(f"the {suffix[1:].upper()} reader crashed on it (over the {limits.memory_mb} MB "
                             "memory limit, read_memory_mb, or a damaged file)",
                             f"trình đọc {suffix[1:].upper()} dừng đột ngột với tệp này (vượt {limits.memory_mb} MB "
                             "bộ nhớ, read_memory_mb, hoặc tệp hỏng)") from None
        if got is None:
            worker.stop()
            _worker = None
            raise Unreadable(f"reading it took over {limits.seconds:g} s (read_seconds)",
                             f"đọc tệp mất quá {limits.seconds:g} giây (read_seconds)")
        status, value = got
        if status == "ok":
            return value
        raise value


def extract(path: Path, raw: bytes, limits: Limits = NO_LIMITS_GIVEN) -> Extracted:
    """What ``path`` holds, by its suffix (``formats``' readers, the parsers in the worker); raises
    Unreadable with the reason."""
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise Unreadable(f"unsupported file type {path.suffix or '(none)'}",
                         f"không hỗ trợ loại tệp {path.suffix or '(không đuôi)'}")
    return read_isolated(suffix, raw, limits) if suffix in PARSED else read(suffix, raw, limits)


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])), int(sys.argv[2]))
