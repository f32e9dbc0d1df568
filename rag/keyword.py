"""Keyword search: BM25 (bm25s) over jieba words, English stems and CJK character bigrams, built at ingest and saved."""

from __future__ import annotations

import logging
import math
import os
import re
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

TOKENIZER_ID = "jieba-search+en-stems+cjk-bigrams/2"
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_WORD = re.compile(r"[\w\u3400-\u9fff]")
_LATIN = re.compile(r"[a-z]+")
_STOP = frozenset(
    "的 了 在 是 和 与 及 或 也 都 就 而 并 对 为 于 以 将 把 被 从 等 之 其 这 那 有 个 "
    "a an the of to in on for and or is are was were be by with what which who when where how did do does".split()
)


def cache_dir() -> Path:
    """Where jieba keeps its dictionary cache (never /tmp): ``RAG_CACHE_DIR`` or ``~/.cache/rag``."""
    return Path(os.environ.get("RAG_CACHE_DIR") or Path.home() / ".cache" / "rag")


@cache
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    path = cache_dir()
    path.mkdir(parents=True, exist_ok=True)
    jieba.dt.tmp_dir = str(path)
    jieba.dt.cache_file = "jieba.cache"
    jieba.initialize()
    return jieba


@cache
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """jieba search-mode words, lower-cased, without stop words, punctuation and lone letters.

    An English word is followed by its Snowball stem when that differs ("released" -> "released",
    "releas"), so other forms of the word match too while the exact form still scores higher.
    """
    out = []
    for w in (w.lower().replace(" ", "") for w in _jieba().lcut_for_search(text) if _WORD.search(w)):
        if w in _STOP or (len(w) == 1 and "a" <= w <= "z"):
            continue
        out.append(w)
        if _LATIN.fullmatch(w) and (stem := _stemmer().stemWord(w)) != w:
            out.append(stem)
    return out


def tokenize(text: str) -> list[str]:
    """jieba search-mode words plus CJK character bigrams."""
    tokens = words(text)
    for run in _CJK_RUN.findall(text):
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


def chunk_tokens(title: str | None, text: str) -> list[str]:
    """What keyword search indexes for a chunk: its article's title and its text."""
    return tokenize(f"{title or ''} {text}")


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech flag) pairs by jieba's tagger: nr person, ns place, nt organisation, ..."""
    _jieba()
    import jieba.posseg

    return [(w, flag) for w, flag in jieba.posseg.lcut(text)]


def dictionary_count(word: str) -> int:
    """How often jieba's dictionary has seen ``word`` (0 for a word it does not hold): common words are in the
    thousands, names and trade words in the tens."""
    return int(_jieba().dt.FREQ.get(word) or 0)


class _Vocab(dict):
    """token -> id, numbering unseen tokens in order of first appearance."""

    def __missing__(self, token: str) -> int:
        self[token] = i = len(self)
        return i


class KeywordIndex:
    """A BM25 index over token lists; row ``i`` is chunk row ``i``."""

    def __init__(self, bm25: Any, size: int) -> None:
        self._bm25 = bm25
        self.size = size

    @classmethod
    def build(cls, token_lists: Iterable[list[str]]) -> KeywordIndex:
        """Index ``token_lists`` (any iterable, consumed once; row ``i`` is its ``i``-th list).

        Same scores as ``bm25s.BM25().index(lists)`` (Lucene BM25, k1=1.5, b=0.75, float32), but built
        in one streaming pass into flat id/count arrays: memory grows with the number of distinct
        (chunk, token) pairs, not with Python lists of every token (1M chunks would not fit otherwise).
        """
        import bm25s

        vocab = _Vocab()
        parts = {"cols": array("i"), "tfs": array("i"), "lengths": array("q"), "widths": array("q")}
        cols, tfs, lengths, widths = parts.values()
        for tokens in token_lists:
            tokens = tokens or ["\u0000"]
            counts = Counter(tokens)
            cols.extend(map(vocab.__getitem__, counts))  # C loop; new tokens get the next id
            tfs.extend(counts.values())
            lengths.append(len(tokens))
            widths.append(len(counts))
        n_docs = len(lengths)
        del cols, tfs, lengths, widths  # _bm25_matrix frees each part once used
        bm25 = bm25s.BM25()
        if n_docs:
            bm25.scores = _bm25_matrix(parts, len(vocab), bm25.k1, bm25.b)
            vocab.setdefault("", len(vocab))  # bm25s's "empty token" (no column), kept for an identical vocabulary
            bm25.vocab_dict = dict(vocab)
            bm25.unique_token_ids_set = set(vocab.values())
            bm25.nonoccurrence_array = None
        return cls(bm25, n_docs)

    @property
    def vocab(self) -> dict[str, int]:
        """The indexed tokens (supports ``in``)."""
        return getattr(self._bm25, "vocab_dict", None) or {}

    def df(self, token: str) -> int:
        """How many chunks contain ``token`` (the nnz of its column in bm25s's CSC score matrix)."""
        i = self.vocab.get(token) if self.size else None
        if i is None:
            return 0
        indptr = self._bm25.scores["indptr"]
        return int(indptr[i + 1] - indptr[i])

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        if self.size:
            self._bm25.save(str(path), show_progress=False)

    @classmethod
    def load(cls, path: Path, size: int) -> KeywordIndex:
        import bm25s

        bm25 = bm25s.BM25.load(str(path), show_progress=False, mmap=True) if size else bm25s.BM25()
        return cls(bm25, size)

    def weighted_scores(self, weights: list[tuple[str, float]]) -> np.ndarray:
        """Per row: the sum over (token, weight) of weight times the token's stored BM25 score."""
        sc = self._bm25.scores
        out = np.zeros(self.size, np.float32)
        for token, w in weights:
            i = self.vocab.get(token)
            if i is None:
                continue
            a, b = int(sc["indptr"][i]), int(sc["indptr"][i + 1])
            out[sc["indices"][a:b]] += sc["data"][a:b] * np.float32(w)  # a column has each row once
        return out

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and rows of the best ``k`` chunks that share at least one token with ``query``.

        Scores come from bm25s (``get_scores``: the same sums as ``retrieve``); the top ``k`` is picked
        among the chunks that scored at all, best first, ties by row. bm25s's own top-k runs
        ``np.argpartition`` over every chunk, mostly zeros, which numpy 2.x does pathologically slowly
        (about 250 ms at 1M chunks against 1 ms on the non-zero part, bench/README.md).
        """
        tokens = [t for t in tokenize(query) if t in self.vocab] if self.size else []
        if not tokens:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = self._bm25.get_scores(tokens)
        rows = np.flatnonzero(scores > 0)
        if len(rows) > k:
            rows = rows[np.argpartition(scores[rows], len(rows) - k)[len(rows) - k :]]
        order = np.lexsort((rows, -scores[rows]))
        rows = rows[order]
        return scores[rows].astype(np.float32), rows.astype(np.int64)


def idf(df: int, n: int) -> float:
    """Lucene BM25 idf as bm25s computes it (rounded to float32)."""
    return float(np.float32(math.log(1 + (n - df + 0.5) / (df + 0.5)))) if df else 0.0


class SegmentedKeyword:
    """BM25 over several ``KeywordIndex`` segments, scored as one index (Lucene's segments).

    A segment's stored scores carry its own idf; here each query token's column is rescaled by
    ``idf(global df, global N) / idf(segment df, segment N)``, so a small delta segment scores like
    the same chunks inside one big index (only the length normalisation stays per segment).
    Tombstoned rows (``dead``) count in the statistics until compaction, as in Lucene, but never match.
    With one segment and no tombstones, search is exactly ``KeywordIndex.search``.
    """

    def __init__(self, parts: list[KeywordIndex], dead: list[np.ndarray]) -> None:
        self.parts = parts
        self.dead = dead
        self.size = sum(p.size for p in parts)
        self.vocab: Collection[str] = parts[0].vocab if len(parts) == 1 else _UnionVocab([p.vocab for p in parts])

    def df(self, token: str) -> int:
        return sum(p.df(token) for p in self.parts)

    def search(self, query: str, k: int) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """Per segment that matched: (segment number, scores, rows), jointly the best ``k``."""
        if len(self.parts) == 1 and not len(self.dead[0]):
            scores, rows = self.parts[0].search(query, k)
            return [(0, scores, rows)] if len(rows) else []
        tokens = [t for t in tokenize(query) if t in self.vocab]
        found = []
        for i, (part, dead) in enumerate(zip(self.parts, self.dead)):
            weights = [(t, idf(self.df(t), self.size) / w) for t in tokens if (w := idf(part.df(t), part.size))]
            if not weights:
                continue
            scores = part.weighted_scores(weights)
            scores[dead] = 0
            rows = np.flatnonzero(scores > 0)
            if len(rows) > k:
                rows = rows[np.argpartition(scores[rows], len(rows) - k)[len(rows) - k :]]
            found += [(float(scores[r]), i, int(r)) for r in rows]
        found.sort(key=lambda x: (-x[0], x[1], x[2]))
        by_part: dict[int, list[tuple[float, int]]] = {}
        for s, i, r in found[:k]:
            by_part.setdefault(i, []).append((s, r))
        return [
            (i, np.array([s for s, _ in got], np.float32), np.array([r for _, r in got], np.int64)) for i, got in by_part.items()
        ]


class _UnionVocab(Mapping):
    """The tokens of several vocabularies (membership and iteration; values are meaningless)."""

    def __init__(self, parts: list[dict[str, int]]) -> None:
        self._parts = parts

    def __contains__(self, token: object) -> bool:
        return any(token in p for p in self._parts)

    def __getitem__(self, token: str) -> int:
        for p in self._parts:
            if token in p:
                return p[token]
        raise KeyError(token)

    def __iter__(self) -> Iterator[str]:
        seen: set[str] = set()
        for p in self._parts:
            for t in p:
                if t not in seen:
                    seen.add(t)
                    yield t

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _bm25_matrix(parts: dict[str, array], n_vocab: int, k1: float, b: float) -> dict:
    """bm25s's CSC score matrix (docs x tokens) from per-document distinct token ids and counts.

    Bit-identical to bm25s 0.3's ``lucene`` scoring: idf = log(1 + (N - df + 0.5) / (df + 0.5)) rounded
    to float32; tfc = tf / (k1 * (1 - b + b * len / avg_len) + tf) in float64; score = float32(idf * tfc).
    ``parts`` is emptied as it goes, so peak memory is about four arrays of the non-zero count.
    """
    import scipy.sparse as sp

    length = np.frombuffer(parts.pop("lengths"), dtype=np.int64)
    width = np.frombuffer(parts.pop("widths"), dtype=np.int64)
    col = np.frombuffer(parts.pop("cols"), dtype=np.int32)
    tf_all = np.frombuffer(parts.pop("tfs"), dtype=np.int32)
    n_docs = len(length)
    df = np.bincount(col, minlength=n_vocab)
    values, where = np.unique(df, return_inverse=True)
    idf = np.array([math.log(1 + (n_docs - d + 0.5) / (d + 0.5)) if d else 0.0 for d in values.tolist()], np.float32)[where]
    denom = k1 * ((1 - b) + b * length.astype(np.float64) / length.mean())  # per document
    indptr = np.zeros(n_docs + 1, np.int64)
    np.cumsum(width, out=indptr[1:])
    data = np.empty(len(col), np.float32)
    step = 1 << 16
    for d0 in range(0, n_docs, step):  # in blocks of documents: float64 temporaries stay small
        d1 = min(d0 + step, n_docs)
        sl = slice(int(indptr[d0]), int(indptr[d1]))
        tf = tf_all[sl].astype(np.float64)
        data[sl] = idf[col[sl]].astype(np.float64) * (tf / (np.repeat(denom[d0:d1], width[d0:d1]) + tf))
    del tf_all
    csr = sp.csr_matrix((data, col, indptr), shape=(n_docs, n_vocab))
    del data, col
    csc = csr.tocsc()
    del csr
    return {
        "data": csc.data.astype(np.float32, copy=False),
        "indices": csc.indices.astype(np.int32, copy=False),
        "indptr": csc.indptr.astype(np.int64, copy=False),
        "num_docs": n_docs,
    }
