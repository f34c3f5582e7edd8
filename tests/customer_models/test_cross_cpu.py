"""Same predictions and the same result files, bit for bit, whatever the CPU's BLAS kernels.

Each check runs in fresh processes with OpenBLAS forced to a different core type
(`OPENBLAS_CORETYPE`: the kernels a Haswell, Sandy Bridge, Nehalem... machine would use) and
thread count, and once with numpy's SIMD dispatch switched off (`NPY_DISABLE_CPU_FEATURES`),
and compares bytes. Only core types this CPU can execute are tried; the child reports the
kernel OpenBLAS really chose (threadpoolctl), so a silently ignored variable fails the test
instead of passing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: OpenBLAS core type -> the /proc/cpuinfo flags its kernels need.
CORE_TYPES: dict[str, tuple[str, ...]] = {
    "Katmai": (),
    "Nehalem": ("sse4_2",),
    "Sandybridge": ("avx",),
    "Haswell": ("avx2", "fma"),
    "SkylakeX": ("avx512f", "avx512bw", "avx512vl", "avx512dq"),
}

_PREDICT = """
import hashlib, json, sys
import numpy as np
from threadpoolctl import threadpool_info
from customer_models import features
from customer_models.ground_truth import generate
from customer_models.models import OutcomeModels

models = OutcomeModels.load_default()
cols = generate(np.random.default_rng(20261204), 3000).columns
X = features.encode_columns(cols)
p = models.predict(X)
digest = hashlib.sha256()
for a in (X, p.csat_probs, p.csat_mean, p.csat_top_box, p.churn, p.cross_sell):
    digest.update(np.ascontiguousarray(a).tobytes())
why = [
    [(f.key, f.effect) for f in models.explain(X[i], target=t)]
    for i in range(0, 3000, 300)
    for t in ("csat", "churn", "cross_sell")
]
blas = [i.get("architecture") for i in threadpool_info() if i.get("user_api") == "blas"]
print(json.dumps({"blas": blas, "predictions": digest.hexdigest(), "explain": why}))
"""

_RUN = "import sys; from sandbox.cli import main; sys.exit(main(sys.argv[1:]))"


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _core_types() -> list[str]:
    flags = _cpu_flags()
    return [name for name, need in CORE_TYPES.items() if flags and set(need) <= flags]


def _numpy_dispatch() -> str:
    """numpy's SIMD targets in use on this CPU (to switch off in one variant), or ""."""
    try:
        from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
    except ImportError:
        return ""
    return " ".join(t for t in __cpu_dispatch__ if __cpu_features__.get(t))


def _env(core: str, threads: int, no_simd: str = "") -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENBLAS_", "OMP_", "MKL_", "NPY_", "GOTO"))
    }
    env.update(OPENBLAS_CORETYPE=core, OPENBLAS_NUM_THREADS=str(threads))
    if no_simd:
        env["NPY_DISABLE_CPU_FEATURES"] = no_simd
    return env


def _variants(threads: tuple[int, ...] = (1, 2)) -> list[tuple[str, dict[str, str]]]:
    cores = _core_types()
    if len(cores) < 2:
        pytest.skip("cannot tell which OpenBLAS core types this CPU runs (no /proc/cpuinfo)")
    out = [(f"{c}/{t}", _env(c, t)) for c in cores for t in threads]
    no_simd = _numpy_dispatch()
    if no_simd:
        out.append((f"{cores[0]}/1 numpy baseline", _env(cores[0], 1, no_simd)))
    return out


def _run(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_predictions_have_the_same_bits_with_any_blas_kernel(tmp_path):
    seen: dict[str, dict[str, object]] = {}
    for label, env in _variants():
        doc = json.loads(_run(["-c", _PREDICT], env, tmp_path))
        assert doc.pop("blas") == [env["OPENBLAS_CORETYPE"]], label  # the variable took effect
        seen[label] = doc
    first, *others = seen
    for label in others:
        assert seen[label] == seen[first], f"{label} differs from {first}"


def test_a_short_run_writes_the_same_files_with_any_blas_kernel(tmp_path):
    """A few minutes of the full-day scenario (bots, queues, predictions for ~250 contacts):
    results.json, contacts.csv and events.jsonl have the same bytes."""
    variants = _variants(threads=(1,))
    variants = [variants[0], variants[-2], variants[-1]]  # extremes, and numpy's baseline
    digests: dict[str, dict[str, str]] = {}
    for i, (label, env) in enumerate(variants):
        out = tmp_path / f"run{i}"
        args = ["run", "--scenario", "full-day", "--hours", "0.1", "--seed", "3"]
        args += ["--out", str(out), "--no-db", "--no-report"]
        _run(["-c", _RUN, *args], env, tmp_path)
        digests[label] = {
            name: hashlib.sha256((out / name).read_bytes()).hexdigest()
            for name in ("results.json", "contacts.csv", "events.jsonl")
        }
    first, *others = digests
    for label in others:
        assert digests[label] == digests[first], f"{label} differs from {first}"
