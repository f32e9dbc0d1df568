"""Batch evaluation: ``rag eval`` and ``rag.evaluation.run(dataset, corpus=..., configs=(...), out=...) -> Report``."""

from __future__ import annotations

import argparse
from pathlib import Path

from rag.errors import InputError

from .harness import run
from .results import Report

__all__ = ["Report", "main", "run"]


def main(args: argparse.Namespace) -> int:
    """The ``rag eval`` command: run, print the summary table and where the report is."""
    if getattr(args, "html", None):  # HTML extraction benchmark (rag eval --html DIR)
        from .html import main as html_main

        return html_main([str(args.html), "--out", str(args.out)])
    if getattr(args, "chronoqa", None) is not None:  # rag eval --chronoqa [DIR]
        from .chrono import main as chrono_main

        out = args.out if args.out != Path("eval/reports/latest") else Path("eval/reports/chronoqa")
        per_type = ["--per-type", str(args.limit)] if args.limit else []
        return chrono_main(["--qa", str(args.chronoqa / "qa.jsonl"), "--corpus", str(args.chronoqa / "corpus.jsonl"),
                            "--out", str(out), *per_type])
    from .report import summary_table

    if args.suite is not None:
        from .suite import run_suite

        out = args.out if args.out != Path("eval/reports/latest") else Path("eval/reports/suite")
        run_suite(args.suite, out, args.per_set, args.negatives, args.config, progress=True,
                  only=args.sets.split(",") if args.sets else None)
        print((out / "report.md").read_text(encoding="utf-8").split("\n## ", 2)[1])
        print(f"report: {out / 'report.md'}")
        return 0
    if args.dataset is None:
        raise InputError("rag eval needs --dataset FILE or --suite [DIR]")
    if args.corpus and args.index:
        raise InputError("eval: --corpus builds (and caches) an index of that corpus, --index names existing ones; give one")
    names = [c.strip() for c in args.configs.split(",") if c.strip()]
    report = run(
        args.dataset,
        corpus=args.corpus,
        index=args.index,
        configs=names,
        out=args.out,
        limit=args.limit,
        config=args.config,
        progress=True,
    )
    for issue in report.issues:
        print(f"{args.dataset}:{issue.line}: skipped: {issue.message}")
    print(summary_table(report))
    errors = sum(r.error is not None for r in report.results)
    if errors:
        print(f"{errors} question(s) raised errors; see report.json")
    print(f"report: {args.out / 'report.md'}")
    return 0
