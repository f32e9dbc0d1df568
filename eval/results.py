"""Per-question results, their aggregates per config and language, and the run's report object."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from . import metrics as m
from .dataset import Issue

STAGES = ("retrieve_ms", "generate_ms", "verify_ms", "total_ms")
RETRIEVAL = (*(f"hit@{k}" for k in m.KS), *(f"recall@{k}" for k in m.KS), "mrr", "ndcg@10")
METRICS = (
    *RETRIEVAL,
    "answer_accuracy", "short_accuracy", "f1", "citation_precision", "citation_recall",
    "refusal_accuracy", "false_refusal_rate", "overall_accuracy",
)


@dataclass
class Result:
    """One question answered by one configuration."""

    config: str
    id: str
    line: int
    question: str
    lang: str
    answerable: bool
    expected: str
    answer: str = ""
    refused: bool = False
    correct: bool | None = None
    short: str | None = None
    short_correct: bool | None = None
    f1: float | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    citation_precision: float | None = None
    citation_recall: float | None = None
    retrieved: list[str] = field(default_factory=list)
    retrieval: dict[str, float | None] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def failed(self) -> bool:
        """Wrong or missing answer to an answerable question, or an answer to an unanswerable one."""
        return self.error is not None or (self.correct is False if self.answerable else not self.refused)


@dataclass
class Report:
    """Everything one run measured; ``summary[config][group]`` holds the aggregates (group: all, zh, en, ...)."""

    meta: dict[str, Any]
    ingest: dict[str, Any]
    issues: list[Issue]
    summary: dict[str, dict[str, dict[str, Any]]]
    results: list[Result]

    def value(self, config: str, metric: str, group: str = "all") -> float | None:
        return self.summary[config][group]["metrics"][metric]

    def to_dict(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "ingest": self.ingest,
            "dataset_issues": [asdict(i) for i in self.issues],
            "summary": self.summary,
            "questions": [{**asdict(r), "failed": r.failed} for r in self.results],
        }


def summarize(results: list[Result], names: list[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Aggregates per config, for all questions and per language."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for name in names:
        mine = [r for r in results if r.config == name]
        langs = sorted({r.lang for r in mine})
        out[name] = {"all": aggregate(mine), **{lang: aggregate([r for r in mine if r.lang == lang]) for lang in langs}}
    return out


def aggregate(results: list[Result]) -> dict[str, Any]:
    """Means of the per-question metrics (with how many questions each covers) and latency percentiles."""
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    values: dict[str, list[Any]] = {name: [r.retrieval.get(name) for r in answerable] for name in RETRIEVAL}
    values |= {
        "answer_accuracy": [r.correct for r in answerable],
        "short_accuracy": [r.short_correct for r in answerable],
        "f1": [r.f1 for r in answerable],
        "citation_precision": [r.citation_precision for r in answerable],
        "citation_recall": [r.citation_recall for r in answerable],
        "refusal_accuracy": [r.refused for r in unanswerable],
        "false_refusal_rate": [r.refused for r in answerable],
        "overall_accuracy": [r.correct for r in answerable] + [r.refused for r in unanswerable],
    }
    stage_ms = {stage: [r.timings[stage] for r in results if stage in r.timings] for stage in STAGES}
    return {
        "questions": len(results),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "errors": sum(r.error is not None for r in results),
        "metrics": {name: _round(m.mean(values[name])) for name in METRICS},
        "n": {name: sum(v is not None for v in values[name]) for name in METRICS},
        "latency_ms": {
            stage: {"p50": _round(m.percentile(ms, 50), 1), "p95": _round(m.percentile(ms, 95), 1)} for stage, ms in stage_ms.items()
        },
    }


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)
