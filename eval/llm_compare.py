"""Local LLM against the extractive generator, in one run over a fixed dev sample of news_public.

``python -m eval.llm_compare [--answerable 70] [--negatives 30] [--passages 30] [--out eval/reports/llm]``

The sample (seed 7): ``answerable`` questions asked over the set's cached index, and ``negatives`` other
answerable questions asked over a copy of it without any of their gold documents (the suite's protocol:
refused, or still right from another source, counts as rejected). Every question is put to each mode in
turn (extractive, local reading the selected sentences, and on the first ``passages`` questions local reading
the five whole passages), so the modes share the machine's load. Scoring is the harness's (``evaluate``);
latency is the Assistant's total per question.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rag.embed import get_embedder
from rag.pipeline import Assistant
from rag.settings import Settings
from rag.store import IndexStore

from . import metrics as m
from .corpus import cached_index, source_hash
from .dataset import Question
from .harness import evaluate
from .suite import SEED, load_set, rounded, scorable, without_gold

SET = Path("../shared/evalsets/news_public")
MODES = {  # mode -> (generator, llm_context)
    "extractive": ("extractive", None),
    "local-sentences": ("local", "sentences"),
    "local-passages": ("local", "passages"),
}
FALLBACK = "answered extractively instead"  # the pipeline's warning when the LLM failed or cited nothing


def sample(folder: Path, answerable: int, negatives: int) -> tuple[list[Question], list[Question]]:
    """Seeded: ``answerable`` questions and ``negatives`` other ones (all with gold documents and answers)."""
    questions, _ = load_set(folder, None)
    scored = scorable(questions)
    drawn = random.Random(SEED).sample(scored, min(answerable + negatives, len(scored)))
    return drawn[:answerable], drawn[answerable:]


def generators(assistant: Assistant, modes: list[str]) -> dict[str, Any]:
    """Each mode's generator, built once over ``assistant``'s index (the model's server is shared)."""
    out = {}
    for mode in modes:
        name, context = MODES[mode]
        assistant.use_generator(name, **({"llm_context": context} if context else {}))
        out[mode] = assistant.generator
    assistant.use_generator("extractive")
    return out


def ask_all(
    kind: str, questions: list[Question], assistant: Assistant, modes: list[str], passages_ids: set[str], log: Any
) -> list[dict[str, Any]]:
    """Every question to every mode in turn; one row per (mode, question), also appended to ``log``."""
    made = generators(assistant, modes)
    for g in made.values():  # the first question of each mode loads its lazy parts (and the model's weights)
        assistant.generator = g
        assistant.ask("2015年哪些城市成为示范城市?")
    rows = []
    for q in tqdm(questions, desc=kind, unit="q", file=sys.stderr):
        for mode in modes:
            if mode == "local-passages" and q.id not in passages_ids:
                continue
            assistant.generator = made[mode]
            t = time.perf_counter()
            r = evaluate(mode, assistant, q)
            wall = (time.perf_counter() - t) * 1000
            correct = bool(r.correct) if r.correct is not None else None
            row = {
                "mode": mode, "kind": kind, "id": q.id, "lang": q.lang, "question": q.question, "expected": q.expected,
                "answer": r.answer[:400], "refused": r.refused, "correct": correct,
                # negative rejection as the suite scores it: refused, or still right from another source
                "rejected": (r.refused or bool(correct)) if kind == "negative" else None,
                "citation_precision": r.citation_precision, "total_ms": r.timings.get("total_ms"),
                "generate_ms": r.timings.get("generate_ms"), "wall_ms": round(wall, 1),
                "fallback": any(FALLBACK in w for w in r.warnings), "warnings": r.warnings, "error": r.error,
            }
            rows.append(row)
            log.write(json.dumps(row, ensure_ascii=False) + "\n")
            log.flush()
    return rows


def aggregate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    pos = [r for r in rows if r["kind"] == "answerable"]
    neg = [r for r in rows if r["kind"] == "negative"]
    total = [r["total_ms"] for r in rows if r["total_ms"] is not None]
    called = [r["total_ms"] for r in rows if r["total_ms"] is not None and not r["refused"] and not r["fallback"]]
    return {
        "questions": len(rows), "answerable": len(pos), "negatives": len(neg),
        "answer_accuracy": rounded(m.mean(r["correct"] for r in pos), 3),
        "false_refusal": rounded(m.mean(r["refused"] for r in pos), 3),
        "citation_precision": rounded(m.mean(r["citation_precision"] for r in pos), 3),
        "negative_rejection": rounded(m.mean(r["rejected"] for r in neg), 3),
        "refusal_rate": rounded(m.mean(r["refused"] for r in rows), 3),
        "fallbacks": sum(r["fallback"] for r in rows),
        "p50_ms": rounded(m.percentile(total, 50), 0), "p95_ms": rounded(m.percentile(total, 95), 0),
        "answered_p50_ms": rounded(m.percentile(called, 50), 0), "answered_p95_ms": rounded(m.percentile(called, 95), 0),
        "errors": sum(r["error"] is not None for r in rows),
    }


def run(folder: Path, out: Path, answerable: int, negatives: int, passages: int) -> dict[str, Any]:
    started = time.time()
    load_before = Path("/proc/loadavg").read_text().strip()
    settings = Settings.load()
    embedder = get_embedder(settings.embedder)
    pos, neg = sample(folder, answerable, negatives)
    # the passages mode on a subset that keeps the sample's share of negatives
    share = passages / max(len(pos) + len(neg), 1)
    passages_ids = {q.id for q in pos[: round(len(pos) * share)]} | {q.id for q in neg[: round(len(neg) * share)]}
    modes = list(MODES) if passages else ["extractive", "local-sentences"]
    info = cached_index(folder / "corpus.jsonl", settings, embedder)
    out.mkdir(parents=True, exist_ok=True)
    cache = out / "cache"
    cache.mkdir(exist_ok=True)
    rows: list[dict[str, Any]] = []
    with (cache / "rows.jsonl").open("w", encoding="utf-8") as log:
        assistant = Assistant(settings.with_(index_dir=info.index_dir), IndexStore.open(info.index_dir, embedder.id), embedder)
        rows += ask_all("answerable", pos, assistant, modes, passages_ids, log)
        with without_gold(info.index_dir, neg, settings, embedder) as (assistant, removed):
            rows += ask_all("negative", neg, assistant, modes, passages_ids, log)
    summary = {mode: aggregate([r for r in rows if r["mode"] == mode]) for mode in modes}
    if passages:  # the other modes on the passages subset, for a paired comparison
        for mode in modes[:-1]:
            summary[f"{mode} (passages subset)"] = aggregate([r for r in rows if r["mode"] == mode and r["id"] in passages_ids])
    by_lang = {f"{mode} lang={lang}": aggregate([r for r in rows if r["mode"] == mode and r["lang"] == lang])
               for mode in modes for lang in sorted({r["lang"] for r in rows})}
    report = {
        "meta": {
            "set": str(folder), "seed": SEED, "answerable": len(pos), "negatives": len(neg),
            "passages_subset": len(passages_ids), "gold_docs_removed": len(removed), "embedder": embedder.id,
            "model": settings.local_model_path.name, "llm_max_tokens": settings.llm_max_tokens,
            "rag_source": source_hash(), "index": asdict(info),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "seconds": round(time.time() - started, 1), "loadavg_before": load_before,
            "loadavg_after": Path("/proc/loadavg").read_text().strip(),
        },
        "summary": summary, "by_lang": by_lang, "results": rows,
    }
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    return report


COLS = (("questions", "n"), ("answerable", "answerable"), ("answer_accuracy", "answer acc"),
        ("false_refusal", "false refusal"), ("citation_precision", "cit. P"), ("negatives", "negatives"),
        ("negative_rejection", "neg. rejection"), ("refusal_rate", "refusal rate"), ("fallbacks", "fallbacks"),
        ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"), ("answered_p50_ms", "answered p50 ms"),
        ("answered_p95_ms", "answered p95 ms"))


def table(summary: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| mode | " + " | ".join(h for _, h in COLS) + " |", "|---" * (len(COLS) + 1) + "|"]
    for mode, a in summary.items():
        lines.append(f"| {mode} | " + " | ".join(_f(a[k]) for k, _ in COLS) + " |")
    return lines


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        "# Local LLM against extractive (news_public dev sample)",
        "",
        f"- set `{meta['set']}`, seed {meta['seed']}: {meta['answerable']} answerable questions over the set's index, "
        f"and {meta['negatives']} other answerable questions asked over a copy without their gold documents "
        f"({meta['gold_docs_removed']} removed; rejected = refused or still right), each put to every mode in turn; "
        f"local-passages on a subset of {meta['passages_subset']} of them",
        f"- local: `{meta['model']}` in llama.cpp (xllamacpp, in process), temperature 0, at most "
        f"{meta['llm_max_tokens']} answer tokens; local-sentences reads the extractive selector's sentences with one "
        "neighbour each side under their [n] and is not asked when the selector picks nothing; local-passages reads "
        "the five whole passages",
        "- scoring: eval.harness.evaluate (answer acc: every answer part a substring of the answer; a refusal scores "
        "as wrong); fallbacks: the LLM answer cited nothing supported (or failed) and the pipeline answered "
        "extractively; latency: the Assistant's total per question (answered: leaving out refusals and fallbacks)",
        f"- embedder `{meta['embedder']}`, rag source `{meta['rag_source']}`; started {meta['started']}, took "
        f"{meta['seconds']:.0f}s on a 2-core machine shared with another session: /proc/loadavg before "
        f"`{meta['loadavg_before']}`, after `{meta['loadavg_after']}`",
        "",
        "## Summary",
        "",
        *table(report["summary"]),
        "",
        "## By language",
        "",
        *table(report["by_lang"]),
    ]
    return "\n".join(lines) + "\n"


def _f(x: Any) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if isinstance(x, float) and abs(x) < 10 else (f"{x:.0f}" if isinstance(x, float) else str(x))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m eval.llm_compare", description=__doc__.split("\n\n")[0])
    p.add_argument("--set", type=Path, default=SET)
    p.add_argument("--answerable", type=int, default=70)
    p.add_argument("--negatives", type=int, default=30)
    p.add_argument("--passages", type=int, default=30, help="questions also put to local-passages (0: none)")
    p.add_argument("--out", type=Path, default=Path("eval/reports/llm"))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    report = run(args.set, args.out, args.answerable, args.negatives, args.passages)
    print("\n".join(table(report["summary"])))
    print(f"report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
