"""Learned answer selection: candidate sentences, their features, and a logistic model (numpy only) that scores them.

The model's weights and its answer/refuse threshold are trained by ``eval/train_select.py`` on the development
halves of the public evaluation sets and shipped as JSON (``rag/data/select.json``); no pickle is ever read.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from .chunk import sentences
from .cite import grams
from .evidence import Evidence
from .query import CJK, Query
from .short import framed_gap, short_answer
from .types import Hit

Embed = Callable[[list[str], list[str]], tuple[np.ndarray, np.ndarray]]  # (queries, sentences) -> their vectors
CANDIDATES = 12  # candidate sentences scored per question, by a cheap lexical pre-score
EMBED_LIMIT = 8  # the best of them embedded for the question-sentence similarity (~10 ms each on 2 cores)
EMBED_CHARS = 100  # a candidate is embedded by its first characters only (latency grows with length)
MIN_CHARS = 6

FEATURES = (
    "own", "near", "context", "title", "own_rel", "near_rel",
    "sim", "sim_rel", "sim_en", "own_en",
    "rank_inv", "score_rel", "dense", "bm25",
    "typed", "fits_typed", "untyped", "required", "list_q", "enumerates",
    "position", "first", "log_len", "novel", "has_digit", "en", "embedded", "cross",
    "cloze_both", "cloze_one", "short", "support",
)


@dataclass(frozen=True)
class Candidate:
    """A sentence of passage ``n`` (1-based), as a span of the passage text."""

    n: int
    start: int
    end: int

    def text(self, passages: list[Hit]) -> str:
        return passages[self.n - 1].chunk.text[self.start : self.end]


def with_title(sentence: str, hit: Hit) -> str:
    """A sentence read with its article title, so 'the meeting' can match the title's words."""
    return f"{hit.chunk.title or ''} {sentence}"


def window(text: str, spans: list[tuple[int, int]], i: int) -> str:
    """Sentence ``i`` of ``text`` with its neighbours on each side."""
    return text[spans[max(i - 1, 0)][0] : spans[min(i + 1, len(spans) - 1)][1]]


def year_ok(years: tuple[int, ...], doc: tuple[str | None, list[int]]) -> bool:
    """The article was published in, or mentions, a year the question asks about. An undated one is excluded only
    where it names a year after those asked and none of them (a later report: '2023年世界环境日…' for 2022's); the
    years an undated article names may be a birth year or '2019年以来', so they do not date it otherwise."""
    date, mentioned = doc
    if not years:
        return True
    if not date:
        return bool(set(years) & set(mentioned)) or not any(y > max(years) for y in mentioned)
    return bool(set(years) & ({int(date[:4])} | set(mentioned)))


def featurize(
    evidence: Evidence,
    query: Query,
    passages: list[Hit],
    doc_years: dict[str, tuple[str | None, list[int]]],
    embed: Embed | None = None,
    limit: int = EMBED_LIMIT,
) -> tuple[list[Candidate], np.ndarray]:
    """The candidate sentences of ``passages`` and their feature matrix (rows follow ``FEATURES``)."""
    terms = evidence.terms(query, [with_title(h.chunk.text, h) for h in passages])
    required = evidence.required(query)
    nouns = evidence.list_nouns(query)
    qgrams = grams(query.keyword_text)
    top_score = max((h.score for h in passages), default=1.0) or 1.0
    rows: list[tuple[Candidate, str, dict[str, float]]] = []
    seen: set[str] = set()
    for n, hit in enumerate(passages, 1):
        text = hit.chunk.text
        dated = evidence.in_range(query, hit)
        context = evidence.coverage(terms, with_title(text, hit), dated)
        title = evidence.coverage(terms, hit.chunk.title or "")
        spans = sentences(text)
        for i, (s, e) in enumerate(spans):
            sent = text[s:e]
            if sent in seen or len(sent) < MIN_CHARS:
                continue
            seen.add(sent)
            low = with_title(sent, hit).lower()
            around = window(text, spans, i)
            g = grams(sent)
            f = {
                "own": evidence.coverage(terms, with_title(sent, hit), dated),
                "near": evidence.coverage(terms, with_title(around, hit), dated),
                "context": context,
                "title": title,
                "rank_inv": 1.0 / n,
                "score_rel": hit.score / top_score,
                "dense": float(any(b.startswith("dense") for b in hit.found_by)),
                "bm25": float("bm25" in hit.found_by),
                "typed": float(query.answer_type is not None),
                "fits_typed": float(query.answer_type is not None and evidence.fits(query, sent)),
                "untyped": float(query.answer_type is None),
                "required": sum(any(a in low for a in alts) for alts in required) / len(required) if required else 1.0,
                "list_q": float(query.is_list),
                "enumerates": float(bool(nouns) and evidence.enumerates(nouns, sent)),
                "position": i / max(len(spans) - 1, 1),
                "first": float(i == 0 and hit.chunk.start == 0),
                "log_len": math.log(len(sent)),
                "novel": len(g - qgrams) / len(g) if g else 0.0,
                "has_digit": float(bool(re.search(r"\d", sent))),
                "en": float(query.lang == "en"),
                "cross": float(query.lang == "en" and bool(CJK.search(sent))),  # an English question, a Chinese quote
                **_cloze_features(query, sent),
            }
            rows.append((Candidate(n, s, e), sent, f))
    if not rows:
        return [], np.zeros((0, len(FEATURES)), dtype=np.float32)
    rows.sort(key=lambda r: r[2]["near"] + r[2]["own"] + 0.3 * r[2]["rank_inv"] + 0.2 * r[2]["fits_typed"], reverse=True)
    rows = rows[:CANDIDATES]
    docs = [(h.chunk.doc_id, h.chunk.text) for h in passages]
    for c, sent, f in rows:
        answer = short_answer(query, sent)
        f["short"] = float(answer is not None)
        # other articles among the passages that say the same short answer (a fact reported twice is likelier)
        f["support"] = min(len({d for d, t in docs if answer and len(answer) > 1 and d != docs[c.n - 1][0] and answer in t}), 3) / 3
    if query.lang == "en":
        limit = max(limit, CANDIDATES)  # no lexical match to go on: every candidate gets the cross-lingual similarity
    sims = _similarities(query, [sent[:EMBED_CHARS] for _, sent, _ in rows[:limit]], embed)
    floor = float(sims.min()) if len(sims) else 0.0  # a sentence not embedded counts as the least similar
    sims = np.concatenate([sims, np.full(len(rows) - len(sims), floor, dtype=np.float32)])
    best_own = max(r[2]["own"] for r in rows)
    best_near = max(r[2]["near"] for r in rows)
    best_sim = float(sims.max())
    for i, ((_, _, f), sim) in enumerate(zip(rows, sims.tolist())):
        f |= {
            "embedded": float(i < limit),
            "own_rel": f["own"] - best_own,
            "near_rel": f["near"] - best_near,
            "sim": sim,
            "sim_rel": sim - best_sim,
            "sim_en": sim * f["en"],
            "own_en": f["own"] * f["en"],
        }
    x = np.array([[f[name] for name in FEATURES] for _, _, f in rows], dtype=np.float32)
    return [c for c, _, _ in rows], x


def _cloze_features(query: Query, sent: str) -> dict[str, float]:
    """Whether the question's words on both sides of its question word (or one side) frame a gap in the sentence."""
    both, one = framed_gap(query.text, sent) if query.lang == "zh" else (False, False)
    return {"cloze_both": float(both), "cloze_one": float(one)}


def _similarities(query: Query, texts: list[str], embed: Embed | None) -> np.ndarray:
    if embed is None or not texts:
        return np.zeros(len(texts), dtype=np.float32)
    q, s = embed([query.text], texts)
    return (s @ q[0]).astype(np.float32)


CLIP = 3.0  # standardised features are clipped: a feature rare in training must not swamp the others


def standardise(x: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return np.clip((x - mean) / scale, -CLIP, CLIP)


@dataclass(frozen=True)
class Trees:
    """A boosted tree ensemble over raw ``FEATURES`` (trained with scikit-learn, kept as plain arrays).

    Each tree is ``(feature, threshold, left, right, leaf, value, missing_left)``: node 0 is the root; a row goes
    left when its feature is <= the threshold (or missing and ``missing_left``).
    """

    baseline: float
    trees: tuple[tuple[np.ndarray, ...], ...]

    def scores(self, x: np.ndarray) -> np.ndarray:
        out = np.full(len(x), self.baseline, dtype=np.float64)
        rows = np.arange(len(x))
        for feature, threshold, left, right, leaf, value, missing_left in self.trees:
            node = np.zeros(len(x), dtype=np.int64)
            while not leaf[node].all():
                v = x[rows, feature[node]]
                go_left = np.where(np.isnan(v), missing_left[node], v <= threshold[node])
                node = np.where(leaf[node], node, np.where(go_left, left[node], right[node]))
            out += value[node]
        return out

    def to_dict(self) -> dict:
        names = ("feature", "threshold", "left", "right", "leaf", "value", "missing_left")
        return {"baseline": self.baseline, "trees": [{k: a.tolist() for k, a in zip(names, t)} for t in self.trees]}

    @classmethod
    def from_dict(cls, d: dict) -> Trees:
        kinds = (("feature", np.int64), ("threshold", np.float64), ("left", np.int64), ("right", np.int64),
                 ("leaf", bool), ("value", np.float64), ("missing_left", bool))
        return cls(float(d["baseline"]), tuple(tuple(np.asarray(t[k], dtype=dt) for k, dt in kinds) for t in d["trees"]))


def unlisted(x: np.ndarray) -> np.ndarray:
    """Candidates of a list question that do not enumerate what it asks for ('南京、南通…等6个城市')."""
    return (x[:, FEATURES.index("list_q")] > 0) & (x[:, FEATURES.index("enumerates")] < 1)


GATE_FEATURES = (
    "p1", "p2", "margin", "frac_half", "n_cands",
    "own", "near", "sim", "sim_rel2", "fits_typed", "typed", "support", "cloze_both", "short", "en", "cross",
)


def gate_features(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    """What the answer/refuse decision sees of one question's candidates: their scores ``p`` (best, second, margin,
    how many are likely) and the best candidate's own features."""
    order = np.argsort(-p, kind="stable")
    best = x[order[0]]
    col = {name: best[FEATURES.index(name)] for name in GATE_FEATURES if name in FEATURES}
    p1, p2 = float(p[order[0]]), float(p[order[1]]) if len(p) > 1 else 0.0
    sims = x[:, FEATURES.index("sim")]
    col |= {"p1": p1, "p2": p2, "margin": p1 - p2, "frac_half": float((p >= 0.5).mean()), "n_cands": len(p) / CANDIDATES,
            "sim_rel2": float(best[FEATURES.index("sim")] - np.sort(sims)[-2]) if len(p) > 1 else 0.0}
    return np.array([col[name] for name in GATE_FEATURES], dtype=np.float64)


@dataclass(frozen=True)
class Gate:
    """The answer/refuse decision: a logistic model over ``gate_features`` of a question's candidates."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray

    def probability(self, features: np.ndarray) -> np.ndarray:
        z = standardise(np.atleast_2d(features), self.mean, self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def to_dict(self) -> dict:
        return {"features": list(GATE_FEATURES), "weights": self.weights.tolist(), "bias": self.bias,
                "mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_dict(cls, d: dict) -> Gate:
        if list(d.get("features", ())) != list(GATE_FEATURES):
            raise ValueError("the selector's gate was trained on other features; retrain it (eval/train_select.py)")
        arr = lambda k: np.asarray(d[k], dtype=np.float64)  # noqa: E731
        return cls(arr("weights"), float(d["bias"]), arr("mean"), arr("scale"))


@dataclass(frozen=True)
class Selector:
    """Scores candidates: a logistic model over standardised ``FEATURES`` (or, with ``trees``, a boosted tree
    ensemble); a candidate answers when its probability >= the threshold for its kind of question."""

    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    threshold: float
    second_ratio: float = 0.7
    meta: dict | None = None
    by_lang: dict[str, float] | None = None  # a threshold per kind of question ('zh', 'en', 'en-zh'), else ``threshold``
    trees: Trees | None = None
    gate: Gate | None = None  # the answer/refuse decision; without one, the best candidate's probability decides
    list_rule: bool = False  # a list question is answered only by sentences that enumerate what it asks for

    def __post_init__(self) -> None:
        for t in (self.threshold, *(self.by_lang or {}).values()):
            if not 0 < t < 1:
                raise ValueError(f"threshold must be in (0, 1), got {t}")
        if not len(self.weights) == len(self.mean) == len(self.scale) == len(FEATURES):
            raise ValueError(f"the model has {len(self.weights)} weights for {len(FEATURES)} features")

    def threshold_for(self, kind: str) -> float:
        """The threshold for 'zh', 'en' or 'en-zh' (an English question answered from Chinese text)."""
        return (self.by_lang or {}).get(kind, self.threshold)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = self.trees.scores(x) if self.trees else standardise(x, self.mean, self.scale) @ self.weights + self.bias
        p = 1.0 / (1.0 + np.exp(-z))
        return np.where(unlisted(x), 0.0, p) if self.list_rule else p

    def confidence(self, p: np.ndarray, x: np.ndarray) -> float:
        """How likely the best candidate answers the question: the gate's probability, else its own."""
        return float(self.gate.probability(gate_features(p, x))[0]) if self.gate else float(p.max())

    def to_dict(self) -> dict:
        return {
            "features": list(FEATURES), "weights": self.weights.tolist(), "bias": self.bias, "mean": self.mean.tolist(),
            "scale": self.scale.tolist(), "threshold": self.threshold, "by_lang": self.by_lang or {},
            "second_ratio": self.second_ratio,
            "meta": self.meta or {},
            **({"trees": self.trees.to_dict()} if self.trees else {}),
            **({"gate": self.gate.to_dict()} if self.gate else {}),
            "list_rule": self.list_rule,
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def from_dict(cls, d: dict) -> Selector:
        if list(d.get("features", ())) != list(FEATURES):
            raise ValueError("the selector model was trained on other features; retrain it (eval/train_select.py)")
        arr = lambda k: np.asarray(d[k], dtype=np.float64)  # noqa: E731
        return cls(arr("weights"), float(d["bias"]), arr("mean"), arr("scale"), float(d["threshold"]),
                   float(d.get("second_ratio", 0.7)), d.get("meta"), {k: float(v) for k, v in (d.get("by_lang") or {}).items()},
                   Trees.from_dict(d["trees"]) if d.get("trees") else None, Gate.from_dict(d["gate"]) if d.get("gate") else None,
                   bool(d.get("list_rule", False)))

    @classmethod
    def load(cls, path: Path) -> Selector:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


@cache
def default_selector() -> Selector:
    """The shipped model (``rag/data/select.json``)."""
    return Selector.from_dict(json.loads((resources.files("rag") / "data" / "select.json").read_text(encoding="utf-8")))


def is_chinese(text: str) -> bool:
    return bool(CJK.search(text))
