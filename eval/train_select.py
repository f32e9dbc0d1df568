"""Train the answer selector (``rag/data/select.json``) on the development halves of the public evaluation sets.

    python -m rag.evaluation.train_select features --suite ../shared/evalsets --out eval/reports/select
    python -m rag.evaluation.train_select train --out eval/reports/select [--save rag/data/select.json]

``features``: for each question, the candidate sentences of its top passages (as the Assistant retrieves them) and of
its top passages once its gold documents are left out (what the question meets when the archive lacks the answer),
with their features and labels (a sentence is positive when it contains a gold answer string and comes from a gold
document). ``train``: logistic regression, k-fold cross-validated by question (both languages of one XQuAD question
in the same fold); the answer/refuse threshold (one per question language) is the lowest one that keeps negative rejection >= the
target over the training folds' questions of that language, all sets pooled. The seed questions are never used. Needs scikit-learn (the ``eval`` extra).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

from rag.embed import get_embedder
from rag.pipeline import Assistant
from rag.select import FEATURES, Selector, featurize, standardise
from rag.settings import Settings
from rag.store import IndexStore

from .corpus import cached_index
from .dataset import load_dataset

logger = logging.getLogger(__name__)

SETS = {"news_public": None, "reading": 500, "chronoqa": 400}  # question groups sampled per set (None: all)
NEG_DEPTH = 40  # chunks searched to find the best passages outside the gold documents
TARGET_REJECTION = 0.95
KINDS = ("zh", "en", "en-zh")  # question language, and an English question over Chinese text


def kind_of(name: str, m: dict) -> str:
    """The threshold a question meets: by its language, 'en-zh' for English over Chinese (reading's passages)."""
    return "en-zh" if m["lang"] == "en" and name == "reading" else m["lang"]
FOLDS = 5
SEED = 13


def group_of(qid: str) -> str:
    """The fold group: the two languages of one XQuAD question share it."""
    return re.sub(r"^xquad-(?:zh|en2zh)-", "xquad-", qid)


def norm(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def usable(row: dict) -> bool:
    return bool(row.get("answers") or row.get("answer_parts")) and bool(row.get("doc_ids")) and row.get("answer_scorable", True) is not False


def sample_rows(path: Path, limit: int | None) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if usable(r)]
    if limit is None or limit >= len(rows):
        return rows
    groups = sorted({group_of(r["id"]) for r in rows})
    keep = set(random.Random(SEED).sample(groups, limit))
    return [r for r in rows if group_of(r["id"]) in keep]


def answer_strings(row: dict) -> list[list[str]]:
    """Parts of alternatives (normalised); answers without parts are one part."""
    parts = row.get("answer_parts") or [row.get("answers") or []]
    return [[norm(a) for a in alts if a.strip()] for alts in parts]


def contains(parts: list[list[str]], text: str) -> bool:
    t = norm(text)
    return all(any(a in t for a in alts) for alts in parts)


def features(suite: Path, out: Path, limits: dict[str, int | None]) -> None:
    """Write ``features-<set>.npz`` and ``questions-<set>.json`` for each set."""
    settings = Settings.load()
    embedder = get_embedder(settings.embedder)
    out.mkdir(parents=True, exist_ok=True)

    memo: dict[str, np.ndarray] = {}

    def embed(qs: list[str], ss: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """As the Assistant embeds, with each text embedded once (questions meet the same sentences twice)."""
        todo = [s for s in dict.fromkeys([f"q:{q}" for q in qs] + [f"p:{s}" for s in ss]) if s not in memo]
        qn = [t[2:] for t in todo if t.startswith("q:")]
        pn = [t[2:] for t in todo if t.startswith("p:")]
        if qn:
            memo.update(zip([f"q:{q}" for q in qn], embedder.embed_queries(qn)))
        if pn:
            memo.update(zip([f"p:{s}" for s in pn], embedder.embed_documents(pn)))
        return np.stack([memo[f"q:{q}"] for q in qs]), np.stack([memo[f"p:{s}"] for s in ss])

    for name, limit in limits.items():
        info = cached_index(suite / name / "corpus.jsonl", settings, embedder)
        assistant = Assistant(settings.with_(index_dir=info.index_dir), IndexStore.open(info.index_dir, embedder.id), embedder)
        rows = sample_rows(suite / name / "qa.jsonl", limit)
        xs, ys, hit_answer, qidx, negs = [], [], [], [], []
        meta = []
        t = time.perf_counter()
        for i, row in enumerate(rows):
            r = assistant.retriever
            query = r.analyze(row["question"])
            gold, parts = set(row["doc_ids"]), answer_strings(row)
            deep = r.search(query, NEG_DEPTH)
            pos = r.search(query, settings.top_k) if query.is_list else deep[: settings.top_k]
            wide = [h for h in deep if h.chunk.doc_id not in gold]
            neg = wide[: len(pos)]
            for is_neg, hits in ((0, pos), (1, neg)):
                cands, x = featurize(assistant.evidence, query, hits, r.doc_dates, embed)
                for c, feats in zip(cands, x):
                    h = hits[c.n - 1]
                    has = contains(parts, h.chunk.text[c.start : c.end])
                    xs.append(feats)
                    ys.append(int(has and h.chunk.doc_id in gold and not is_neg))
                    hit_answer.append(int(has))
                    qidx.append(i)
                    negs.append(is_neg)
            meta.append({"id": row["id"], "group": group_of(row["id"]), "lang": query.lang, "source": row.get("source"),
                         "temporal_type": row.get("temporal_type"), "gold_retrieved": any(h.chunk.doc_id in gold for h in pos)})
            if i % 25 == 0:
                logger.info("%s: %d/%d questions (%.0fs)", name, i, len(rows), time.perf_counter() - t)
        np.savez_compressed(out / f"features-{name}.npz", x=np.array(xs, np.float32), y=np.array(ys, np.int8),
                            has=np.array(hit_answer, np.int8), q=np.array(qidx, np.int32), neg=np.array(negs, np.int8))
        (out / f"questions-{name}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        logger.info("%s: %d questions, %d candidates in %.0fs", name, len(rows), len(ys), time.perf_counter() - t)


def load(out: Path) -> dict[str, dict]:
    data = {}
    for path in sorted(out.glob("features-*.npz")):
        name = path.stem.removeprefix("features-")
        z = np.load(path, allow_pickle=False)
        data[name] = {k: z[k] for k in z.files} | {"meta": json.loads((out / f"questions-{name}.json").read_text()), "name": name}
        x = data[name]["x"]
        if x.shape[1] == len(FEATURES) - 1 and FEATURES[-1] == "cross":  # features written before "cross" existed
            data[name]["x"] = np.hstack([x, _cross(name, data[name])[:, None]])
    return data


def _cross(name: str, d: dict) -> np.ndarray:
    """'cross' for features stored without it: English question and Chinese sentence, from the set's languages.

    reading's passages are all Chinese; news_public's English questions have English passages (its README), so
    only reading's English questions are cross-lingual. An approximation for old feature files only.
    """
    en = np.array([m["lang"] == "en" for m in d["meta"]])[d["q"]]
    return (en & (name == "reading")).astype(np.float32)


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, c: float = 1.0) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-6] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(standardise(x, mean, scale), y, sample_weight=w)
    return model.coef_[0].astype(np.float64), float(model.intercept_[0]), mean.astype(np.float64), scale.astype(np.float64)


def best_per_question(p: np.ndarray, q: np.ndarray, neg: np.ndarray, has: np.ndarray, side: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per question: the best candidate's probability (0 if none) and whether it contains an answer."""
    best = np.zeros(n)
    right = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(neg == side):
        if p[i] > best[q[i]]:
            best[q[i]], right[q[i]] = p[i], bool(has[i])
    return best, right


def rejection_threshold(sets: list[tuple[np.ndarray, np.ndarray]], target: float) -> float:
    """The lowest threshold with rejection >= ``target`` on every set: (best neg probability, still right) pairs."""
    need = 0.05
    for best, right in sets:
        wrong = np.sort(best[~right])
        if len(wrong) == 0:
            continue
        allowed = int(np.floor((1 - target) * len(best)))  # wrong answers allowed to pass
        k = len(wrong) - allowed - 1  # this one must be refused
        if k >= 0:
            need = max(need, float(wrong[k]) + 1e-6)
    return min(need, 0.99)


def evaluate(p: np.ndarray, d: dict, rows: np.ndarray, taus: dict[str, float]) -> dict[str, float]:
    """Answer accuracy (best candidate contains an answer and passes), false refusals, negative rejection."""
    n = len(d["meta"])
    tau = np.array([taus[kind_of(d["name"], m)] for m in d["meta"]])
    pb, pr = best_per_question(p, d["q"][rows], d["neg"][rows], d["has"][rows], 0, n)
    nb, nr = best_per_question(p, d["q"][rows], d["neg"][rows], d["has"][rows], 1, n)
    present = np.zeros(n, dtype=bool)
    present[np.unique(d["q"][rows])] = True
    acc = (pb >= tau) & pr
    return {"questions": int(present.sum()), "answer_acc": float(acc[present].mean()),
            "false_refusal": float((pb < tau)[present].mean()), "rejection": float(((nb < tau) | nr)[present].mean())}


def weights(d: dict, rows: np.ndarray) -> np.ndarray:
    n = max(len(d["meta"]), 1)
    return np.full(len(rows), 1000.0 / n)  # each set weighs the same, whatever its size


def train(out: Path, save: Path | None, target: float = TARGET_REJECTION) -> dict:
    """Cross-validate, fit on all, write ``cv.json``/``cv.md`` into ``out`` (features from ``out/cache``)."""
    data = load(out / "cache")
    if not data:
        raise SystemExit(f"no features in {out}; run the features step first")
    rng = random.Random(SEED)
    folds: dict[str, dict[str, int]] = {}
    for name, d in data.items():
        groups = sorted({m["group"] for m in d["meta"]})
        rng.shuffle(groups)
        folds[name] = {g: i % FOLDS for i, g in enumerate(groups)}
        d["fold"] = np.array([folds[name][d["meta"][qi]["group"]] for qi in d["q"]])
    cv: dict[str, dict] = {name: {} for name in data}
    preds = {name: np.zeros(len(d["y"])) for name, d in data.items()}
    taus = []
    for k in range(FOLDS):
        tr = {name: np.flatnonzero(d["fold"] != k) for name, d in data.items()}
        x = np.concatenate([d["x"][tr[n]] for n, d in data.items()])
        y = np.concatenate([d["y"][tr[n]] for n, d in data.items()])
        w = np.concatenate([weights(d, tr[n]) for n, d in data.items()])
        sel = Selector(*fit(x, y, w), threshold=0.5)
        for name, d in data.items():
            te = np.flatnonzero(d["fold"] == k)
            preds[name][te] = sel.probabilities(d["x"][te])
        taus.append(thresholds(sel, data, tr, target))
    table = {}
    for name, d in data.items():
        # each held-out fold judged with the threshold chosen on its own training folds
        folds_res = [evaluate(preds[name][rows], d, rows, taus[k])
                     for k in range(FOLDS) if len(rows := np.flatnonzero(d["fold"] == k))]
        table[name] = _pool(folds_res)
        langs = sorted({m["lang"] for m in d["meta"]})
        srcs = sorted({m["source"] for m in d["meta"] if m["source"]})
        for key, values in (("lang", langs), ("source", srcs)):
            for v in values:
                qs = {i for i, m in enumerate(d["meta"]) if m[key] == v}
                res = []
                for k in range(FOLDS):
                    rows = np.flatnonzero((d["fold"] == k) & np.isin(d["q"], list(qs)))
                    if len(rows):
                        res.append(evaluate(preds[name][rows], d, rows, taus[k]))
                table[f"{name} / {v}"] = _pool(res)
    x = np.concatenate([d["x"] for d in data.values()])
    y = np.concatenate([d["y"] for d in data.values()])
    w = np.concatenate([weights(d, np.arange(len(d["y"]))) for d in data.values()])
    sel = Selector(*fit(x, y, w), threshold=0.5)
    tau = thresholds(sel, data, {n: np.arange(len(d["y"])) for n, d in data.items()}, target)
    final = Selector(sel.weights, sel.bias, sel.mean, sel.scale, max(tau.values()), by_lang=tau, meta={
        "trained_on": {n: len(d["meta"]) for n, d in data.items()}, "target_rejection": target,
        "cv_thresholds": taus, "trained": time.strftime("%Y-%m-%d"),
    })
    fitted = {n: evaluate(final.probabilities(d["x"]), d, np.arange(len(d["y"])), tau) for n, d in data.items()}
    result = {"threshold": tau, "cv_thresholds": taus, "cv": table, "fitted_on_all": fitted,
              "weights": dict(zip(FEATURES, np.round(final.weights, 3).tolist()))}
    (out / "cv.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    (out / "cv.md").write_text(markdown(result), encoding="utf-8")
    if save:
        final.save(save)
    return result


def _neg_pairs(p: np.ndarray, d: dict, rows: np.ndarray, kind: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    n = len(d["meta"])
    best, right = best_per_question(p, d["q"][rows], d["neg"][rows], d["has"][rows], 1, n)
    present = np.zeros(n, dtype=bool)
    present[np.unique(d["q"][rows])] = True
    if kind is not None:
        present &= np.array([kind_of(d["name"], m) == kind for m in d["meta"]])
    return best[present], right[present]


def thresholds(sel: Selector, data: dict[str, dict], rows: dict[str, np.ndarray], target: float) -> dict[str, float]:
    """One threshold per question language, each the lowest keeping rejection >= ``target`` on that language's
    questions of all sets pooled (per set, small samples would make it a maximum of a few outliers)."""
    out = {}
    for kind in KINDS:
        pairs = [_neg_pairs(sel.probabilities(d["x"][rows[n]]), d, rows[n], kind) for n, d in data.items()]
        pooled = (np.concatenate([b for b, _ in pairs]), np.concatenate([r for _, r in pairs]))
        out[kind] = rejection_threshold([pooled], target) if len(pooled[0]) else 0.5
    return out


def _pool(res: list[dict]) -> dict:
    n = sum(r["questions"] for r in res)
    if not n:
        return {"questions": 0}
    return {"questions": n, **{k: round(sum(r[k] * r["questions"] for r in res) / n, 4)
                               for k in ("answer_acc", "false_refusal", "rejection")}}


def markdown(result: dict) -> str:
    lines = [
        "# Answer selector: cross-validated on the development halves", "",
        f"{FOLDS}-fold by question (both languages of an XQuAD question in one fold); each held-out fold is judged "
        "with the thresholds chosen on its training folds (one per kind of question: Chinese, English, English over Chinese text; negative rejection >= 0.95 over that kind's questions of all sets pooled). "
        "answer acc: the best candidate sentence passes the threshold and contains a gold answer; rejection: the same "
        "question over its top passages outside the gold documents is refused, or still right.", "",
        "| set | questions | answer acc | false refusal | rejection |", "|---|---|---|---|---|",
    ]
    for name, r in result["cv"].items():
        if r.get("questions"):
            lines.append(f"| {name} | {r['questions']} | {r['answer_acc']:.3f} | {r['false_refusal']:.3f} | {r['rejection']:.3f} |")
    lines += ["", f"Final thresholds by question language (all dev data): {result['threshold']}; per fold: "
              + "; ".join(", ".join(f"{k} {v:.3f}" for k, v in t.items()) for t in result["cv_thresholds"]),
              "", "Fitted on all (optimistic):", ""]
    lines += [f"- {n}: {r}" for n, r in result["fitted_on_all"].items()]
    lines += ["", "Weights (standardised features):", ""] + [f"- {k}: {v}" for k, v in result["weights"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("step", choices=["features", "train"])
    p.add_argument("--suite", type=Path, default=Path("../shared/evalsets"))
    p.add_argument("--out", type=Path, default=Path("eval/reports/select"))
    p.add_argument("--sets", default=",".join(SETS))
    p.add_argument("--save", type=Path)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.step == "features":
        features(args.suite, args.out / "cache", {n: SETS.get(n) for n in args.sets.split(",")})
    else:
        print(markdown(train(args.out, args.save)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
