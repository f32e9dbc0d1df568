"""Dense search: FAISS inner product over normalised vectors; exact below a size, approximate above."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import faiss
import numpy as np

logger = logging.getLogger(__name__)
_swig: Any = faiss  # faiss's bundled stubs lack SWIG's keyword constructors and some classes: called untyped

HNSW_FROM = 200_000  # "auto" switches from exact to HNSW at this many chunks
HNSW_M = 32  # graph neighbours per vector
EF_SEARCH = 256  # HNSW search breadth: at 1M chunks under 1 ms, gold article in the top 50 for 98.0% (exact: 98.7%)
SINGLE_THREAD_UP_TO = 8  # searches of this many queries or fewer run on one thread (see search)


def choose(kind: str, n: int) -> str:
    """The concrete index type for ``kind`` ('auto' picks by corpus size)."""
    if kind != "auto":
        return kind
    return "flat" if n < HNSW_FROM else "hnsw"


def build(vectors: np.ndarray, kind: str) -> faiss.Index:
    """A FAISS index of ``kind`` (flat, hnsw, ivfpq) over ``vectors`` (rows = chunk rows).

    ``hnsw`` keeps its vectors as 8-bit scalar-quantized codes (``IndexHNSWSQ``): a quarter of the
    float32 memory (at 1M x 384 dims: 0.4 GB of codes + 0.26 GB of graph instead of 1.5 + 0.26 GB)
    for about one point of recall@10 against exact search (200k chunks: 0.917 vs 0.928 at efSearch 64).
    ``EF_SEARCH``: at 1M chunks efSearch 64/128/256 find a question's gold article in the top 50 for
    ~91/95/98% of the news_public questions (exact search: 98.7%) in about 0.3/0.5/0.6-0.9 ms (bench/results.md).
    """
    n, dim = vectors.shape
    kind = choose(kind, n)
    index: Any
    if kind == "flat" or n < 1000:
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = _swig.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = EF_SEARCH
        index.train(vectors)
    elif kind == "ivfpq":
        nlist = int(4 * np.sqrt(n))
        index = _swig.IndexIVFPQ(faiss.IndexFlatIP(dim), dim, nlist, dim // 8 if dim % 8 == 0 else dim // 4, 8, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors[np.random.default_rng(0).choice(n, min(n, 50 * nlist), replace=False)])
        index.nprobe = 16
    else:
        raise ValueError(f"unknown dense index type {kind!r}")
    if n:
        index.add(vectors)
    logger.info("built %s dense index over %d vectors", type(index).__name__, n)
    return index


def save(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load(path: Path) -> faiss.Index:
    index = faiss.read_index(str(path))
    if hasattr(index, "hnsw"):  # indexes built with a former, narrower efSearch search as wide as new ones
        index.hnsw.efSearch = max(index.hnsw.efSearch, EF_SEARCH)
    return index


def search(
    index: faiss.Index, queries: np.ndarray, k: int, exclude: np.ndarray | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per query: scores and chunk rows of the best ``k`` vectors, never one of the rows ``exclude``.

    A question's one or two query vectors are searched on a single OpenMP thread: FAISS's thread team
    gains little on one query and, when the CPUs are busy (an ingest, other requests), its waiting
    threads made a 10k-chunk flat search 80x slower (0.3 ms -> 24 ms, bench/README.md). The setting is
    per calling thread, so concurrent requests do not affect each other; large batches keep all threads.
    """
    if index.ntotal == 0 or (exclude is not None and len(exclude) >= index.ntotal):
        return [(np.zeros(0, np.float32), np.zeros(0, np.int64)) for _ in queries]
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    threads = faiss.omp_get_max_threads()
    single = len(queries) <= SINGLE_THREAD_UP_TO and threads > 1
    if single:
        faiss.omp_set_num_threads(1)
    try:
        scores, rows = index.search(queries, min(k, index.ntotal), params=_excluding(index, exclude))
    finally:
        if single:
            faiss.omp_set_num_threads(threads)
    return [(s[r >= 0], r[r >= 0].astype(np.int64)) for s, r in zip(scores, rows)]


def _excluding(index: faiss.Index, rows: np.ndarray | None) -> faiss.SearchParameters | None:
    """Search parameters that skip ``rows`` (tombstones), keeping the index's own search breadth."""
    if rows is None or not len(rows):
        return None
    inner = faiss.IDSelectorBatch(np.ascontiguousarray(rows, dtype=np.int64))
    sel = faiss.IDSelectorNot(inner)
    params: Any
    hnsw, nprobe = getattr(index, "hnsw", None), getattr(index, "nprobe", None)
    if hnsw is not None:
        params = _swig.SearchParametersHNSW(sel=sel, efSearch=hnsw.efSearch)
    elif nprobe is not None:
        params = _swig.SearchParametersIVF(sel=sel, nprobe=nprobe)
    else:
        params = _swig.SearchParameters(sel=sel)
    params._keep = (inner, sel)  # the selectors must outlive the call (FAISS holds raw pointers)
    return params
