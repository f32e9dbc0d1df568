"""The ``rag`` command line: ingest, remove, info, search, ask, serve, api, mcp, eval, model fetch."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .embedders import EMBEDDERS
from .errors import RagError
from .generators import GENERATORS

if TYPE_CHECKING:
    from .ingest import Progress

EXAMPLE = "which cities were named in 2015?"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag", description="Question answering over Chinese news archives, with citations.")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)

    def cmd(name: str, help: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help)
        c.add_argument("--index", help="index: a folder, a Milvus Lite file (.db) or http(s)://host:port of a Milvus server "
                       "(default: $RAG_INDEX, else index_dir in the settings file, else index/)")
        c.add_argument("--config", help="settings file (TOML); default ./rag.toml if present")
        return c

    c = cmd("ingest", "add or update articles (txt, md, html, jsonl; files or folders)")
    c.add_argument("paths", nargs="+", type=Path)
    c.add_argument("--embedder", help=f"a registered embedder ({', '.join(EMBEDDERS)}) or a sentence-transformers model/path")
    c.add_argument("--rebuild", action="store_true", help="start a new index instead of updating")
    c.add_argument("--prune", action="store_true", help="remove indexed documents not found under PATHS")
    c.add_argument("--max-doc-chars", type=int, help="longer documents are truncated (or refused: --oversize refuse)")
    c.add_argument("--oversize", choices=["truncate", "refuse"], help="what to do with a document over --max-doc-chars")
    c = cmd("remove", "remove documents by id so they can no longer be retrieved")
    c.add_argument("doc_ids", nargs="+")
    cmd("info", "what is indexed")
    c = cmd("show", "stored documents by id: title, date, source, url, text, reprint duplicates")
    c.add_argument("doc_ids", nargs="+")
    c.add_argument("--json", action="store_true", help="a JSON list, one object per document")
    c = cmd("search", "ranked passages for a query (no answer)")
    c.add_argument("query")
    c.add_argument("-k", type=int, default=5)
    c.add_argument("--date-from")
    c.add_argument("--date-to")
    c.add_argument("--as-of", help="the day the query is asked on (YYYY-MM-DD, default today)")
    c.add_argument("--source", help="only passages from this outlet")
    c.add_argument("--sort", choices=["relevance", "newest", "oldest"], default="relevance")
    c.add_argument("--json", action="store_true")
    c = cmd("ask", "answer a question with numbered citations")
    c.add_argument("question")
    c.add_argument("-k", type=int)
    c.add_argument("--generator", choices=list(GENERATORS))
    c.add_argument("--date-from")
    c.add_argument("--date-to")
    c.add_argument("--as-of", help="the day the question is asked on (YYYY-MM-DD, default today): 去年, last month... resolve against it")
    c.add_argument("--json", action="store_true")
    c = cmd("serve", "start the chat UI (at /) and the HTTP API (at /v1) on one port")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=7860)
    c.add_argument("--auth", help="user:password for basic auth (the UI)")
    _api_key_option(c)
    c = cmd("api", "start the HTTP API alone (OpenAI-compatible chat, search, documents; /docs)")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=8000)
    _api_key_option(c)
    cmd("mcp", "serve the archive as MCP tools over stdio (search_archive, ask_archive)")
    c = cmd("eval", "batch evaluation with metrics and a report")
    c.add_argument("--dataset", type=Path, help="one QA set (JSONL); or use --suite or --html")
    c.add_argument("--html", type=Path, metavar="DIR", help="score HTML extraction on DIR/truth.jsonl instead")
    c.add_argument("--chronoqa", type=Path, nargs="?", const=Path("../shared/evalsets/chronoqa"), metavar="DIR",
                   help="ChronoQA with and without as-of handling (each question asked as of its own date)")
    c.add_argument("--corpus", type=Path)
    c.add_argument("--configs", default="hybrid")
    c.add_argument("--out", type=Path, default=Path("eval/reports/latest"))
    c.add_argument("--limit", type=int)
    c.add_argument("--suite", type=Path, nargs="?", const=Path("../shared/evalsets"),
                   help="run every set (folders with qa.jsonl + corpus.jsonl) of DIR (default ../shared/evalsets)")
    c.add_argument("--per-set", type=int, default=200, help="questions sampled per set in --suite (default 200)")
    c.add_argument("--negatives", type=int, default=60, help="questions per set asked again without their gold docs")
    c.add_argument("--sets", help="only these sets of the suite (comma-separated names)")
    c = cmd("model", "manage the optional local GGUF model")
    c.add_argument("action", choices=["fetch"])
    return p


def _api_key_option(c: argparse.ArgumentParser) -> None:
    c.add_argument(
        "--api-key", default=os.environ.get("RAG_API_KEY") or None,
        help="require 'Authorization: Bearer KEY' on every /v1 call (default: $RAG_API_KEY; none: open)",
    )


def _settings(args: argparse.Namespace, **extra: Any) -> Any:
    from .settings import Settings

    return Settings.load(args.config, index_dir=args.index, **extra)


@contextmanager
def progress_bar(desc: str, unit: str, disable: bool | None = None) -> Iterator[Progress]:
    """A tqdm bar on stderr driven by ``(done, total)`` callbacks; ``disable=None``: shown on a terminal only."""
    from tqdm import tqdm

    bar = tqdm(total=0, desc=desc, unit=unit, file=sys.stderr, disable=disable)

    def tick(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        yield tick
    finally:
        bar.close()


def _ingest(args: argparse.Namespace) -> int:
    from .embedders import get_embedder
    from .ingest import ingest

    s = _settings(args, embedder=args.embedder, max_doc_chars=args.max_doc_chars, oversize=args.oversize)
    with progress_bar("embedding", "chunk") as progress:
        report = ingest(
            args.paths, s.index_dir, get_embedder(s.embedder), s.chunk_size, s.chunk_overlap, s.dense_index,
            rebuild=args.rebuild, prune=args.prune, progress=progress,
            max_doc_chars=s.max_doc_chars, large_doc_chars=s.large_doc_chars, oversize=s.oversize,
        )
    print(
        f"{len(report.added)} added, {len(report.updated)} updated, {report.unchanged} unchanged, "
        f"{len(report.removed)} removed, {len(report.skipped)} skipped; "
        f"{report.chunks_embedded} chunks embedded in {report.embed_seconds:.1f}s; "
        f"index now {report.documents} documents / {report.chunks} chunks ({report.seconds:.1f}s) at {s.index_dir}"
    )
    for skipped in report.skipped:
        print(f"  skipped {skipped.path}: {skipped.reason}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    from .ingest import remove

    gone = remove(_settings(args).index_dir, args.doc_ids)
    for d in args.doc_ids:
        print(f"{'removed' if d in gone else 'not in index'}: {d}")
    return 0 if gone else 1


def _info(args: argparse.Namespace) -> int:
    from .store import IndexStore

    store = IndexStore.open(_settings(args).index_dir)
    print(json.dumps(store.manifest.to_dict(), indent=2, ensure_ascii=False))
    for d in store.documents():
        print(f"{d['doc_id']}\t{d['date'] or '-'}\t{d['chunks']} chunks\t{d['title'] or ''}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from .clusters import Clusters, provenance
    from .store import IndexStore

    index = _settings(args).index_dir
    store = IndexStore.open(index)
    dups = Clusters.load(index).duplicates  # doc_id -> the other ids of its reprint cluster
    how = provenance(index)
    shown: list[dict[str, Any]] = []
    missing: list[str] = []
    for doc_id in args.doc_ids:
        d = store.document(doc_id)
        if d is None:
            missing.append(doc_id)
            continue
        shown.append({
            "doc_id": d.doc_id, "title": d.title, "date": d.date, "source": d.source, "url": d.url, "text": d.text,
            "duplicates": dups(doc_id),
            "found": how.get(doc_id) or "unknown (ingested before this version kept how fields were found)",
        })
    store.close()
    if args.json:
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        for x in shown:
            print(f"{x['doc_id']}\t{x['date'] or '-'}\t{x['source'] or '-'}\t{x['title'] or ''}")
            print(f"  url: {x['url'] or '-'}; duplicates: {', '.join(x['duplicates']) or 'none'}")
            print(f"  found: {json.dumps(x['found'], ensure_ascii=False)}")
            print("  " + x["text"][:300].replace("\n", "\n  "))
    for doc_id in missing:
        print(f"not in index: {doc_id}", file=sys.stderr)
    return 1 if missing else 0


def _search(args: argparse.Namespace) -> int:
    from .pipeline import Assistant

    a = Assistant.load(args.index, config=args.config)
    hits = a.search(args.query, args.k, args.date_from, args.date_to, args.source, args.as_of)
    if args.sort != "relevance":
        hits = sorted(hits, key=lambda h: h.chunk.date or ("" if args.sort == "newest" else "9999"), reverse=args.sort == "newest")
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=2))
        return 0
    for i, h in enumerate(hits, 1):
        c = h.chunk
        print(f"{i}. {h.score:.4f} [{'+'.join(h.found_by)}] {c.doc_id} · {c.title or ''} · {c.date or '-'}")
        print(f"   {c.text[:200]}")
    return 0


def _ask(args: argparse.Namespace) -> int:
    from .pipeline import Assistant

    a = Assistant.load(args.index, config=args.config, generator=args.generator)
    answer = a.ask(args.question, k=args.k, date_from=args.date_from, date_to=args.date_to, as_of=args.as_of)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    for c in answer.citations or answer.see_also:
        label = "see also" if answer.refused else f"[{c.n}]"
        print(f"  {label} {c.doc_id} · {c.title or ''} · {c.date or '-'}\n      {c.text[:160]}")
    for w in answer.warnings:
        print(f"  warning: {w}")
    print(f"  ({', '.join(f'{k} {v:.0f} ms' for k, v in answer.timings.items())})")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .ui import serve

    serve(_settings(args), host=args.host, port=args.port, auth=args.auth, api_key=args.api_key)
    return 0


def _api(args: argparse.Namespace) -> int:
    from .api import serve_api

    serve_api(_settings(args), host=args.host, port=args.port, api_key=args.api_key)
    return 0


def _mcp(args: argparse.Namespace) -> int:
    from .mcp_server import serve_stdio

    serve_stdio(_settings(args))
    return 0


def _eval(args: argparse.Namespace) -> int:
    from .evaluation import main as eval_main

    if not args.dataset and not args.html and args.suite is None and args.chronoqa is None:
        print("rag eval: one of --dataset, --suite, --chronoqa or --html is required", file=sys.stderr)
        return 2
    return eval_main(args)


def _model(args: argparse.Namespace) -> int:
    from .local_llm import fetch_model

    path = fetch_model(_settings(args).local_model_path)
    print(f"model ready: {path}")
    return 0


COMMANDS = {
    "ingest": _ingest, "remove": _remove, "info": _info, "show": _show, "search": _search, "ask": _ask,
    "serve": _serve, "api": _api, "mcp": _mcp, "eval": _eval, "model": _model,
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command](args)
    except RagError as e:
        print(f"rag: {e}", file=sys.stderr)
        return 2
    except FileNotFoundError as e:
        print(f"rag: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
