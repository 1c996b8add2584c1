"""Builds on a Ray cluster (``assistant index --ray ADDRESS``): a local cluster started as users
start one (``ray start --head``), and the build run from the command line in its own process."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, free_port

pytestmark = pytest.mark.slow  # a Ray cluster on this machine
pytest.importorskip("ray")
RAY = Path(sys.executable).with_name("ray")
VECTORS = {"vectors.npy", "sentences.npy"}  # the model's output: equal within 1e-5; the rest byte for byte


def _build_files(index: Path) -> dict[str, bytes]:
    build = index / "builds" / (index / "CURRENT").read_text().strip()
    return {p.name: p.read_bytes() for p in sorted(build.iterdir()) if p.is_file() and p.name != "manifest.json"}


def test_a_build_on_a_ray_cluster_equals_the_local_build(seed_settings, tmp_path):
    """The seed corpus built twice from the command line, here and on the cluster."""
    port = free_port()
    # loopback only: no token (Ray 2.60 otherwise makes one in ~/.ray for a new local cluster)
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
    started = subprocess.run([str(RAY), "start", "--head", f"--port={port}", "--num-cpus=2", "--include-dashboard=false",
                              "--disable-usage-stats"], capture_output=True, text=True, env=env, timeout=180, check=False)
    assert started.returncode == 0, started.stderr[-3000:]
    shutil.copytree(seed_settings.corpus_dir, tmp_path / "corpus")
    where = ["--corpus", str(tmp_path / "corpus")]
    try:
        for name, extra in (("local", []), ("ray", ["--ray", f"127.0.0.1:{port}"])):
            run = subprocess.run([sys.executable, "-m", "assistant", "index", *extra, *where, "--index",
                                  str(tmp_path / name)], capture_output=True, text=True, env=env, timeout=900,
                                 cwd=ROOT, check=False)
            assert run.returncode == 0, run.stderr[-3000:]
    finally:
        subprocess.run([str(RAY), "stop", "--force"], capture_output=True, env=env, timeout=120, check=False)
    local, on_ray = _build_files(tmp_path / "local"), _build_files(tmp_path / "ray")
    assert sorted(local) == sorted(on_ray) and "chunks.jsonl" in local and "vectors.npy" in local
    for name in sorted(set(local) - VECTORS):  # chunks, documents, BM25, syllables, sentence spans
        assert hashlib.sha256(local[name]).digest() == hashlib.sha256(on_ray[name]).digest(), name
    for name in sorted(VECTORS & set(local)):
        a, b = np.load(io.BytesIO(local[name])), np.load(io.BytesIO(on_ray[name]))
        assert a.shape == b.shape and np.abs(a - b).max() <= 1e-5, name
