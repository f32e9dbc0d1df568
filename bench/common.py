"""Shared helpers for the benchmark workers: paths, queries, memory, percentiles, machine facts."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("BENCH_CORPUS", "/work/shared/evalsets/news_public/corpus.jsonl"))
QA_FILES = [Path("/work/shared/evalsets/news_public/qa.jsonl"), ROOT / "eval" / "seeds_gold.jsonl"]
WORK = Path(os.environ.get("BENCH_WORK", ROOT / "bench" / "_work"))


def new_articles(n: int, path: Path) -> Path:
    """The corpus's last ``n`` articles written to ``path`` as new documents (ids prefixed ``bench-new-``),
    so that they are added even to an index that holds the whole corpus."""
    lines = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()][-n:]
    path.write_text("".join(json.dumps({**r, "id": f"bench-new-{r['id']}"}, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    return path


def queries(limit: int | None = None) -> list[str]:
    """The benchmark questions: news_public qa.jsonl then the seed questions, in file order."""
    out: list[str] = []
    for path in QA_FILES:
        if path.is_file():
            out += [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out[:limit] if limit else out


def rss_mb() -> float:
    """Resident set size of this process now (MiB), from /proc."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_parts_mb() -> dict[str, float]:
    """RssAnon (heap: Python objects, FAISS, model) and RssFile (mapped files: BM25 arrays, libraries) now."""
    out = {}
    for line in open("/proc/self/status"):
        if line.startswith(("RssAnon", "RssFile", "RssShmem")):
            key, value = line.split(":", 1)
            out[key] = round(int(value.split()[0]) / 1024, 1)
    return out


def major_faults() -> int:
    """Page faults of this process that had to read from disk so far."""
    with open("/proc/self/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[9])


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else float("nan")


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 2), "p95_ms": round(pct(ms, 95), 2), "mean_ms": round(float(np.mean(ms)), 2) if ms else float("nan")}


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """nproc, CPU model, RAM, Python/torch/faiss/numpy/bm25s/jieba/langchain versions."""
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in open("/proc/cpuinfo") if line.startswith("flags")), [])
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    versions: dict[str, str] = {"python": platform.python_version()}
    for mod in ("torch", "faiss", "numpy", "bm25s", "jieba", "langchain_core", "langchain_community"):
        try:
            m = __import__(mod)
            versions[mod] = getattr(m, "__version__", "?")
        except Exception as e:  # noqa: BLE001
            versions[mod] = f"n/a ({type(e).__name__})"
    try:
        from importlib.metadata import version

        versions["rank_bm25"] = version("rank_bm25")
        versions["langchain_classic"] = version("langchain-classic")
    except Exception:  # noqa: BLE001
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "cpu_flags": [f for f in flags if f.startswith(("avx512_bf16", "avx512f", "avx2", "amx"))],
        "ram_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "versions": versions,
        "torch_threads": _torch_threads(),
        "faiss_threads": _faiss_threads(),
    }


def _torch_threads() -> int | None:
    try:
        import torch

        return torch.get_num_threads()
    except Exception:  # noqa: BLE001
        return None


def _faiss_threads() -> int | None:
    try:
        import faiss

        return faiss.omp_get_max_threads()
    except Exception:  # noqa: BLE001
        return None


def run_worker(module: str, args: list[str], log: Path | None = None, timeout: float | None = None) -> dict[str, Any]:
    """Run ``python -m bench.<module> ARGS`` in a fresh process; its last stdout line is a JSON result."""
    cmd = [sys.executable, "-m", f"bench.{module}", *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TOKENIZERS_PARALLELISM": "false"}
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if log is not None:
        with open(log, "a") as f:
            f.write(f"\n$ {' '.join(cmd)}  ({time.perf_counter() - t:.1f}s, rc={proc.returncode})\n{proc.stderr[-20000:]}\n")
    if proc.returncode != 0:
        raise RuntimeError(f"worker {module} {args} failed (rc={proc.returncode}):\n{proc.stderr[-4000:]}")
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])


def emit(result: dict[str, Any]) -> None:
    """A worker's result: one JSON line on stdout."""
    print(json.dumps(result, ensure_ascii=False, default=float), flush=True)
