"""Citation checks: every [n] must point to a passage that supports the sentence it ends."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .chunk import sentences
from .query import CJK
from .types import Citation, Hit

logger = logging.getLogger(__name__)

_MARK = re.compile(r"\[(\d{1,2})\]")
_MARK_AFTER_PUNCT = re.compile(r"([。！？!?；;.]+)((?:\s*\[\d{1,2}\])+)")

Similarity = Callable[[list[str], list[str]], np.ndarray]  # pairwise cosine of claims vs passages


@dataclass
class Checked:
    """An answer after citation checks: text with verified, renumbered [n], and what was dropped."""

    text: str
    citations: list[Citation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    uncited: int = 0


def grams(text: str) -> set[str]:
    """CJK character bigrams plus lower-cased latin words and numbers."""
    cjk = "".join(CJK.findall(text))
    out = {cjk[i : i + 2] for i in range(len(cjk) - 1)}
    return out | {w.lower() for w in re.findall(r"[A-Za-z]{2,}|\d+", text)}


def overlap(claim: str, passage: str) -> float:
    """Share of the claim's bigrams/words that occur in the passage (0..1)."""
    g = grams(claim)
    return len(g & grams(passage)) / len(g) if g else 0.0


_SHORT = re.compile(r"^(?:答|Answer)[:：]\s*(.+)$")


def supported_short(claim: str, passage: str) -> float | None:
    """A short answer line ('答：南京、南通', 'Answer: Nanjing (南京)'): 1.0 when every Chinese piece of it (or, with
    none, every number) is in the passage, else 0.0; ``None`` for any other sentence."""
    m = _SHORT.match(claim)
    if not m:
        return None
    body = m.group(1)
    flat = re.sub(r"\s+", "", passage)
    pieces = re.findall(r"[\u3400-\u9fff·\d.%％]+", body) if CJK.search(body) else re.findall(r"\d[\d,.]*", body)
    pieces = [re.sub(r"\s+", "", p) for p in pieces if p.strip(".")]
    return float(bool(pieces) and all(p in flat for p in pieces))


_FIGURE = re.compile(r"\d+(?:[.,]\d+)*")


def _figures(text: str) -> set[str]:
    """The numbers written in ``text``, thousands separators dropped ('1,260' -> '1260')."""
    return {m.group(0).replace(",", "").rstrip(".") for m in _FIGURE.finditer(_MARK.sub("", text))}


def unstated_figures(answer: str, passages: list[str], question: str = "") -> list[str]:
    """Numbers in a generated answer that neither its passages nor the question state as a whole number: '4' for
    a passage's '4.8%' is an invented figure, not a rounding."""
    known = _figures(question)
    for text in passages:
        known |= _figures(text)
    return sorted(f for f in _figures(answer) if f not in known)


def claims(text: str) -> list[tuple[str, list[int], tuple[int, int]]]:
    """(claim without markers, cited numbers, span in the normalised text) for each sentence of ``text``."""
    out = []
    for s, e in sentences(text):
        sent = text[s:e]
        out.append((_MARK.sub("", sent).strip(), [int(m) for m in _MARK.findall(sent)], (s, e)))
    return out


def normalise_marks(text: str) -> str:
    """Move markers that follow sentence punctuation in front of it: '城市。[1]' -> '城市[1]。'."""
    return _MARK_AFTER_PUNCT.sub(lambda m: re.sub(r"\s+", "", m.group(2)) + m.group(1), text)


def check(
    text: str,
    passages: list[Hit],
    similarity: Similarity | None = None,
    min_overlap: float = 0.5,
    min_similarity: float = 0.9,
) -> Checked:
    """Keep each [n] whose passage supports its sentence (bigram overlap, else embedding similarity).

    Thresholds measured on the seeds (258 sentence/passage pairs): a sentence's bigram overlap with its
    own passage is 1.0, with a passage of another article at most 0.45 (p99 0.38), hence 0.5. e5
    similarity separates far less on one-topic news (own passage p5 0.88, another article's p95 0.91),
    so it only rescues paraphrases above 0.9.
    """
    text = normalise_marks(text)
    parsed = claims(text)
    pending = [(claim, n) for claim, ns, _ in parsed for n in ns if 1 <= n <= len(passages)]
    sims = _similarities(pending, passages, similarity, min_overlap)
    warnings: list[str] = []
    renumber: dict[int, int] = {}
    quotes: dict[int, list[tuple[int, int]]] = {}
    pieces: list[str] = []
    uncited = 0
    cursor = 0
    for claim, ns, (s, e) in parsed:
        kept = []
        for n in dict.fromkeys(ns):
            if not 1 <= n <= len(passages):
                warnings.append(f"removed citation [{n}]: there is no passage {n}")
                continue
            score = supported_short(claim, passages[n - 1].chunk.text)
            if score is None:
                score = overlap(claim, passages[n - 1].chunk.text)
            if score < min_overlap and sims.get((claim, n), 0.0) < min_similarity:
                warnings.append(f"removed citation [{n}]: passage {n} does not support “{claim[:40]}”")
                continue
            renumber.setdefault(n, len(renumber) + 1)
            quotes.setdefault(n, []).append(_quote(claim, passages[n - 1]))
            kept.append(renumber[n])
        if not kept and len(claim) > 8 and not claim.endswith((":", "：")):
            uncited += 1
        sent = _MARK.sub("", text[s:e])
        body, punct = _split_punct(sent)
        pieces.append(text[cursor:s] + body + "".join(f"[{k}]" for k in kept) + punct)
        cursor = e
    pieces.append(text[cursor:])
    citations = [_citation(new, passages[old - 1], quotes[old]) for old, new in renumber.items()]
    return Checked("".join(pieces).strip(), citations, warnings, uncited)


def _similarities(
    pending: list[tuple[str, int]], passages: list[Hit], similarity: Similarity | None, min_overlap: float
) -> dict[tuple[str, int], float]:
    """Embedding similarity for the (claim, passage) pairs that lexical overlap alone does not support."""
    todo = [(c, n) for c, n in pending if not _SHORT.match(c) and overlap(c, passages[n - 1].chunk.text) < min_overlap]
    if not todo or similarity is None:
        return {}
    scores = similarity([c for c, _ in todo], [passages[n - 1].chunk.text for _, n in todo])
    return {pair: float(s) for pair, s in zip(todo, scores)}


def _split_punct(sentence: str) -> tuple[str, str]:
    m = re.search(r"[。！？!?；;.”’」』）)】》\"']*$", sentence)
    return (sentence[: m.start()], sentence[m.start() :]) if m else (sentence, "")


def _quote(claim: str, hit: Hit) -> tuple[int, int]:
    """The passage sentence that best matches the claim, as a span in the article."""
    text = hit.chunk.text
    spans = sentences(text) or [(0, len(text))]
    s, e = max(spans, key=lambda sp: overlap(claim, text[sp[0] : sp[1]]) + overlap(text[sp[0] : sp[1]], claim))
    return hit.chunk.start + s, hit.chunk.start + e


def _citation(n: int, hit: Hit, quotes: list[tuple[int, int]]) -> Citation:
    c = hit.chunk
    return Citation(
        n=n,
        doc_id=c.doc_id,
        chunk_id=c.chunk_id,
        title=c.title,
        date=c.date,
        source=c.source,
        text=c.text,
        start=c.start,
        end=c.end,
        score=round(hit.score, 6),
        quote_start=min(q[0] for q in quotes),
        quote_end=max(q[1] for q in quotes),
        also=hit.also,
    )


def see_also(passages: list[Hit], limit: int = 3) -> list[Citation]:
    """The closest passages, offered with a refusal."""
    return [_citation(n, h, [(h.chunk.start, h.chunk.end)]) for n, h in enumerate(passages[:limit], 1)]
