"""Write a run's results: report.json (everything), report.md (tables a person reads) and PNG plots."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from . import metrics as m
from .results import STAGES, Report, Result

logger = logging.getLogger(__name__)

HITK_PNG = "hit_at_k.png"
LATENCY_PNG = "latency.png"
COLUMNS = (  # (metric, header) in the summary tables
    ("hit@1", "hit@1"), ("hit@3", "hit@3"), ("hit@5", "hit@5"), ("hit@10", "hit@10"), ("recall@5", "recall@5"),
    ("mrr", "MRR"), ("ndcg@10", "nDCG@10"), ("answer_accuracy", "answer acc"), ("f1", "F1"),
    ("citation_precision", "cit. P"), ("citation_recall", "cit. R"), ("refusal_accuracy", "refusal acc"),
    ("false_refusal_rate", "false refusal"), ("overall_accuracy", "overall acc"),
)
TERMINAL = ("hit@1", "hit@5", "mrr", "ndcg@10", "answer_accuracy", "f1", "citation_precision", "citation_recall",
            "refusal_accuracy", "false_refusal_rate")
DEFINITIONS = """\
- **Retrieval** (answerable questions with `doc_ids`): the top 50 chunks of each config's retriever, deduplicated to
  documents in rank order, first 10 kept. hit@k: a gold document in the first k; recall@k: share of gold documents in
  the first k; MRR: 1/rank of the first gold document (0 if not in the 10); nDCG@10: binary relevance.
- **Answer accuracy** (answerable, with `answer_parts` or `answers`): every part has an alternative that is a
  case-insensitive substring of the answer (citation markers removed); without parts, any of `answers` is. A refusal
  counts as an empty answer. **F1**: bag-of-tokens F1 against the first answer (each CJK character a token, other
  words whole; so character F1 for Chinese, token F1 for English); extractive answers are whole sentences, so F1 is
  low by design.
- **Citation precision**: share of an answer's cited passages whose document is a gold document or whose text
  contains an answer string (mean over answered questions). **Citation recall**: share of answered questions whose
  citations include a gold document.
- **Refusal accuracy**: unanswerable questions refused. **False refusal**: answerable questions refused.
  **Overall accuracy**: correct answers plus correct refusals over all questions.
- **Latency**: the Assistant's own stage timings per question (p50/p95), after one warm-up.
"""


def write(report: Report, out: Path) -> None:
    """Write report.json, report.md and the plots into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    plot_hit_at_k(report, out / HITK_PNG)
    plot_latency(report, out / LATENCY_PNG)
    (out / "report.md").write_text(markdown(report), encoding="utf-8")
    logger.info("report written to %s", out)


def summary_table(report: Report) -> str:
    """A fixed-width table of the headline numbers (all questions), one row per config."""
    heads = ["config", *(dict(COLUMNS)[c] for c in TERMINAL), "p50 ms", "p95 ms"]
    rows = []
    for name, groups in report.summary.items():
        g = groups["all"]
        lat = g["latency_ms"]["total_ms"]
        rows.append([name, *(_fmt(g["metrics"][c]) for c in TERMINAL), _fmt(lat["p50"], 0), _fmt(lat["p95"], 0)])
    widths = [max(len(str(r[i])) for r in [heads, *rows]) for i in range(len(heads))]
    lines = ["  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in [heads, *rows]]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def markdown(report: Report) -> str:
    """The human-readable report."""
    meta, ingest = report.meta, report.ingest
    first = next(iter(report.summary.values()))["all"]
    parts = [
        "# Evaluation report",
        "",
        f"- dataset: `{meta['dataset']}`: {first['questions']} questions ({first['answerable']} answerable, "
        f"{first['unanswerable']} unanswerable), {len(report.issues)} malformed lines skipped",
        f"- corpus: `{meta['corpus']}`; index: `{meta['index']}`" if meta["corpus"] else f"- index: `{meta['index']}`",
        f"- embedder `{meta['embedder']}`; settings: "
        + ", ".join(f"{k}={v}" for k, v in meta["settings"].items()),
        f"- {_ingest_line(ingest['index'])}",
        f"- run started {meta['started']}, took {meta['seconds']:.0f}s; rag source hash `{meta['rag_source']}`",
        "",
        "## Configurations",
        "",
        "| config | what | build |",
        "|---|---|---|",
        *(f"| {name} | {info['description']} | {_build_cell(info)} |" for name, info in ingest["configs"].items()),
        "",
        "## Summary (all questions)",
        "",
        *_table(report, ["all"]),
        "",
        "## By language",
        "",
        *_table(report, sorted({g for groups in report.summary.values() for g in groups} - {"all"})),
        "",
        "Questions each mean covers (all questions):",
        "",
        "| config | retrieval | answer | citation P | citation R | refusal |",
        "|---|---|---|---|---|---|",
        *(
            f"| {name} | {n['mrr']} | {n['answer_accuracy']} | {n['citation_precision']} | {n['citation_recall']} "
            f"| {n['refusal_accuracy']} |"
            for name, groups in report.summary.items()
            for n in [groups["all"]["n"]]
        ),
        "",
        "## Retrieval: hit@k",
        "",
        f"![hit@k per config]({HITK_PNG})",
        "",
        "## Latency (ms)",
        "",
        "| config | " + " | ".join(f"{s.removesuffix('_ms')} p50 | {s.removesuffix('_ms')} p95" for s in STAGES) + " |",
        "|---|" + "---|" * (2 * len(STAGES)),
        *(
            f"| {name} | " + " | ".join(f"{_fmt(lat[s]['p50'], 0)} | {_fmt(lat[s]['p95'], 0)}" for s in STAGES) + " |"
            for name, groups in report.summary.items()
            for lat in [groups["all"]["latency_ms"]]
        ),
        "",
        f"![latency per stage]({LATENCY_PNG})",
        "",
        "## Metrics",
        "",
        DEFINITIONS,
        *_issues(report),
        "## Failures",
        "",
        "Wrong or refused answers to answerable questions, answers to unanswerable ones, and errors.",
        "",
        *(line for name in report.summary for line in _failures(name, [r for r in report.results if r.config == name])),
    ]
    return "\n".join(parts) + "\n"


def _table(report: Report, groups: list[str]) -> list[str]:
    lines = [
        "| config | group | n | " + " | ".join(h for _, h in COLUMNS) + " |",
        "|---|---|---|" + "---|" * len(COLUMNS),
    ]
    for group in groups:
        for name, by_group in report.summary.items():
            if group in by_group:
                g = by_group[group]
                lines.append(f"| {name} | {group} | {g['questions']} | " + " | ".join(_fmt(g["metrics"][c]) for c, _ in COLUMNS) + " |")
    return lines


def _issues(report: Report) -> list[str]:
    if not report.issues:
        return []
    return ["## Dataset issues", "", "| line | problem |", "|---|---|",
            *(f"| {i.line} | {_cell(i.message)} |" for i in report.issues), ""]


def _failures(name: str, results: list[Result]) -> list[str]:
    failed = [r for r in results if r.failed]
    lines = [f"<details><summary><b>{name}</b>: {len(failed)} of {len(results)} questions</summary>", ""]
    if failed:
        lines += ["| id | question | expected | got | retrieved docs |", "|---|---|---|---|---|"]
        for r in failed:
            got = r.error or ("(refused)" if r.refused else m.strip_marks(r.answer))
            lines.append(
                f"| {r.id} | {_cell(r.question)} | {_cell(r.expected)} | {_cell(got, 160)} | {_cell(', '.join(r.retrieved[:5]))} |"
            )
    return [*lines, "", "</details>", ""]


def _ingest_line(info: dict) -> str:
    if info["seconds"] is None:
        return "index given with --index (no ingest in this run)"
    how = "reused from the cache" if info["cached"] else "built in this run"
    return (
        f"index of {info['documents']} documents / {info['chunks']} chunks {how}; ingest took {info['seconds']:.1f}s "
        f"({info['embed_seconds']:.1f}s embedding)"
    )


def _build_cell(info: dict) -> str:
    if "chunks" not in info:
        return "shares the index"
    how = "cached vectors" if info["cached"] else f"embedded in {info['embed_seconds']:.1f}s"
    return f"{info['chunks']} chunks, {how}, {info['seconds']:.1f}s in all"


def _fmt(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _cell(text: str, limit: int = 100) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plot_hit_at_k(report: Report, path: Path) -> None:
    """hit@k curves, one line per config, one panel per language group."""
    from matplotlib.figure import Figure

    groups = list(next(iter(report.summary.values())))
    fig = Figure(figsize=(4.2 * len(groups), 3.6), layout="constrained")
    for ax, group in zip(fig.subplots(1, len(groups), squeeze=False)[0], groups):
        for name, by_group in report.summary.items():
            ys = [by_group[group]["metrics"][f"hit@{k}"] for k in m.KS] if group in by_group else []
            if ys and None not in ys:
                ax.plot(m.KS, ys, marker="o", label=name)
        ax.set(title=f"hit@k ({group})", xlabel="k (documents)", ylabel="hit@k", xticks=m.KS, ylim=(0, 1.02))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    fig.savefig(path, dpi=110)


def plot_latency(report: Report, path: Path) -> None:
    """Per-question latency distribution of each stage, one box per config."""
    from matplotlib.figure import Figure

    names = list(report.summary)
    fig = Figure(figsize=(3.4 * len(STAGES), 3.8), layout="constrained")
    for ax, stage in zip(fig.subplots(1, len(STAGES), squeeze=False)[0], STAGES):
        data = [[r.timings[stage] for r in report.results if r.config == n and stage in r.timings] or [0.0] for n in names]
        ax.boxplot(data, tick_labels=names, showfliers=True)
        ax.set(title=stage.removesuffix("_ms"), ylabel="ms")
        ax.tick_params(axis="x", labelrotation=30)
        ax.grid(alpha=0.3, axis="y")
    fig.savefig(path, dpi=110)
