"""Worker: ingest the news corpus (or its first N documents) with one embedder; report rates and peak RSS.

    python -m bench.ingest_worker --embedder e5 --docs 0 --index DIR [--profile FILE]
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from bench.common import CORPUS, emit, load_avg, peak_rss_mb, rss_mb


def subset(docs: int, out: Path) -> Path:
    """The first ``docs`` lines of the corpus as a jsonl file (the whole corpus when docs is 0)."""
    if not docs:
        return CORPUS
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:docs]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--embedder", default="e5")
    p.add_argument("--docs", type=int, default=0)
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--profile", type=Path)
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    a.index.mkdir(parents=True, exist_ok=True)
    path = subset(a.docs, a.index.parent / f"{a.index.name}.jsonl")
    rss_start = rss_mb()
    from rag.embed import get_embedder
    from rag.ingest import ingest

    t = time.perf_counter()
    embedder = get_embedder(a.embedder)
    embedder.embed_documents(["热身 warm-up"])  # first call builds lazy parts
    load_s = time.perf_counter() - t
    load_before = load_avg()
    if a.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    report = ingest([path], a.index, embedder, 300, 1, rebuild=True)
    if a.profile:
        prof.disable()
        prof.dump_stats(a.profile)
    n = report.chunks_embedded
    emit(
        {
            "embedder": a.embedder,
            "embedder_id": embedder.id,
            "documents": report.documents,
            "chunks": n,
            "model_load_s": round(load_s, 2),
            "seconds": round(report.seconds, 2),
            "embed_seconds": round(report.embed_seconds, 2),
            "other_seconds": round(report.seconds - report.embed_seconds, 2),
            "chunks_per_s": round(n / report.seconds, 2),
            "embed_chunks_per_s": round(n / report.embed_seconds, 2) if report.embed_seconds else None,
            "outside_embedding_pct": round(100 * (report.seconds - report.embed_seconds) / report.seconds, 2),
            "rss_start_mb": round(rss_start, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "load_before": load_before,
            "load_after": load_avg(),
            "skipped": len(report.skipped),
            "index": str(a.index),
        }
    )


if __name__ == "__main__":
    main()
