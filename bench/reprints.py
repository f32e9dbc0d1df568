"""Reprint clustering benchmark on a planted set built from news_public's corpus.

16 CRUD articles each get 2 or 3 planted reprints (40 in all): another outlet's chrome around it,
a changed headline, re-broken paragraphs, a sentence or two dropped, the tail cut. Everything else
in the 2,000-document corpus is a distractor; for each planted story the most similar other article
(word TF-IDF cosine: the same topic, another story) is listed as a hard negative. Reported: planted
reprints found (joined to their story's cluster), pairs recall/precision, every non-planted pair,
the cost of clustering per document against embedding it, and (``--retrieval``) the top 5 of a
search for each story's headline before and after ``collapse``.

    .venv/bin/python -m bench.reprints [--retrieval] [--out bench/reprints.md]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import time
from collections import Counter
from pathlib import Path

from rag.chunk import chunk
from rag.clean import clean
from rag.load import RawArticle
from rag.reprints import ReprintIndex, collapse

CORPUS = Path(__file__).resolve().parents[1] / "../shared/evalsets/news_public/corpus.jsonl"
OUTLETS = ["东方快报", "南方晨讯", "北城日报", "西江新闻网", "中原在线", "海峡时报", "江淮网", "云岭资讯"]
EDITORS = ["王明", "李华", "张伟", "刘洋", "陈静", "杨帆"]
SEED = 14
DOCS: list[tuple[str, str, str]] = []
RETRIEVAL_DISTRACTORS = 400  # random corpus documents indexed with the planted stories and their hard negatives
hard_negatives_cache: list[str] = []


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。！？])", text) if s.strip()]


def reprint(title: str, text: str, date: str, variant: int, rng: random.Random) -> tuple[str, str]:
    """Another outlet's copy: (headline, page text)."""
    sents = sentences(text)
    kinds = []
    if variant % 4 in (1, 3) and len(sents) > 6:  # a sentence (or two) dropped
        for _ in range(1 + (variant % 4 == 3)):
            sents.pop(rng.randrange(1, len(sents) - 1))
        kinds.append("sentence dropped")
    if variant % 4 in (2, 3) and len(sents) > 5:  # the tail cut
        keep = max(3, int(len(sents) * rng.uniform(0.6, 0.75)))
        sents = sents[:keep]
        kinds.append("tail cut")
    headline = title
    if variant % 2 == 0:
        headline = rng.choice(["快讯：", "关注｜", "最新！", ""]) + title[: max(6, len(title) - rng.randint(1, 4))] + rng.choice(["", "（图）", "——各方关注"])
        kinds.append("headline changed")
    paras, cur = [], []
    for s in sents:  # re-broken paragraphs
        cur.append(s)
        if rng.random() < 0.35:
            paras.append("".join(cur))
            cur = []
    paras.append("".join(cur))
    outlet, editor = rng.choice(OUTLETS), rng.choice(EDITORS)
    page = "\n".join(
        [f"{outlet} > 新闻中心 > 正文", headline, f"{date} 09:{rng.randint(10, 59)} 来源：{outlet} 作者：{rng.choice(EDITORS)}"]
        + [p for p in paras if p]
        + [f"（责任编辑：{editor}）", "分享到：微信 微博 QQ空间", "相关新闻", f"{outlet}版权所有，未经授权不得转载"]
    )
    kinds.append("other chrome, re-broken paragraphs")
    return headline, page


def planted(rows: list[dict], rng: random.Random) -> tuple[list[tuple[str, str, str]], dict[str, str], dict[str, dict]]:
    """(doc_id, title, text) of the corpus plus 40 reprints; reprint id -> original id; originals by id."""
    crud = [r for r in rows if r["source"] == "crud" and len(sentences(r["text"])) >= 8]
    originals = rng.sample(crud, 16)
    docs = [(r["id"], r.get("title") or "", r["text"]) for r in rows]
    of: dict[str, str] = {}
    n = 0
    for i, r in enumerate(originals):
        for _ in range(2 if i < 8 else 3):
            headline, page = reprint(r.get("title") or "", r["text"], r.get("date") or "", n, rng)
            rid = f"reprint-{n:02d}-of-{r['id']}"
            doc = clean(RawArticle(rid, page))
            docs.append((rid, headline, doc.text))
            of[rid] = r["id"]
            n += 1
    return docs, of, {r["id"]: r for r in originals}


def hard_negatives(rows: list[dict], originals: dict[str, dict]) -> dict[str, str]:
    """For each planted story, the most similar other corpus article by word TF-IDF cosine."""
    import jieba

    toks = {r["id"]: Counter(w for w in jieba.lcut(r["text"]) if len(w) > 1) for r in rows if r["lang"] == "zh"}
    df = Counter(w for c in toks.values() for w in c)
    n = len(toks)

    def vec(c: Counter) -> dict[str, float]:
        v = {w: tf * math.log(n / df[w]) for w, tf in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        return {w: x / norm for w, x in v.items()}

    vecs = {d: vec(c) for d, c in toks.items()}
    out = {}
    for oid in originals:
        best = max((d for d in vecs if d != oid), key=lambda d: sum(x * vecs[d].get(w, 0.0) for w, x in vecs[oid].items()))
        out[oid] = best
    return out


def measure(docs: list[tuple[str, str, str]], of: dict[str, str]) -> tuple[ReprintIndex, dict]:
    idx = ReprintIndex()
    t = time.perf_counter()
    for doc_id, _, text in docs:
        idx.add(doc_id, text)
    spent = time.perf_counter() - t
    story = {d: of.get(d, d) for d, _, _ in docs}
    found = [r for r in of if of[r] in idx.reprints(r)]
    pairs = idx.pairs()
    true_pairs = {tuple(sorted((a, b))) for a in story for b in story if a < b and story[a] == story[b] and (a in of or b in of)}
    got = {tuple(sorted((p.a, p.b))) for p in pairs}
    # a pair counts as right if both sides are copies of one planted story (cluster-level truth); a pair
    # between two distractors is the corpus's own: listed with both leads for a reader to judge
    right = {p for p in got if story[p[0]] == story[p[1]]}
    planted_ids = set(of) | set(of.values())
    corpus_pairs = sorted(p for p in got - right if not (set(p) & planted_ids))
    clustered_true = {p for p in true_pairs if p[1] in idx.reprints(p[0])}
    return idx, {
        "docs": len(docs), "planted": len(of), "found": len(found), "missed": sorted(set(of) - set(found)),
        "pairs_confirmed": len(got), "pairs_right": len(right),
        "false_pairs": sorted(p for p in got - right if set(p) & planted_ids), "corpus_pairs": corpus_pairs,
        "true_pairs": len(true_pairs), "true_pairs_clustered": len(clustered_true),
        "cluster_seconds": spent, "cluster_ms_per_doc": 1000 * spent / len(docs),
        "pair_stats": {f"{p.a}|{p.b}": (p.jaccard, p.containment, p.lead) for p in pairs},
    }


def embed_cost(docs: list[tuple[str, str, str]], n: int = 40) -> dict:
    """Seconds per document to embed its chunks with the default embedder (a sample of ``n``)."""
    from rag.embed import get_embedder
    from rag.ingest import embed_batches, embedding_text
    from rag.settings import Settings
    from rag.types import Document

    s = Settings()
    emb = get_embedder(s.embedder)
    emb.embed_documents(["预热。"])
    sample = docs[:: max(1, len(docs) // n)][:n]
    chunks = [c for d, title, text in sample for c in chunk(Document(d, text, title=title), s.chunk_size, s.chunk_overlap)]
    _, spent = embed_batches([embedding_text(c) for c in chunks], emb)
    for d, _, text in sample:
        ReprintIndex().add(d, text)
    return {"embedder": emb.id, "sample_docs": len(sample), "chunks": len(chunks), "embed_ms_per_doc": 1000 * spent / len(sample)}


def retrieval(docs: list[tuple[str, str, str]], of: dict[str, str], originals: dict[str, dict], idx: ReprintIndex, work: Path) -> dict:
    """Top 5 for each planted story's headline: copies of the story and distinct stories, before and after collapse."""
    from rag.embed import get_embedder
    from rag.ingest import ingest
    from rag.pipeline import Assistant
    from rag.settings import Settings

    s = Settings()
    folder, index = work / "docs", work / "index"
    story_of = {d: of.get(d, d) for d, _, _ in docs}
    neg = set(hard_negatives_cache)
    rng = random.Random(SEED)
    others = [d for d, _, _ in docs if story_of[d] not in originals and d not in neg]
    keep = {d for d, _, _ in docs if story_of[d] in originals} | neg | set(rng.sample(others, min(RETRIEVAL_DISTRACTORS, len(others))))
    docs = [x for x in docs if x[0] in keep]
    if not (index / "CURRENT").exists():
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "corpus.jsonl").open("w", encoding="utf-8") as f:
            for d, title, text in docs:
                f.write(json.dumps({"id": d, "title": title, "text": text}, ensure_ascii=False) + "\n")
        ingest([folder], index, get_embedder(s.embedder), s.chunk_size, s.chunk_overlap)
    a = Assistant.load(index)
    cmap = idx.cluster_map()
    members: dict[str, list[str]] = {}
    for d, key in cmap.items():
        members.setdefault(key, []).append(d)
    story = {d: of.get(d, d) for d, _, _ in docs}
    rows = []
    for oid, r in originals.items():
        hits = a.retriever.search(a.retriever.analyze(r["title"]), 20)
        top = hits[:5]
        col = collapse(hits, cmap, members, k=5)
        seen_docs: list[str] = []
        for h in top:  # a chunk-level list may hold two chunks of one document
            seen_docs.append(h.chunk.doc_id)
        rows.append({
            "story": oid,
            "before_copies": sum(story[h.chunk.doc_id] == oid for h in top),
            "before_distinct": len({story[h.chunk.doc_id] for h in top}),
            "after_copies": sum(story[c.hit.chunk.doc_id] == oid for c in col),
            "after_distinct": len({story[c.hit.chunk.doc_id] for c in col}),
            "after_also": next((c.outlets for c in col if story[c.hit.chunk.doc_id] == oid), None),
        })
    return {"docs_indexed": len(docs), "queries": rows}


def simhash_compare(docs: list[tuple[str, str, str]], of: dict[str, str], radii: tuple[int, ...] = (3, 6, 10, 14, 18)) -> list[dict]:
    """SimHash (64 bits over the same 5-character shingles) for comparison: planted reprints found and
    pairs of a planted copy with another document, at each Hamming radius (all pairs, brute force)."""
    import hashlib

    import numpy as np

    from rag.reprints import shingles

    def simhash(text: str) -> int:
        hv = np.array([int.from_bytes(hashlib.blake2b(sh, digest_size=8).digest(), "little") for sh in shingles(text)] or [0], np.uint64)
        bits = (hv[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)
        acc = (2 * bits.astype(np.int64) - 1).sum(axis=0)
        return int(sum(1 << i for i in range(64) if acc[i] > 0))

    t = time.perf_counter()
    ids = [d for d, _, _ in docs]
    hs = np.array([simhash(text) for _, _, text in docs], dtype=np.uint64)
    ms = 1000 * (time.perf_counter() - t) / len(docs)
    story = {d: of.get(d, d) for d in ids}
    planted_ids = set(of) | set(of.values())
    pos = {d: i for i, d in enumerate(ids)}
    out = []
    for r in radii:
        found, false = 0, 0
        for rid, oid in of.items():
            x = hs[pos[rid]] ^ hs[pos[oid]]
            found += bin(int(x)).count("1") <= r
        for d in planted_ids:
            x = hs ^ hs[pos[d]]
            dist = np.array([bin(int(v)).count("1") for v in x])
            false += sum(1 for j in np.nonzero(dist <= r)[0] if story[ids[j]] != story[d])
        out.append({"radius": r, "found": found, "false_pairs": false, "ms_per_doc": ms})
    return out


def report(m: dict, neg: dict[str, str], idx: ReprintIndex, cost: dict | None, ret: dict | None, sim: list[dict] | None = None) -> str:
    lines = [
        "# Reprint clusters: planted set from news_public",
        "",
        f"Corpus: {m['docs'] - m['planted']} news_public documents + {m['planted']} planted reprints of 16 CRUD stories "
        f"(8 stories x 2, 8 x 3; seed {SEED}). Detector: MinHash ({idx.num_perm} permutations) LSH over "
        f"5-character shingles of the cleaned text, Jaccard candidates >= {idx.lsh_threshold}, pair confirmed at "
        f"estimated containment >= {idx.min_containment}. Machine shared with four other jobs (2 CPU cores).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| planted reprints joined to their story | **{m['found']}/{m['planted']}** |",
        f"| true pairs inside clusters | {m['true_pairs_clustered']}/{m['true_pairs']} |",
        f"| confirmed pairs / right | {m['pairs_confirmed']} / {m['pairs_right']} |",
        f"| false pairs (a planted story's copy with another document) | **{len(m['false_pairs'])}** |",
        f"| pairs between two corpus documents (listed below) | {len(m['corpus_pairs'])} |",
        f"| clustering time per document | {m['cluster_ms_per_doc']:.2f} ms |",
    ]
    if cost:
        share = m["cluster_ms_per_doc"] / cost["embed_ms_per_doc"]
        lines.append(f"| embedding time per document ({cost['embedder']}, {cost['sample_docs']} docs, {cost['chunks']} chunks) | {cost['embed_ms_per_doc']:.1f} ms |")
        lines.append(f"| clustering / embedding | **{100 * share:.1f}%** |")
    if m["missed"]:
        lines += ["", "Missed: " + ", ".join(m["missed"])]
    if m["false_pairs"]:
        lines += ["", "False pairs (jaccard, containment):"] + [
            f"- {a} / {b}: {m['pair_stats'].get(f'{a}|{b}') or m['pair_stats'].get(f'{b}|{a}')}" for a, b in m["false_pairs"]
        ]
    if m["corpus_pairs"]:
        rows = {d: t for d, _, t in DOCS}
        lines += ["", "## Pairs the detector found among the corpus's own documents", "",
                  "news_public holds its own reprints (search passages from several sites copying one wire or press text). "
                  "Each pair with the start of both texts; (jaccard, containment, lead) estimated:", ""]
        for a, b in m["corpus_pairs"]:
            st = m["pair_stats"].get(f"{a}|{b}") or m["pair_stats"].get(f"{b}|{a}")
            lines.append(f"- {a} / {b} {st}: 「{rows[a][:40]}」 / 「{rows[b][:40]}」".replace("\n", " "))
    lines += ["", "Hard negatives (most similar other story, TF-IDF): estimated containment, must stay below the threshold", ""]
    for oid, nid in neg.items():
        j, c = idx.estimate(oid, nid)
        lines.append(f"- {oid} vs {nid}: jaccard {j:.3f}, containment {c:.3f}, merged: {nid in idx.reprints(oid)}")
    if sim:
        lines += ["", "## SimHash for comparison (64 bits, same shingles; a reprint counts if within the radius of its original)", "",
                  "| Hamming radius | planted reprints found | pairs of a planted copy with another document | ms/doc |", "|---|---|---|---|"]
        lines += [f"| {x['radius']} | {x['found']}/{m['planted']} | {x['false_pairs']} | {x['ms_per_doc']:.2f} |" for x in sim]
    if ret:
        q = ret["queries"]
        lines += [
            "",
            f"## Retrieval: top 5 for each planted story's headline (hybrid, default settings; {ret['docs_indexed']} documents: "
            "the 16 stories' copies, their hard negatives and 400 random corpus documents)",
            "",
            "| | copies of the story in top 5 (mean) | distinct stories in top 5 (mean) | queries with > 1 copy |",
            "|---|---|---|---|",
            f"| raw hits | {sum(r['before_copies'] for r in q) / len(q):.2f} | {sum(r['before_distinct'] for r in q) / len(q):.2f} | {sum(r['before_copies'] > 1 for r in q)}/{len(q)} |",
            f"| collapse() | {sum(r['after_copies'] for r in q) / len(q):.2f} | {sum(r['after_distinct'] for r in q) / len(q):.2f} | {sum(r['after_copies'] > 1 for r in q)}/{len(q)} |",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("bench/reprints.md"))
    p.add_argument("--retrieval", action="store_true", help="also index the set with the default embedder and search it")
    p.add_argument("--no-embed-cost", action="store_true")
    p.add_argument("--simhash", action="store_true", help="also measure SimHash on the same set")
    args = p.parse_args()
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(SEED)
    docs, of, originals = planted(rows, rng)
    DOCS[:] = docs
    idx, m = measure(docs, of)
    neg = hard_negatives(rows, originals)
    hard_negatives_cache[:] = list(neg.values())
    print(f"clustered: {m['found']}/{m['planted']} found, {len(m['false_pairs'])} false pairs", flush=True)
    cost = None if args.no_embed_cost else embed_cost(docs)
    print(f"cost: {cost}", flush=True)
    ret = retrieval(docs, of, originals, idx, Path("bench/_work/reprints")) if args.retrieval else None
    sim = simhash_compare(docs, of) if args.simhash else None
    text = report(m, neg, idx, cost, ret, sim)
    args.out.write_text(text, encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps({"measure": m, "cost": cost, "retrieval": ret, "simhash": sim}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
