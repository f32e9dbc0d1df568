"""Worker (fresh process): build the BM25 keyword index over a store's token lists, old way or new way.

    python -m bench.keyword_worker --index DIR --method stream|bm25s [--rows N]

``stream``: ``rag.keyword.KeywordIndex.build`` fed by a generator over the SQLite rows (one token list
alive at a time). ``bm25s``: what rag/keyword.py did before: every token list materialized as a Python
list of strings, then ``bm25s.BM25().index(lists)``.
Reports seconds (reading + building, and building alone for bm25s) and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from pathlib import Path

from bench.common import emit, load_avg, peak_rss_mb, rss_mb


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--method", choices=("stream", "bm25s"), required=True)
    p.add_argument("--rows", type=int, default=0)
    a = p.parse_args()
    from rag.keyword import KeywordIndex
    from rag.store import current_version

    db = sqlite3.connect(f"file:{current_version(a.index) / 'chunks.sqlite'}?mode=ro", uri=True)
    sql = "SELECT tokens FROM chunks ORDER BY row" + (f" LIMIT {a.rows}" if a.rows else "")
    start_rss = rss_mb()
    load_before = load_avg()
    t = time.perf_counter()
    if a.method == "stream":
        index = KeywordIndex.build(t.split(" ") if t else [] for (t,) in db.execute(sql))
        build_s = None
    else:
        import bm25s

        lists = [t.split(" ") if t else [] for (t,) in db.execute(sql)]
        t1 = time.perf_counter()
        bm25 = bm25s.BM25()
        bm25.index([x or ["\u0000"] for x in lists], show_progress=False)
        build_s = time.perf_counter() - t1
        index = KeywordIndex(bm25, len(lists))
    total = time.perf_counter() - t
    emit(
        {
            "method": a.method,
            "rows": index.size,
            "nnz": int(index._bm25.scores["indptr"][-1]),
            "seconds": round(total, 1),
            "build_only_s": round(build_s, 1) if build_s is not None else None,
            "start_rss_mb": round(start_rss, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "load_before": load_before,
            "load_after": load_avg(),
        }
    )


if __name__ == "__main__":
    main()
