"""Our rule-based time parser vs jionlp (pip install jionlp; not a dependency) on the ChronoQA dev half:
for absolute and relative questions, does the range each finds contain the gold passages' dates?

Run from the repository root: python bench/timeparse_vs_jionlp.py
"""
import collections
import datetime as dt
import json
import time

import jionlp as jio

from rag.timeparse import iso_span, parse_as_of, question_range

D = "../shared/evalsets/chronoqa/"
docs = {json.loads(line)["id"]: json.loads(line) for line in open(D + "corpus.jsonl")}
qs = [json.loads(line) for line in open(D + "qa.jsonl")]
qs = [q for q in qs if q["temporal_type"] in ("absolute", "relative")]


def jio_range(q, base):
    ts = time.mktime(dt.datetime.combine(base, dt.time(12)).timetuple())
    try:
        res = jio.ner.extract_time(q, time_base=ts, with_parsing=True)
    except Exception:
        return None
    spans = []
    for r in res:
        det = r.get("detail") or {}
        t = det.get("time")
        if det.get("type") in ("time_point", "time_span") and t and isinstance(t, list) and len(t) == 2:
            try:
                lo = dt.date.fromisoformat(t[0][:10]) if not t[0].startswith("inf") and not t[0].startswith("-inf") else dt.date(1,1,1)
                hi = dt.date.fromisoformat(t[1][:10]) if not t[1].startswith("inf") else dt.date(9999,12,31)
                spans.append((lo, hi))
            except Exception:
                pass
    if not spans:
        return None
    return min(s[0] for s in spans), max(s[1] for s in spans)


stat: collections.Counter = collections.Counter()
t_j = t_o = 0.0
for q in qs:
    try:
        base = parse_as_of(q["as_of"])
    except ValueError:
        continue
    dates = [docs[d]["date"] for d in q["doc_ids"] if docs[d]["date"]]
    t = time.perf_counter()
    j = jio_range(q["question"], base)
    t_j += time.perf_counter() - t
    t = time.perf_counter()
    o = question_range(q["question"], base)
    t_o += time.perf_counter() - t
    for name, r in (("jionlp", j), ("ours", (o.start, o.end) if o else None)):
        key = (name, q["temporal_type"])
        if r is None:
            stat[key + ("none",)] += 1
            continue
        if not dates:
            continue
        ok = all((s := iso_span(d)) and s[0] <= r[1] and s[1] >= r[0] for d in dates)
        stat[key + ("hit" if ok else "wrong",)] += 1
for k in sorted(stat):
    print(k, stat[k])
print(f"ms/question jionlp {1000*t_j/len(qs):.2f} ours {1000*t_o/len(qs):.2f}")
