"""The evaluation suite: every QA set of a folder over its own corpus, negative rejection included, one report.

``rag eval --suite ../shared/evalsets`` (or ``run_suite(...)``): each subfolder with ``qa.jsonl`` and
``corpus.jsonl`` is a set. A seeded sample of its questions (``per_set``; the two languages of an XQuAD question
kept together) is asked over the set's cached index. Negative rejection (RGB's protocol): ``negatives`` of the
sampled answerable questions are asked again over a copy of the index with all their gold documents removed
(``rag.ingest.remove``); refused, or still right from another source, counts as rejected.
"""

from __future__ import annotations

import json
import logging
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from rag.embed import get_embedder
from rag.errors import InputError
from rag.ingest import remove
from rag.pipeline import Assistant
from rag.settings import Settings
from rag.store import IndexStore

from . import metrics as m
from .corpus import cached_index, source_hash
from .dataset import Question, parse_line
from .harness import evaluate
from .results import Result

logger = logging.getLogger(__name__)

PER_SET = 200
NEGATIVES = 60
SEED = 7
GROUP_KEYS = ("lang", "source", "temporal_type")


def group_of(qid: str) -> str:
    """Questions that must be sampled together: the two languages of one XQuAD question."""
    return re.sub(r"^xquad-(?:zh|en2zh)-", "xquad-", qid)


def sets_in(suite: Path) -> list[Path]:
    """The set folders of ``suite`` (those with both ``qa.jsonl`` and ``corpus.jsonl``), by name."""
    found = sorted(d for d in Path(suite).iterdir() if (d / "qa.jsonl").is_file() and (d / "corpus.jsonl").is_file())
    if not found:
        raise InputError(f"no evaluation sets (folders with qa.jsonl and corpus.jsonl) in {suite}")
    return found


def load_set(path: Path, per_set: int | None, seed: int = SEED) -> tuple[list[Question], dict[str, dict[str, Any]]]:
    """A seeded sample of the set's questions and each one's raw row (for its source and temporal type).

    A question whose reference answer the set marks as not scorable by containment (``answer_scorable: false``)
    keeps its gold documents (retrieval is scored) but no answers (answer metrics skip it).
    """
    questions, rows = [], {}
    for lineno, line in enumerate((path / "qa.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            q = parse_line(line, lineno)
        except ValueError as e:
            logger.warning("%s:%d skipped: %s", path, lineno, e)
            continue
        row = json.loads(line)
        if row.get("answer_scorable") is False:
            q = replace(q, answers=None, answer_parts=None)
        questions.append(q)
        rows[q.id] = row
    if per_set is not None and per_set < len(questions):
        groups = sorted({group_of(q.id) for q in questions})
        random.Random(seed).shuffle(groups)
        keep, n = set(), 0
        by_group: dict[str, int] = {}
        for q in questions:
            by_group[group_of(q.id)] = by_group.get(group_of(q.id), 0) + 1
        for g in groups:
            if n >= per_set:
                break
            keep.add(g)
            n += by_group[g]
        questions = [q for q in questions if group_of(q.id) in keep]
    return questions, rows


def run_suite(
    suite: str | Path,
    out: str | Path | None = None,
    per_set: int | None = PER_SET,
    negatives: int = NEGATIVES,
    config: str | Path | None = None,
    progress: bool = False,
    only: list[str] | None = None,
) -> dict[str, Any]:
    """Evaluate every set of ``suite``; write ``report.json``/``report.md`` into ``out``; returns the report dict."""
    started = time.time()
    settings = Settings.load(config)
    embedder = get_embedder(settings.embedder)
    report: dict[str, Any] = {"meta": {"suite": str(suite), "per_set": per_set, "negatives": negatives, "seed": SEED,
                                       "embedder": embedder.id, "rag_source": source_hash(),
                                       "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started))},
                              "sets": {}}
    for folder in sets_in(Path(suite)):
        if only and folder.name not in only:
            continue
        report["sets"][folder.name] = run_set(folder, settings, embedder, per_set, negatives, progress)
    report["meta"]["seconds"] = round(time.time() - started, 1)
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        (out / "report.md").write_text(markdown(report), encoding="utf-8")
    return report


def run_set(folder: Path, settings: Settings, embedder: Any, per_set: int | None, negatives: int, progress: bool) -> dict[str, Any]:
    """One set: its questions over its own index, then the negative-rejection run over a copy without gold docs."""
    questions, rows = load_set(folder, per_set)
    info = cached_index(folder / "corpus.jsonl", settings, embedder)
    assistant = Assistant(settings.with_(index_dir=info.index_dir), IndexStore.open(info.index_dir, embedder.id), embedder)
    assistant.warm()
    bar = tqdm(questions, desc=folder.name, unit="q", file=sys.stderr, disable=not progress)
    results = [evaluate("hybrid", assistant, q) for q in bar]
    scored = scorable(questions)
    sample = random.Random(SEED).sample(scored, min(negatives, len(scored)))
    neg = negative_rejection(sample, info.index_dir, settings, embedder, progress, folder.name)
    extra = {q.id: rows[q.id] for q in questions}
    return {
        "index": asdict(info),
        "questions": len(questions),
        "summary": summarize(results, extra),
        "negative_rejection": neg,
        "results": [{**asdict(r), **{k: extra[r.id].get(k) for k in ("source", "temporal_type")}} for r in results],
    }


def scorable(questions: list[Question]) -> list[Question]:
    """The answerable questions with gold documents and answers: those a negative-rejection run can ask."""
    return [q for q in questions if q.answerable and q.doc_ids and (q.answers or q.answer_parts)]


@contextmanager
def without_gold(
    index_dir: str, questions: list[Question], settings: Settings, embedder: Any
) -> Iterator[tuple[Assistant, list[str]]]:
    """An Assistant over a temporary copy of the index with all of ``questions``' gold documents removed, and the
    ids removed."""
    gold = sorted({d for q in questions for d in q.doc_ids or ()})
    with tempfile.TemporaryDirectory(prefix="rag-negative-") as tmp:
        copy = Path(tmp) / "index"
        shutil.copytree(index_dir, copy)
        removed = remove(copy, gold, embedder.id)
        yield Assistant(settings.with_(index_dir=copy), IndexStore.open(copy, embedder.id), embedder), removed


def negative_rejection(
    sample: list[Question], index_dir: str, settings: Settings, embedder: Any, progress: bool, name: str
) -> dict[str, Any]:
    """Ask ``sample`` over a copy of the index without any of their gold documents."""
    if not sample:
        return {"questions": 0, "rejection": None}
    with without_gold(index_dir, sample, settings, embedder) as (assistant, removed):
        out = []
        for q in tqdm(sample, desc=f"{name} (gold removed)", unit="q", file=sys.stderr, disable=not progress):
            a = assistant.ask(q.question, as_of=q.as_of)
            right = bool(not a.refused and m.is_correct(a.text, q.answer_parts, q.answers))
            out.append({"id": q.id, "lang": q.lang, "refused": a.refused, "still_right": right,
                        "answer": "" if a.refused else a.text[:300]})
    rejected = [o["refused"] or o["still_right"] for o in out]
    by_lang = {lang: _mean([o["refused"] or o["still_right"] for o in out if o["lang"] == lang])
               for lang in sorted({o["lang"] for o in out})}
    return {"questions": len(out), "gold_docs_removed": len(removed), "rejection": _mean(rejected),
            "by_lang": by_lang, "wrong_answers": sum(not r for r in rejected), "details": out}


def summarize(results: list[Result], rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Aggregates for all questions and per language, source and temporal type."""
    out = {"all": aggregate(results)}
    for key in GROUP_KEYS:
        values = sorted({str(v) for r in results if (v := _key(r, rows, key)) is not None})
        if key != "lang" and len(values) < 2:
            continue
        for v in values:
            out[f"{key}={v}"] = aggregate([r for r in results if str(_key(r, rows, key)) == v])
    return out


def _key(r: Result, rows: dict[str, dict[str, Any]], key: str) -> Any:
    return r.lang if key == "lang" else rows[r.id].get(key)


def aggregate(results: list[Result]) -> dict[str, Any]:
    answerable = [r for r in results if r.answerable]
    scored = [r for r in answerable if r.correct is not None]
    total = [r.timings["total_ms"] for r in results if "total_ms" in r.timings]
    gen = [r.timings["generate_ms"] for r in results if "generate_ms" in r.timings]
    return {
        "questions": len(results),
        "answer_scored": len(scored),
        "hit@1": _mean([r.retrieval.get("hit@1") for r in answerable]),
        "hit@5": _mean([r.retrieval.get("hit@5") for r in answerable]),
        "answer_accuracy": _mean([r.correct for r in scored]),
        "short_accuracy": _mean([r.short_correct for r in scored]),
        "short_given": _mean([r.short is not None for r in scored if not r.refused]),
        "citation_precision": _mean([r.citation_precision for r in answerable]),
        "citation_recall": _mean([r.citation_recall for r in answerable]),
        "false_refusal": _mean([r.refused for r in scored]),
        "p50_ms": rounded(m.percentile(total, 50), 1),
        "p95_ms": rounded(m.percentile(total, 95), 1),
        "generate_p50_ms": rounded(m.percentile(gen, 50), 1),
        "errors": sum(r.error is not None for r in results),
    }


def _mean(values: list[Any]) -> float | None:
    return rounded(m.mean(values))


def rounded(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


COLS = (("questions", "n"), ("hit@5", "hit@5"), ("answer_accuracy", "answer acc"), ("short_accuracy", "short acc"),
        ("citation_precision", "cit. P"), ("citation_recall", "cit. R"), ("false_refusal", "false refusal"),
        ("p50_ms", "p50 ms"), ("p95_ms", "p95 ms"))


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        "# Evaluation suite",
        "",
        f"- suite `{meta['suite']}`: up to {meta['per_set']} questions per set (seeded sample {meta['seed']}; both "
        f"languages of an XQuAD question together), negative rejection over {meta['negatives']} answerable questions "
        "per set asked again with all their gold documents removed from a copy of the index",
        f"- embedder `{meta['embedder']}`; default settings (extractive); rag source `{meta['rag_source']}`; "
        f"started {meta['started']}, took {meta['seconds']:.0f}s on a shared 2-core machine",
        "- answer acc: a gold answer string is a case-insensitive substring of the answer (chronoqa: only its "
        "`answer_scorable` questions); short acc: the same for the short answer line alone (none given: wrong); "
        "false refusal: answerable questions refused; latency: the Assistant's total per question",
        "",
        "## Headline",
        "",
        "| set | n | hit@5 | answer acc | short acc | cit. P | cit. R | false refusal | neg. rejection | p50 ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in report["sets"].items():
        a, neg = s["summary"]["all"], s["negative_rejection"]
        lines.append(f"| {name} | {a['questions']} | {_f(a['hit@5'])} | {_f(a['answer_accuracy'])} | {_f(a['short_accuracy'])} | "
                     f"{_f(a['citation_precision'])} | {_f(a['citation_recall'])} | {_f(a['false_refusal'])} | "
                     f"{_f(neg['rejection'])} ({neg['questions']}) | {_f(a['p50_ms'], 0)} | {_f(a['p95_ms'], 0)} |")
    for name, s in report["sets"].items():
        neg = s["negative_rejection"]
        lines += ["", f"## {name}", "", "| group | " + " | ".join(h for _, h in COLS) + " |", "|---" * (len(COLS) + 1) + "|"]
        for group, a in s["summary"].items():
            lines.append(f"| {group} | " + " | ".join(_f(a[k], 0 if k.endswith("ms") or k == "questions" else 3) for k, _ in COLS) + " |")
        lines += ["", f"Negative rejection: {_f(neg['rejection'])} over {neg['questions']} questions "
                  f"({neg.get('gold_docs_removed', 0)} gold documents removed; {neg.get('wrong_answers', 0)} wrong answers); "
                  "by language: " + ", ".join(f"{k} {_f(v)}" for k, v in (neg.get("by_lang") or {}).items())]
    return "\n".join(lines) + "\n"


def _f(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)
