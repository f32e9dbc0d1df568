"""ChronoQA (time-sensitive news questions, each asked "as of" a date) through the assistant, with and without
its time handling: retrieval hit@5, "all gold passages in the top 5" for multi-passage questions, and short-answer
accuracy on the ``answer_scorable`` rows, by temporal type.

``python -m rag.evaluation.chrono [--qa FILE] [--corpus FILE] [--per-type N] [--out DIR]``
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from rag.cite import overlap
from rag.embed import get_embedder
from rag.pipeline import Assistant, Turn, clean_question
from rag.settings import Settings
from rag.store import IndexStore
from rag.timeparse import parse_as_of

from .corpus import cached_index
from .metrics import fold

logger = logging.getLogger(__name__)

DEFAULT = Path("../shared/evalsets/chronoqa")
TYPES = ("absolute", "relative", "aggregate")
_MARK = re.compile(r"\[\d{1,3}\]")
_DATE_ONLY = re.compile(r"^\s*(?:\d{4}年\d{1,2}月\d{1,2}日\s*)+$")  # passages that are a dateline and nothing else


def sample(rows: list[dict[str, Any]], per_type: int | None, seed: int = 0) -> list[dict[str, Any]]:
    """Up to ``per_type`` questions of each temporal type (all when ``None``), in file order."""
    if per_type is None:
        return rows
    picked: set[str] = set()
    rng = random.Random(seed)
    for t in TYPES:
        ids = [r["id"] for r in rows if r["temporal_type"] == t]
        picked |= set(rng.sample(ids, min(per_type, len(ids))))
    return [r for r in rows if r["id"] in picked]


def ask(assistant: Assistant, row: dict[str, Any], as_of: bool) -> dict[str, Any]:
    """One question through the chain; the passages it retrieved and the answer."""
    q, _ = clean_question(row["question"])
    try:
        day = parse_as_of(row["as_of"]) if as_of else None
    except ValueError:
        day = None
    turn = Turn(q, [], assistant.settings.top_k, None, None, as_of=day)
    t = time.perf_counter()
    turn = assistant._retrieve(assistant._prepare(turn))
    *_, answer = assistant._answer_one(turn)
    ms = (time.perf_counter() - t) * 1000
    top = [h.chunk.doc_id for h in turn.hits[:5]]
    gold = set(row["doc_ids"])
    docs = {d: assistant.store.document(d) for d in gold}
    content = {d for d, doc in docs.items() if doc is None or not _DATE_ONLY.match(doc.text)}
    said = "" if answer.refused else _MARK.sub("", answer.text).lower()
    first = said.split("\n", 1)[0]
    line = first if first.startswith(("答：", "answer:")) else ""  # the short answer line alone
    return {
        "id": row["id"], "type": row["temporal_type"], "multi": row["multi_doc"], "scorable": row["answer_scorable"],
        "hit5": bool(gold & set(top)), "all5": gold <= set(top),
        "all5_content": content <= set(top) if content else None,
        "correct": any(fold(a) in fold(said) for a in row["answers"] if a) if row["answer_scorable"] else None,
        "short_correct": any(fold(a) in fold(line) for a in row["answers"] if a) if row["answer_scorable"] else None,
        "verdict": verdict(turn, answer.refused, _MARK.sub("", answer.text).split("\n", 1)[0],
                           row["answers"][0] if row["answers"] else ""),
        "refused": answer.refused, "plan": turn.plan.kind if turn.plan else None, "ms": round(ms, 1),
        "answer": answer.text[:300],
    }


_NO = re.compile(r"^(?:不|否|没|no\b)", re.I)


def verdict(turn: Turn, refused: bool, first: str, gold: str) -> bool | None:
    """For a which-came-first or same-day/month/year question (most are not ``answer_scorable``: the reference
    paraphrases an event): whether the answer's first line picks the event the reference names (the event of the
    question holding most of the reference's words) or says yes / no as it does; ``None`` for other questions."""
    p = turn.plan
    if p is None or not gold or p.kind not in ("compare", "same") or (p.kind == "compare" and p.order):
        return None
    if refused:
        return False
    if p.kind == "same":
        return ("是的" in first or first.startswith("Answer: Yes")) != bool(_NO.match(gold.strip()))
    named = max(p.events, key=lambda e: overlap(e, gold))
    return first.startswith(("答：", "Answer:")) and named in first


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """hit@5, all-gold@5 (multi-passage), accuracy (scorable) and counts, per temporal type and overall."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["type"]].append(r)
        groups["all"].append(r)
    out = {}
    for name, g in groups.items():
        multi = [r for r in g if r["multi"]]
        scored = [r for r in g if r["scorable"]]
        out[name] = {
            "questions": len(g), "hit@5": _mean(r["hit5"] for r in g),
            "multi": len(multi), "all_gold@5": _mean(r["all5"] for r in multi),
            "all_content@5": _mean(r.get("all5_content") for r in multi if r.get("all5_content") is not None),
            "scorable": len(scored), "accuracy": _mean(r["correct"] for r in scored),
            "short_line": _mean(r.get("short_correct") for r in scored),
            "verdicts": sum(r.get("verdict") is not None for r in g),
            "verdict_right": _mean(r["verdict"] for r in g if r.get("verdict") is not None),
            "refused": _mean(r["refused"] for r in g), "p50_ms": _median([r["ms"] for r in g]),
        }
    return out


def _mean(xs: Any) -> float | None:
    xs = list(xs)
    return round(sum(map(bool, xs)) / len(xs), 3) if xs else None


def _median(xs: list[float]) -> float | None:
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else None


def table(results: dict[str, dict[str, dict[str, Any]]]) -> str:
    lines = ["| run | type | questions | hit@5 | multi-passage | all gold in top 5 | same, date-only gold passages left out |"
             " scorable | answers right | short line alone right | which-first / same-date questions | verdict right |"
             " refused | p50 ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for run, summary in results.items():
        for t in (*TYPES, "all"):
            s = summary.get(t)
            if s:
                lines.append(f"| {run} | {t} | {s['questions']} | {s['hit@5']} | {s['multi']} | {s['all_gold@5']} | {s['all_content@5']} | "
                             f"{s['scorable']} | {s['accuracy']} | {s.get('short_line')} | {s['verdicts']} | {s['verdict_right']} | "
                             f"{s['refused']} | {s['p50_ms']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--qa", type=Path, default=DEFAULT / "qa.jsonl")
    p.add_argument("--corpus", type=Path, default=DEFAULT / "corpus.jsonl")
    p.add_argument("--per-type", type=int, default=200, help="questions sampled per temporal type (0: all)")
    p.add_argument("--out", type=Path, default=Path("eval/reports/chronoqa"))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    rows = sample([json.loads(line) for line in args.qa.open(encoding="utf-8") if line.strip()], args.per_type or None)
    settings = Settings.load()
    embedder = get_embedder(settings.embedder)
    info = cached_index(args.corpus, settings, embedder)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    per_question: dict[str, list[dict[str, Any]]] = {}
    started = time.time()
    for run, aware in (("without as_of handling", False), ("with as_of", True)):
        s = settings.with_(index_dir=info.index_dir, time_aware=aware)
        assistant = Assistant(s, IndexStore.open(s.index_dir, embedder.id), embedder)
        per_question[run] = [ask(assistant, r, aware) for r in rows]
        results[run] = summarize(per_question[run])
        print(f"{run}: done ({time.time() - started:.0f}s)", file=sys.stderr)
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {"qa": str(args.qa), "corpus": str(args.corpus), "questions": len(rows), "per_type": args.per_type,
            "embedder": embedder.id, "index": info.index_dir, "seconds": round(time.time() - started, 1),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started))}
    (args.out / "report.json").write_text(json.dumps({"meta": meta, "summary": results, "results": per_question},
                                                     ensure_ascii=False, indent=1))
    note = ("answers right: a gold answer (short, `answer_scorable` rows) is contained in the answer text, quotes "
            "included; short line alone: the same for the answer's first line (答：… / Answer: …) only, none given: wrong. "
            "verdict right (which-came-first and same-day/month/year questions, whether scorable or not): the first line "
            "names the event the reference names (the question's event sharing most of its words) or says yes / no as "
            "it does; refused: wrong.")
    md = (f"# ChronoQA development half, with and without as-of handling\n\n{json.dumps(meta, ensure_ascii=False)}\n\n"
          f"{note}\n\n{table(results)}\n")
    (args.out / "report.md").write_text(md)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
