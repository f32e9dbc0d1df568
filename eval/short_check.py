"""How often the short answer holds a gold answer, given a sentence that does (the span extractor alone).

    python -m eval.short_check [--suite ../shared/evalsets]

For every answerable development question: the first sentence of a gold document that contains a gold answer
string (so sentence selection is out of the picture), the short answer taken from it, and whether a gold answer is
inside it. Prints the share per set and question kind, for the extractor in ``rag.short`` (its first run, beside the
extractor it replaced: eval/reports/short/before_after.txt).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from rag.chunk import sentences
from rag.query import analyze
from rag.short import short_answer
from rag.timeparse import absolutize

from .train_select import answer_strings, norm, usable


def oracle_rows(folder: Path) -> list[tuple[dict, str]]:
    docs = {}
    for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            docs[d["id"]] = d["text"]
    out = []
    for line in (folder / "qa.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not line.strip() or not usable(row):
            continue
        parts = answer_strings(row)
        if len(parts) != 1:
            continue
        for doc in row["doc_ids"]:
            text = docs.get(doc, "")
            hit = next((text[s:e] for s, e in sentences(text) if any(a in norm(text[s:e]) for a in parts[0])), None)
            if hit:
                out.append((row, hit))
                break
    return out


def kind(q) -> str:  # type: ignore[no-untyped-def]
    return "list" if q.is_list else (q.answer_type or "untyped")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--suite", type=Path, default=Path("../shared/evalsets"))
    p.add_argument("--sets", default="news_public,reading,chronoqa")
    p.add_argument("--show", type=int, default=0, help="print this many misses per set")
    p.add_argument("--dump", type=Path, default=None, help="write each question's short answer and whether it is right (JSONL)")
    p.add_argument("--kind", default=None, help="show only misses of this kind (date, number, person, place, list, untyped)")
    args = p.parse_args(argv)
    extractors = {"now": short_answer}
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    for name in args.sets.split(","):
        rows = oracle_rows(args.suite / name)
        table: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # (extractor, group) -> right, given, n
        shown = 0
        for row, sent in rows:
            text = row["question"]
            q = analyze(absolutize(text, row["as_of"]) if row.get("as_of") else text)  # as the pipeline reads it
            alts = answer_strings(row)[0]
            for ex, fn in extractors.items():
                got = fn(q, sent)
                right = bool(got) and any(a in norm(got) for a in alts)
                for g in ("all", f"lang={q.lang}", f"type={kind(q)}"):
                    t = table[(ex, g)]
                    t[0] += right
                    t[1] += bool(got)
                    t[2] += 1
                if dump:
                    dump.write(json.dumps({"set": name, "question": text, "got": got, "right": right, "kind": kind(q)},
                                          ensure_ascii=False) + "\n")
                if ex == "now" and not right and shown < args.show and args.kind in (None, kind(q)):
                    shown += 1
                    print(f"  MISS {row['question']} | gold {alts[:2]} | got {got!r} | {sent[:160]}")
        print(f"## {name}: {len(rows)} questions with a gold sentence")
        for g in sorted({g for _, g in table}, key=lambda g: (g != "all", g)):
            cells = [f"{ex} {table[(ex, g)][0] / table[(ex, g)][2]:.3f} (given {table[(ex, g)][1] / table[(ex, g)][2]:.2f})"
                     for ex in extractors]
            print(f"  {g:16s} n={table[(extractors and 'now', g)][2]:4d}  " + "  ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
