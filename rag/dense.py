"""Dense search: FAISS inner product over normalised vectors; exact below a size, approximate above."""

from __future__ import annotations

import logging
from pathlib import Path

import faiss
import numpy as np

logger = logging.getLogger(__name__)

HNSW_FROM = 200_000  # "auto" switches from exact to HNSW at this many chunks


def choose(kind: str, n: int) -> str:
    """The concrete index type for ``kind`` ('auto' picks by corpus size)."""
    if kind != "auto":
        return kind
    return "flat" if n < HNSW_FROM else "hnsw"


def build(vectors: np.ndarray, kind: str, hnsw_m: int = 32, ef_search: int = 64) -> faiss.Index:
    """A FAISS index of ``kind`` (flat, hnsw, ivfpq) over ``vectors`` (rows = chunk rows)."""
    n, dim = vectors.shape
    kind = choose(kind, n)
    if kind == "flat" or n < 1000:
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = ef_search
    elif kind == "ivfpq":
        nlist = int(4 * np.sqrt(n))
        index = faiss.IndexIVFPQ(faiss.IndexFlatIP(dim), dim, nlist, dim // 8 if dim % 8 == 0 else dim // 4, 8, faiss.METRIC_INNER_PRODUCT)
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
    return faiss.read_index(str(path))


def search(index: faiss.Index, queries: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per query: scores and chunk rows of the best ``k`` vectors."""
    if index.ntotal == 0:
        return [(np.zeros(0, np.float32), np.zeros(0, np.int64)) for _ in queries]
    scores, rows = index.search(np.ascontiguousarray(queries, dtype=np.float32), min(k, index.ntotal))
    return [(s[r >= 0], r[r >= 0].astype(np.int64)) for s, r in zip(scores, rows)]
