"""Retrieval-only quality of an embedder (dense search alone): hit@5 and MRR over documents.

    python -m bench.parity --embedder e5 --sets news_public,reading,seeds [--out DIR]

Each set's corpus goes through the normal load -> clean -> chunk (default settings) -> ``embedding_text``
path; every chunk and question is embedded with the embedder; a question's documents are ranked by
their best chunk (exact inner product). hit@5: a gold document among the first 5 documents; MRR:
1 / rank of the first gold document (0 past 100). Questions without a gold document are left out.
The vectors are cached per embedder id under ``--out`` so a re-score costs nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import numpy as np

from bench.common import ROOT, WORK, emit, load_avg

EVALSETS = Path("/work/shared/evalsets")
SETS = {
    "news_public": (EVALSETS / "news_public" / "corpus.jsonl", EVALSETS / "news_public" / "qa.jsonl"),
    "reading": (EVALSETS / "reading" / "corpus.jsonl", EVALSETS / "reading" / "qa.jsonl"),
    "seeds": (ROOT / "seeds", ROOT / "eval" / "seeds_gold.jsonl"),
}


def chunks_of(corpus: Path) -> tuple[list[str], list[str]]:
    """(document id, embedding text) of every chunk, as ingest makes them."""
    from rag.chunk import chunk
    from rag.clean import clean
    from rag.ingest import embedding_text
    from rag.load import RawArticle, load
    from rag.settings import Settings

    s = Settings()
    ids, texts = [], []
    for art in load([corpus]):
        if isinstance(art, RawArticle):
            for c in chunk(clean(art), s.chunk_size, s.chunk_overlap):
                ids.append(c.doc_id)
                texts.append(embedding_text(c))
    return ids, texts


def questions(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("doc_ids") and r.get("split", "dev") == "dev"]


def score(doc_ids: list[str], chunk_vecs: np.ndarray, q_vecs: np.ndarray, qs: list[dict]) -> dict:
    sims = q_vecs @ chunk_vecs.T
    hits, rrs = [], []
    for row, q in zip(sims, qs):
        ranked: list[str] = []
        for i in np.argsort(-row, kind="stable"):
            if doc_ids[i] not in ranked:
                ranked.append(doc_ids[i])
                if len(ranked) == 100:
                    break
        gold = set(q["doc_ids"])
        first = next((r for r, d in enumerate(ranked, 1) if d in gold), None)
        hits.append(bool(first and first <= 5))
        rrs.append(1.0 / first if first else 0.0)
    return {"questions": len(qs), "hit@5": round(float(np.mean(hits)), 4), "mrr": round(float(np.mean(rrs)), 4)}


BEFORE = "50cefd7"  # the last commit whose default embedder was rag/e5fast.py (a hand-written torch runtime)


def e5_before():  # type: ignore[no-untyped-def]
    """Today's embedder before this change: rag/e5fast.py as of ``BEFORE``, read from git, id as it was."""
    import importlib.util
    import subprocess

    from rag.embed import _wrap_engine

    src = subprocess.run(["git", "show", f"{BEFORE}:rag/e5fast.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    path = WORK / "e5fast_before.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("e5fast_before", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["e5fast_before"] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    engine = mod.E5Torch()
    return _wrap_engine(lambda t, q: engine.query(t) if q else engine.passage(t), 384, "e5:multilingual-e5-small-q4", 64)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--embedder", default="e5")
    p.add_argument("--sets", default="news_public,reading,seeds")
    p.add_argument("--out", type=Path, default=WORK / "parity")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from rag.embed import get_embedder

    emb = e5_before() if a.embedder == "e5-before" else get_embedder(a.embedder)
    a.out.mkdir(parents=True, exist_ok=True)
    result = {"embedder": a.embedder, "embedder_id": emb.id, "load_before": load_avg(), "sets": {}}
    for name in a.sets.split(","):
        corpus, qa = SETS[name]
        ids, texts = chunks_of(corpus)
        qs = questions(qa)
        cache = a.out / f"{name}.{emb.id.replace(':', '_').replace('/', '_')}.npz"
        t = time.perf_counter()
        if cache.is_file():
            z = np.load(cache)
            cv, qv = z["chunks"], z["questions"]
        else:
            cv = np.concatenate([emb.embed_documents(texts[i : i + 64]) for i in range(0, len(texts), 64)])
            qv = emb.embed_queries([q["question"] for q in qs])
            np.savez(cache, chunks=cv, questions=qv)
        result["sets"][name] = {"chunks": len(texts), "embed_s": round(time.perf_counter() - t, 1), **score(ids, cv, qv, qs)}
    result["load_after"] = load_avg()
    emit(result)


if __name__ == "__main__":
    main()
