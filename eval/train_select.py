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
from rag.select import FEATURES, GATE_FEATURES, Gate, Selector, Trees, featurize, gate_features, standardise, unlisted
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
TREE_PARAMS = {"max_iter": 150, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 40, "l2_regularization": 1.0}


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
    return data


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, model: str = "trees", c: float = 1.0) -> Selector:
    """A selector (threshold still 0.5) fitted to candidates ``x``, labels ``y`` and weights ``w``: logistic
    regression ('logistic') or gradient-boosted trees ('trees', exported to plain arrays; checked against sklearn)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    if model == "logistic":
        mean, scale = x.mean(0), x.std(0)
        scale[scale < 1e-6] = 1.0
        lr = LogisticRegression(C=c, max_iter=2000)
        lr.fit(standardise(x, mean, scale), y, sample_weight=w)
        return Selector(lr.coef_[0].astype(np.float64), float(lr.intercept_[0]), mean.astype(np.float64),
                        scale.astype(np.float64), threshold=0.5)
    gb = HistGradientBoostingClassifier(**TREE_PARAMS, random_state=SEED)
    gb.fit(x, y, sample_weight=w)
    trees = Trees(float(np.ravel(gb._baseline_prediction)[0]), tuple(
        (n["feature_idx"].astype(np.int64), n["num_threshold"].astype(np.float64), n["left"].astype(np.int64),
         n["right"].astype(np.int64), n["is_leaf"].astype(bool), n["value"].astype(np.float64),
         n["missing_go_to_left"].astype(bool))
        for (tree,) in gb._predictors for n in [tree.nodes]))
    probe = x[:: max(len(x) // 500, 1)]
    if not np.allclose(trees.scores(probe), gb.decision_function(probe), atol=1e-6):
        raise RuntimeError("the exported trees do not reproduce scikit-learn's scores")
    n = x.shape[1]  # the logistic part is unused next to trees
    return Selector(np.zeros(n), 0.0, np.zeros(n), np.ones(n), threshold=0.5, trees=trees)


def rejection_threshold(sets: list[tuple[np.ndarray, np.ndarray]], target: float) -> float:
    """The lowest threshold with rejection >= ``target`` on every set: (negative-side confidence, still right) pairs."""
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


def set_weight(d: dict) -> float:
    """Each set weighs the same, whatever its size."""
    return 1000.0 / max(len(d["meta"]), 1)


def weights(d: dict, rows: np.ndarray) -> np.ndarray:
    return np.full(len(rows), set_weight(d))


def held_out(suite: Path, per_set: int) -> dict[str, set[str]]:
    """The question groups ``rag eval --suite --per-set N`` samples: never trained on, so the suite is a held-out run."""
    from .suite import load_set, sets_in

    return {folder.name: {group_of(q.id) for q in load_set(folder, per_set)[0]} for folder in sets_in(suite)}


def drop(d: dict, groups: set[str]) -> dict:
    """``d`` without the candidates of questions in ``groups`` (question indices renumbered)."""
    keep_q = np.array([m["group"] not in groups for m in d["meta"]], dtype=bool)
    new_index = np.cumsum(keep_q) - 1
    rows = keep_q[d["q"]]
    out = {k: v[rows] for k, v in d.items() if isinstance(v, np.ndarray)}
    out["q"] = new_index[d["q"][rows]].astype(np.int32)
    return out | {"meta": [m for m, k in zip(d["meta"], keep_q) if k], "name": d["name"]}


def questions(p: np.ndarray, d: dict) -> dict[str, np.ndarray]:
    """Per question and side (0: gold in the index, 1: gold removed): the gate's features, the best candidate's
    probability, whether it holds an answer, and whether the side has candidates at all."""
    n = len(d["meta"])
    out = {f"{k}{side}": v for side in (0, 1) for k, v in (("g", np.zeros((n, len(GATE_FEATURES)))), ("p", np.zeros(n)),
                                                          ("right", np.zeros(n, bool)), ("present", np.zeros(n, bool)))}
    order = np.lexsort((d["neg"], d["q"]))
    q, neg = d["q"][order], d["neg"][order]
    bounds = np.flatnonzero(np.diff(q * 2 + neg)) + 1
    for block in np.split(order, bounds):
        if not len(block):
            continue
        qi, side = int(d["q"][block[0]]), int(d["neg"][block[0]])
        pb = p[block]
        out[f"g{side}"][qi] = gate_features(pb, d["x"][block])
        out[f"p{side}"][qi] = pb.max()
        out[f"right{side}"][qi] = bool(d["has"][block[np.argmax(pb)]])
        out[f"present{side}"][qi] = True
    return out


def fit_gate(tables: list[tuple[dict, np.ndarray, float]]) -> Gate:
    """The answer/refuse gate: logistic regression on both sides' questions (label: the best candidate holds an
    answer), each set weighing the same. ``tables``: (questions(), the questions to use, the set's weight)."""
    from sklearn.linear_model import LogisticRegression

    xs, ys, ws = [], [], []
    for t, use, w in tables:
        for side in (0, 1):
            m = use & t[f"present{side}"]
            xs.append(t[f"g{side}"][m])
            ys.append(t[f"right{side}"][m])
            ws.append(np.full(int(m.sum()), w))
    x, y, w = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-6] = 1.0
    lr = LogisticRegression(C=1.0, max_iter=2000)
    lr.fit(standardise(x, mean, scale), y, sample_weight=w)
    return Gate(lr.coef_[0].astype(np.float64), float(lr.intercept_[0]), mean, scale)


def confidences(t: dict, gate: Gate | None) -> tuple[np.ndarray, np.ndarray]:
    """Both sides' confidence per question: the gate's probability, else the best candidate's."""
    if gate is None:
        return t["p0"], t["p1"]
    return gate.probability(t["g0"]), gate.probability(t["g1"])


def pick_thresholds(parts: list[tuple[dict, np.ndarray, np.ndarray, list[str]]], target: float) -> dict[str, float]:
    """One threshold per kind of question, the lowest keeping rejection >= ``target`` over that kind's questions of
    all sets pooled. ``parts``: (questions(), the negative side's confidence, the questions to use, their kinds)."""
    out = {}
    for kind in KINDS:
        conf, right = [], []
        for t, c1, use, kinds in parts:
            m = use & t["present1"] & (np.array(kinds) == kind)
            conf.append(c1[m])
            right.append(t["right1"][m])
        pooled = (np.concatenate(conf), np.concatenate(right))
        out[kind] = rejection_threshold([pooled], target) if len(pooled[0]) else 0.5
    return out


def score(t: dict, c0: np.ndarray, c1: np.ndarray, use: np.ndarray, tau: np.ndarray) -> dict[str, float]:
    """Answer accuracy (confident and right), false refusals and negative rejection over the questions ``use``."""
    m = use & t["present0"]
    n = int(m.sum())
    if not n:
        return {"questions": 0}
    neg = use & t["present1"]
    return {"questions": n, "answer_acc": float(((c0 >= tau) & t["right0"])[m].mean()),
            "false_refusal": float((c0 < tau)[m].mean()),
            "rejection": float(((c1 < tau) | t["right1"])[neg].mean()) if neg.any() else float("nan")}


def train(out: Path, save: Path | None, target: float = TARGET_REJECTION, model: str = "trees",
          holdout: dict[str, set[str]] | None = None, gated: bool = True, list_rule: bool = True) -> dict:
    """Cross-validate, fit on all, write ``cv-<model>.json``/``.md`` into ``out`` (features from ``out/cache``).

    Stage 1 scores candidates (``model``); stage 2 (``gated``) decides answer or refuse from the question's
    candidate scores, trained on stage 1's out-of-fold scores. Questions in ``holdout`` are left out of everything.
    """
    data = load(out / "cache")
    if not data:
        raise SystemExit(f"no features in {out}; run the features step first")
    data = {name: drop(d, (holdout or {}).get(name, set())) for name, d in data.items()}
    rng = random.Random(SEED)
    qfold: dict[str, np.ndarray] = {}
    for name, d in data.items():
        groups = sorted({m["group"] for m in d["meta"]})
        rng.shuffle(groups)
        folds = {g: i % FOLDS for i, g in enumerate(groups)}
        qfold[name] = np.array([folds[m["group"]] for m in d["meta"]])
        d["fold"] = qfold[name][d["q"]]
    kinds = {name: [kind_of(name, m) for m in d["meta"]] for name, d in data.items()}
    setw = {name: set_weight(d) for name, d in data.items()}
    # stage 1, out of fold
    oof = {name: np.zeros(len(d["y"])) for name, d in data.items()}
    for k in range(FOLDS):
        tr = {name: np.flatnonzero(d["fold"] != k) for name, d in data.items()}
        sel = fit(np.concatenate([d["x"][tr[n]] for n, d in data.items()]),
                  np.concatenate([d["y"][tr[n]] for n, d in data.items()]),
                  np.concatenate([weights(d, tr[n]) for n, d in data.items()]), model)
        for name, d in data.items():
            te = np.flatnonzero(d["fold"] == k)
            oof[name][te] = sel.probabilities(d["x"][te])
    if list_rule:  # a list question is answered only by a sentence that enumerates what it asks for
        oof = {name: np.where(unlisted(d["x"]), 0.0, oof[name]) for name, d in data.items()}
    tables = {name: questions(oof[name], d) for name, d in data.items()}
    # stage 2 and thresholds, per fold; each held-out fold judged with what its training folds chose
    conf = {name: (np.zeros(len(d["meta"])), np.zeros(len(d["meta"]))) for name, d in data.items()}
    tau_q = {name: np.zeros(len(d["meta"])) for name, d in data.items()}
    taus = []
    for k in range(FOLDS):
        train_q = {name: qfold[name] != k for name in data}
        gate = fit_gate([(tables[n], train_q[n], setw[n]) for n in data]) if gated else None
        cs = {name: confidences(tables[name], gate) for name in data}
        tau = pick_thresholds([(tables[n], cs[n][1], train_q[n], kinds[n]) for n in data], target)
        taus.append(tau)
        for name in data:
            te = qfold[name] == k
            conf[name][0][te], conf[name][1][te] = cs[name][0][te], cs[name][1][te]
            tau_q[name][te] = [tau[kd] for kd, t in zip(kinds[name], te) if t]
    table = {}
    for name, d in data.items():
        everyone = np.ones(len(d["meta"]), bool)
        table[name] = score(tables[name], *conf[name], everyone, tau_q[name])
        for key in ("lang", "source", "temporal_type"):
            for v in sorted({m.get(key) for m in d["meta"] if m.get(key)}):
                use = np.array([m.get(key) == v for m in d["meta"]])
                table[f"{name} / {v}"] = score(tables[name], *conf[name], use, tau_q[name])
    # the shipped model: stage 1 on everything, the gate on stage 1's out-of-fold scores, thresholds on all
    sel = fit(np.concatenate([d["x"] for d in data.values()]), np.concatenate([d["y"] for d in data.values()]),
              np.concatenate([weights(d, np.arange(len(d["y"]))) for d in data.values()]), model)
    everyone = {name: np.ones(len(d["meta"]), bool) for name, d in data.items()}
    gate = fit_gate([(tables[n], everyone[n], setw[n]) for n in data]) if gated else None
    final_tables = {name: questions(np.where(unlisted(d["x"]), 0.0, sel.probabilities(d["x"])) if list_rule
                                    else sel.probabilities(d["x"]), d) for name, d in data.items()}
    tau = pick_thresholds([(final_tables[n], confidences(final_tables[n], gate)[1], everyone[n], kinds[n]) for n in data], target)
    final = Selector(sel.weights, sel.bias, sel.mean, sel.scale, max(tau.values()), by_lang=tau, meta={
        "model": model, "gated": gated, "trained_on": {n: len(d["meta"]) for n, d in data.items()},
        "held_out": {n: len(g) for n, g in (holdout or {}).items()}, "target_rejection": target,
        "cv_thresholds": taus, "trained": time.strftime("%Y-%m-%d"),
        **({"tree_params": TREE_PARAMS} if model == "trees" else {}),
    }, trees=sel.trees, gate=gate, list_rule=list_rule)
    fitted = {}
    for name in data:
        t = final_tables[name]
        c0, c1 = confidences(t, gate)
        fitted[name] = score(t, c0, c1, everyone[name], np.array([tau[kd] for kd in kinds[name]]))
    result = {"model": model, "gated": gated, "list_rule": list_rule, "threshold": tau, "cv_thresholds": taus, "cv": table,
              "fitted_on_all": fitted, "held_out": final.meta["held_out"], "trained_on": final.meta["trained_on"],
              "weights": dict(zip(FEATURES, np.round(final.weights, 3).tolist())),
              "gate_weights": dict(zip(GATE_FEATURES, np.round(gate.weights, 3).tolist())) if gate else {}}
    (out / f"cv-{model}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    (out / f"cv-{model}.md").write_text(markdown(result), encoding="utf-8")
    if save:
        final.save(save)
    return result


def markdown(result: dict) -> str:
    lines = [
        f"# Answer selector ({result['model']}{', gated' if result['gated'] else ''}): cross-validated on the development halves", "",
        f"Trained on {result['trained_on']} questions; left out of training and of this table (the questions "
        f"`rag eval --suite` asks, so the suite report is a held-out run): {result['held_out'] or 'none'}.", "",
        f"{FOLDS}-fold by question (both languages of an XQuAD question in one fold). Stage 1 scores candidate "
        "sentences; stage 2 (the gate, when gated) decides answer or refuse from the question's candidate scores, "
        "trained on stage 1's out-of-fold scores. Each held-out fold is judged "
        "with the thresholds chosen on its training folds (one per kind of question: Chinese, English, English over "
        "Chinese text; negative rejection >= the target over that kind's questions of all sets pooled). "
        "answer acc: the best candidate sentence passes the threshold and contains a gold answer; rejection: the same "
        "question over its top passages outside the gold documents is refused, or still right."
        + (" List rule: a list question is answered only by a sentence that enumerates what it asks for." if result["list_rule"] else ""), "",
        "| set | questions | answer acc | false refusal | rejection |", "|---|---|---|---|---|",
    ]
    for name, r in result["cv"].items():
        if r.get("questions"):
            lines.append(f"| {name} | {r['questions']} | {r['answer_acc']:.3f} | {r['false_refusal']:.3f} | {r['rejection']:.3f} |")
    lines += ["", f"Final thresholds by question language (all dev data): {result['threshold']}; per fold: "
              + "; ".join(", ".join(f"{k} {v:.3f}" for k, v in t.items()) for t in result["cv_thresholds"]),
              "", "Fitted on all (optimistic):", ""]
    lines += [f"- {n}: {r}" for n, r in result["fitted_on_all"].items()]
    if result["model"] == "logistic":
        lines += ["", "Weights (standardised features):", ""] + [f"- {k}: {v}" for k, v in result["weights"].items()]
    if result["gate_weights"]:
        lines += ["", "Gate weights (standardised features):", ""] + [f"- {k}: {v}" for k, v in result["gate_weights"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("step", choices=["features", "train"])
    p.add_argument("--suite", type=Path, default=Path("../shared/evalsets"))
    p.add_argument("--out", type=Path, default=Path("eval/reports/select"))
    p.add_argument("--sets", default=",".join(SETS))
    p.add_argument("--save", type=Path)
    p.add_argument("--model", choices=["trees", "logistic"], default="trees")
    p.add_argument("--no-list-rule", action="store_true", help="list questions may be answered by any sentence")
    p.add_argument("--no-gate", action="store_true", help="the best candidate's probability decides (no stage 2)")
    p.add_argument("--hold-out", type=int, default=60, metavar="N",
                   help="leave out the questions `rag eval --suite --per-set N` asks (0: none)")
    p.add_argument("--target", type=float, default=TARGET_REJECTION, help="negative rejection the thresholds keep")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.step == "features":
        features(args.suite, args.out / "cache", {n: SETS.get(n) for n in args.sets.split(",")})
    else:
        holdout = held_out(args.suite, args.hold_out) if args.hold_out else None
        print(markdown(train(args.out, args.save, args.target, args.model, holdout, not args.no_gate, not args.no_list_rule)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
