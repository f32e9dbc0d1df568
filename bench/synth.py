"""Worker: a store of N chunks built directly (no embedding model): the real index plus synthetic filler.

    python -m bench.synth --real REAL_INDEX_DIR --out DIR --size N [--dense auto|flat|hnsw|ivfpq] [--seed 0]

Rows 0..R-1 are the real index's chunks (real text, real e5 vectors, real jieba tokens), so the
benchmark questions keep their real answers. Rows R..N-1 are SYNTHETIC:

* text: whole Chinese sentences resampled from the real corpus, packed like real chunks (the length
  of a randomly drawn real chunk, at most the chunk size), grouped into synthetic documents whose
  chunk counts, titles and dates are drawn from the real ones;
* keyword tokens: ``rag.keyword.tokenize`` run once per distinct pool sentence and title, and
  concatenated per chunk (jieba and the CJK-bigram runs both break at sentence punctuation, so this
  equals tokenizing the chunk; ``--check`` measures how often it does exactly);
* vectors: perturbed copies of real e5 vectors, ``normalize(v_src + alpha * (v_j - v_k))`` with ``v_src``
  the vector of the real chunk the first sentence came from and ``v_j``, ``v_k`` two random real vectors
  (``--alpha`` 0.5): moved inside the e5 distribution, so nearest-neighbour cosines look like the real
  corpus's (median 0.962 at 200k vs 0.967 among the real chunks; isotropic gaussian noise gave tight
  clusters of near-duplicates that no real archive has, and made HNSW recall meaningless).

The version folder is one folder holding a whole segment (manifest, chunks.sqlite, vectors.npy,
dense.faiss, bm25/: a version without a segment list, see ``rag.stores.local``) and is opened by
``IndexStore.open`` like any other; the first write into it adopts the folder as its base segment. It is built with
``rag.dense.build`` and ``rag.keyword.KeywordIndex.build`` (fed by a generator, one chunk at a time).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench.common import emit, load_avg, peak_rss_mb

_ENDS = re.compile(r"[。！？；!?;][”’」』）)】》\"']*$")
_CJK = re.compile(r"[\u3400-\u9fff]")


def _chinese(text: str) -> bool:
    cjk = len(_CJK.findall(text))
    return cjk > 0 and cjk * 2 >= len(text.replace(" ", ""))


def build(real: Path, out: Path, size: int, dense_kind: str = "auto", seed: int = 0, alpha: float = 0.5, check: int = 0) -> dict:
    from rag import dense
    from rag.chunk import sentences
    from rag.keyword import TOKENIZER_ID, KeywordIndex, tokenize
    from rag.store import _SCHEMA, _retokenize, current_version
    from rag.stores import Manifest

    rng = np.random.default_rng(seed)
    version = current_version(real)
    assert version is not None, f"no index at {real}"
    manifest = json.loads((version / "manifest.json").read_text())
    src = version  # a one-folder version is its own data; a segmented one must have one segment, no tombstones
    if manifest.get("segments"):
        assert len(manifest["segments"]) == 1 and not manifest.get("dead"), "compact the real index first (one segment)"
        src = real / manifest["segments"][0]["path"]
    rdb = sqlite3.connect(f"file:{src / 'chunks.sqlite'}?mode=ro", uri=True)
    real_vectors = np.load(src / "vectors.npy")
    n_real = len(real_vectors)
    if size < n_real:
        raise SystemExit(f"size {size} is below the real index's {n_real} chunks")
    timings: dict[str, float] = {}

    # --- pools from the real corpus: sentences (with their source chunk row), titles, dates, shapes
    t = time.perf_counter()
    chunk_rows = rdb.execute('SELECT row, doc_id, start, "end", length(text) FROM chunks ORDER BY row').fetchall()
    by_doc: dict[str, list[tuple[int, int, int]]] = {}
    for row, doc, s, e, _ in chunk_rows:
        by_doc.setdefault(doc, []).append((row, s, e))
    chunk_lengths = np.array([r[4] for r in chunk_rows])
    docs = rdb.execute("SELECT doc_id, title, date, text, n_chunks FROM documents").fetchall()
    pool_text, pool_row = [], []
    for doc_id, _title, _date, text, _n in docs:
        for s, e in sentences(text):
            sent = text[s:e]
            if len(sent) < 8 or len(sent) > manifest["chunk_size"] or not _chinese(sent):
                continue
            row = next((r for r, cs, ce in by_doc.get(doc_id, []) if cs <= s < ce), None)
            if row is not None:
                pool_text.append(sent if _ENDS.search(sent) else sent + "。")
                pool_row.append(row)
    titles = [t_ for _, t_, _, text, _ in docs if t_ and _chinese(t_)] or ["新闻"]
    dates = [d for _, _, d, _, _ in docs if d] or [None]
    per_doc = np.array([n for *_, n in docs if n > 0])
    timings["pool_s"] = time.perf_counter() - t
    t = time.perf_counter()
    pool_tokens = [tokenize(s) for s in pool_text]
    title_tokens = [tokenize(x) for x in titles]
    timings["pool_tokenize_s"] = time.perf_counter() - t
    pool_len = np.array([len(s) for s in pool_text])
    pool_row_arr = np.array(pool_row)

    # --- the new version folder
    out.mkdir(parents=True, exist_ok=True)
    work = out / f"v-{time.time_ns()}"
    work.mkdir()
    db = sqlite3.connect(work / "chunks.sqlite")
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.executescript(_SCHEMA)
    t = time.perf_counter()
    db.execute(f"ATTACH DATABASE 'file:{src / 'chunks.sqlite'}?mode=ro' AS old")
    db.execute("INSERT INTO documents SELECT * FROM old.documents")
    db.execute("INSERT INTO chunks SELECT * FROM old.chunks")
    db.commit()
    db.execute("DETACH DATABASE old")
    if manifest.get("tokenizer") != TOKENIZER_ID:  # as rag.store does for a base written by another tokenizer
        _retokenize(db)
    real_tokens = [t for (t,) in db.execute("SELECT tokens FROM chunks ORDER BY row")]
    timings["copy_real_s"] = time.perf_counter() - t

    vectors = np.empty((size, real_vectors.shape[1]), np.float32)
    vectors[:n_real] = real_vectors
    chunk_size = manifest["chunk_size"]
    stats = {"synthetic_docs": 0, "synthetic_chunks": size - n_real}
    checks: list[tuple[str, list[str]]] = []
    gen_seconds = [0.0]

    def token_stream():
        for tokens in real_tokens:
            yield tokens.split(" ") if tokens else []
        row = n_real
        doc_no = 0
        batch_docs, batch_chunks = [], []
        src_rows = np.empty(size - n_real, np.int64)
        while row < size:
            t0 = time.perf_counter()
            doc_id = f"syn-{doc_no:07d}"
            ti = int(rng.integers(len(titles)))
            title, ttoks = titles[ti], title_tokens[ti]
            n_chunks = min(int(per_doc[rng.integers(len(per_doc))]), size - row)
            picks = rng.integers(len(pool_text), size=n_chunks * 24)
            texts, pos, k = [], 0, 0
            doc_chunks = []
            for c in range(n_chunks):
                target = min(int(chunk_lengths[rng.integers(len(chunk_lengths))]), chunk_size)
                parts, toks, n = [], list(ttoks), 0
                first = None
                while True:
                    if k >= len(picks):
                        picks, k = rng.integers(len(pool_text), size=64), 0
                    j = int(picks[k])
                    k += 1
                    if n and n + pool_len[j] > chunk_size:
                        if n >= target * 0.6:
                            break
                        continue
                    parts.append(pool_text[j])
                    toks += pool_tokens[j]
                    n += int(pool_len[j])
                    first = j if first is None else first
                    if n >= target:
                        break
                text = "".join(parts)
                doc_chunks.append((row + c, f"{doc_id}#{c}", doc_id, pos, pos + len(text), text, " ".join(toks)))
                src_rows[row + c - n_real] = pool_row_arr[first]
                texts.append(text)
                pos += len(text)
                if check and len(checks) < check and rng.random() < 0.01:
                    checks.append((f"{title} {text}", toks))
                gen_seconds[0] += time.perf_counter() - t0
                yield toks
                t0 = time.perf_counter()
            date = dates[rng.integers(len(dates))]
            years = json.dumps([int(date[:4])] if date else [])
            batch_docs.append((doc_id, title, date, "synthetic", None, years, f"syn{doc_no}", "".join(texts), n_chunks))
            batch_chunks += doc_chunks
            row += n_chunks
            doc_no += 1
            if len(batch_chunks) >= 20000 or row >= size:
                db.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?)", batch_docs)
                db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?)", batch_chunks)
                batch_docs, batch_chunks = [], []
            gen_seconds[0] += time.perf_counter() - t0
        stats["synthetic_docs"] = doc_no
        # vectors: the real vector of each chunk's first sentence, moved along the difference of two
        # random real vectors (a direction inside the e5 distribution, not isotropic noise)
        t0 = time.perf_counter()
        for a in range(0, len(src_rows), 200_000):
            b = min(a + 200_000, len(src_rows))
            j, k = rng.integers(n_real, size=b - a), rng.integers(n_real, size=b - a)
            v = real_vectors[src_rows[a:b]] + alpha * (real_vectors[j] - real_vectors[k])
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            vectors[n_real + a : n_real + b] = v
        gen_seconds[0] += time.perf_counter() - t0

    t = time.perf_counter()
    keyword = KeywordIndex.build(token_stream())
    timings["text_tokens_sqlite_and_bm25_s"] = time.perf_counter() - t
    timings["of_which_generate_and_sqlite_s"] = gen_seconds[0]
    db.commit()
    counts = db.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks)").fetchone()
    db.close()
    assert counts[1] == size == keyword.size, (counts, size, keyword.size)
    t = time.perf_counter()
    keyword.save(work / "bm25")
    timings["bm25_save_s"] = time.perf_counter() - t
    t = time.perf_counter()
    np.save(work / "vectors.npy", vectors)
    timings["vectors_save_s"] = time.perf_counter() - t
    kind = dense.choose(dense_kind, size)
    t = time.perf_counter()
    index = dense.build(vectors, kind)
    timings["dense_build_s"] = time.perf_counter() - t
    dense.save(index, work / "dense.faiss")
    del index
    real_params = Manifest.from_dict(manifest).params
    new_manifest = Manifest(  # a version folder that is its own single segment (no segments list), as format 1 wrote
        replace(real_params, dense_index=dense_kind), counts[0], counts[1], tokenizer=TOKENIZER_ID, dense_index_type=kind,
        extra={"synthetic": {"real_chunks": n_real, **stats, "vector_alpha": alpha, "seed": seed, "pool_sentences": len(pool_text)}},
    )
    (work / "manifest.json").write_text(json.dumps(new_manifest.to_dict(), indent=2, ensure_ascii=False))
    (out / "CURRENT").write_text(work.name)
    exact = None
    if checks:
        exact = sum(sorted(tokenize(text)) == sorted(toks) for text, toks in checks) / len(checks)
    sizes = {p.name: p.stat().st_size for p in work.iterdir() if p.is_file()}
    sizes["bm25"] = sum(p.stat().st_size for p in (work / "bm25").iterdir())
    return {
        "size": size,
        "real_chunks": n_real,
        **stats,
        "dense_index_type": kind,
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
        "bm25_nnz": int(keyword._bm25.scores["indptr"][-1]),
        "vocab": len(keyword.vocab),
        "file_bytes": sizes,
        "token_concat_exact_share": exact,
        "token_concat_checked": len(checks),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "load_after": load_avg(),
        "index": str(out),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--real", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--dense", default="auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--alpha", type=float, default=0.5)
    p.add_argument("--check", type=int, default=200)
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import shutil

    shutil.rmtree(a.out, ignore_errors=True)
    t = time.perf_counter()
    result = build(a.real, a.out, a.size, a.dense, a.seed, a.alpha, a.check)
    result["total_s"] = round(time.perf_counter() - t, 2)
    emit(result)


if __name__ == "__main__":
    main()
