"""Evaluation metrics as pure functions; ``None`` means "not defined for this question" and is left out of means."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

KS = (1, 3, 5, 10)
_MARK = re.compile(r"\[\d{1,2}\]")
_TOKEN = re.compile(r"[\u3400-\u9fff]|[^\W_\u3400-\u9fff]+")

Parts = Sequence[Sequence[str]]


def unique_docs(doc_ids: Iterable[str], limit: int | None = None) -> list[str]:
    """Chunk hits' document ids deduplicated in rank order (the first ``limit``)."""
    out = list(dict.fromkeys(doc_ids))
    return out[:limit] if limit is not None else out


def hit_at(ranked: Sequence[str], gold: Iterable[str] | None, k: int) -> float | None:
    """1.0 when a gold document is among the first ``k`` ranked documents."""
    if not gold:
        return None
    return float(bool(set(ranked[:k]) & set(gold)))


def recall_at(ranked: Sequence[str], gold: Iterable[str] | None, k: int) -> float | None:
    """Share of the gold documents among the first ``k`` ranked documents."""
    if not gold:
        return None
    wanted = set(gold)
    return len(set(ranked[:k]) & wanted) / len(wanted)


def reciprocal_rank(ranked: Sequence[str], gold: Iterable[str] | None) -> float | None:
    """1/rank of the first gold document, 0.0 when none was retrieved."""
    if not gold:
        return None
    wanted = set(gold)
    return next((1.0 / i for i, d in enumerate(ranked, 1) if d in wanted), 0.0)


def ndcg_at(ranked: Sequence[str], gold: Iterable[str] | None, k: int = 10) -> float | None:
    """Binary-relevance nDCG over the first ``k`` ranked documents."""
    if not gold:
        return None
    wanted = set(gold)
    dcg = sum(1.0 / math.log2(i + 1) for i, d in enumerate(ranked[:k], 1) if d in wanted)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(wanted), k) + 1))
    return dcg / ideal


def strip_marks(text: str) -> str:
    """The answer without its citation markers ``[n]``."""
    return _MARK.sub("", text)


def fold(text: str) -> str:
    """``text`` for matching: lower case, accents and width dropped ('Chloé' matches 'Chloe', '１０' matches '10')."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def is_correct(answer: str, parts: Parts | None = None, answers: Sequence[str] | None = None) -> bool | None:
    """Every part has an alternative inside the answer (``fold``-ed); without parts, any of ``answers`` is."""
    text = fold(strip_marks(answer))
    if parts:
        return all(any(fold(a) in text for a in alts) for alts in parts)
    if answers:
        return any(fold(a) in text for a in answers)
    return None


_SHORT = re.compile(r"^(?:答|Answer)[:：]\s*(.+)$")


def short_answer(answer: str) -> str | None:
    """The short answer line that leads an answer ('答：南京、南通' / 'Answer: Nanjing (南京)'), without markers."""
    first = answer.strip().split("\n", 1)[0]
    found = _SHORT.match(first)
    return strip_marks(found.group(1)).strip() if found else None


def reference(parts: Parts | None = None, answers: Sequence[str] | None = None) -> str | None:
    """The answer F1 compares against: the first of ``answers``, else the first alternative of each part."""
    if answers:
        return answers[0]
    if parts:
        return " ".join(alts[0] for alts in parts)
    return None


def tokens(text: str) -> list[str]:
    """Lower-cased tokens: each CJK character alone, other letters and digits as words; punctuation dropped."""
    return _TOKEN.findall(strip_marks(text).lower())


def f1(prediction: str, truth: str | None) -> float | None:
    """Bag-of-tokens F1: character-level for Chinese, word-level for English (SQuAD style)."""
    if truth is None:
        return None
    pred, gold = Counter(tokens(prediction)), Counter(tokens(truth))
    common = sum((pred & gold).values())
    if not common:
        return 0.0
    precision, recall = common / sum(pred.values()), common / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


def citation_precision(
    cited: Sequence[tuple[str, str]],
    gold: Iterable[str] | None,
    parts: Parts | None = None,
    answers: Sequence[str] | None = None,
) -> float | None:
    """Share of cited passages ``(doc_id, text)`` from a gold document or containing an answer string."""
    wanted = set(gold or ())
    strings = [fold(a) for alts in parts or () for a in alts] + [fold(a) for a in answers or ()]
    if not cited or not (wanted or strings):
        return None
    good = sum(1 for doc, text in cited if doc in wanted or any(s in fold(text) for s in strings))
    return good / len(cited)


def citation_recall(cited_docs: Iterable[str], gold: Iterable[str] | None) -> float | None:
    """1.0 when the answer cites at least one gold document (``None`` without citations or gold documents)."""
    docs = set(cited_docs)
    if not docs or not gold:
        return None
    return float(bool(docs & set(gold)))


def mean(values: Iterable[float | bool | None]) -> float | None:
    """Mean of the defined values; ``None`` when there are none."""
    xs = [float(v) for v in values if v is not None]
    return sum(xs) / len(xs) if xs else None


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) by linear interpolation; ``None`` for no values."""
    xs = sorted(values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
