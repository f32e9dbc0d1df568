"""Benchmark: the reprint index's cost per write at a large archive (load, add N articles, save), against
the way format 1 loaded it (MinHash objects rebuilt and every document re-queried in datasketch's LSH),
measured in the same run on the same signatures.

    python -m bench.reprints_load [--docs 100000] [--add 10] [--out bench/reprints_load.json]

Every ingest and every reload of the assistant loads the reprint index, so its load time is paid per write.
The signatures are synthetic (random MinHash values, with one planted near-copy per 50 documents), which
costs what real ones cost to store and compare; the N added articles are real texts.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

from bench.common import CORPUS, emit, load_avg, peak_rss_mb
from rag.reprints import NUM_PERM, Pair, ReprintIndex


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` signatures (whole, lead) and their sizes; every 50th document a near copy of the one before."""
    rng = np.random.default_rng(seed)
    dtype = MinHash(num_perm=NUM_PERM).hashvalues.dtype
    sigs = rng.integers(0, 2**32 - 1, size=(n, 2, NUM_PERM), dtype=np.uint64).astype(dtype)
    for i in range(50, n, 50):
        keep = rng.random(NUM_PERM) < 0.8
        sigs[i, 0, keep] = sigs[i - 1, 0, keep]
        sigs[i, 1] = sigs[i - 1, 1]
    sizes = rng.integers(300, 3000, size=(n, 2))
    sizes[:, 1] = sizes[:, 0] // 3
    return sigs, sizes


def format1_load(idx: ReprintIndex, sigs: np.ndarray) -> float:
    """Seconds format 1 took to load: a MinHash object per signature, each document queried in and inserted
    into datasketch's LSH, candidates compared (the saved pairs did not exist)."""
    t = time.perf_counter()
    scheme = MinHash(1).scheme
    lsh = MinHashLSH(threshold=idx.lsh_threshold, num_perm=idx.num_perm)
    wholes = []
    for i, (hv, hl) in enumerate(sigs):
        whole = MinHash(idx.num_perm, hashvalues=hv, scheme=scheme)
        MinHash(idx.num_perm, hashvalues=hl, scheme=scheme)
        for other in lsh.query(whole):
            whole.jaccard(wholes[int(other)])
        lsh.insert(str(i), whole)
        wholes.append(whole)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--add", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path("bench/reprints_load.json"))
    a = ap.parse_args()
    sigs, sizes = synthetic(a.docs)
    ids = [f"d{i:06d}" for i in range(a.docs)]
    pairs = [[i - 1, i, 0.8, 0.9, 1.0] for i in range(50, a.docs, 50)]
    idx = ReprintIndex()
    meta = {"format": 2, "shingle": 5, "num_perm": NUM_PERM, "scheme": MinHash(1).scheme,
            "lsh_threshold": idx.lsh_threshold, "min_containment": idx.min_containment,
            "min_shingles": idx.min_shingles, "ids": ids, "sizes": sizes.tolist(), "pairs": pairs}
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r.get("text") or r.get("body") or "" for r in rows[-a.add:]]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "reprints"
        folder.mkdir()
        np.save(folder / "minhash.npy", sigs, allow_pickle=False)
        (folder / "reprints.json").write_text(json.dumps(meta), encoding="utf-8")
        t = time.perf_counter()
        idx = ReprintIndex.load(folder)
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        for i, text in enumerate(texts):
            idx.add(f"new-{i}", text)
        add_s = time.perf_counter() - t
        t = time.perf_counter()
        idx.save(Path(tmp) / "saved")
        save_s = time.perf_counter() - t
        back = ReprintIndex.load(Path(tmp) / "saved")
        assert len(back) == a.docs + a.add and len(back.pairs()) == len(pairs)
        assert isinstance(back.pairs()[0], Pair)
    base_s = format1_load(idx, sigs)
    out = {"docs": a.docs, "added": a.add, "load_s": round(load_s, 3), "add_s": round(add_s, 3),
           "save_s": round(save_s, 3), "per_write_s": round(load_s + add_s + save_s, 3),
           "format1_load_s": round(base_s, 2), "speedup_load": round(base_s / max(load_s, 1e-9), 1),
           "peak_rss_mb": peak_rss_mb(), "load_avg": load_avg()}
    emit(out)
    a.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
