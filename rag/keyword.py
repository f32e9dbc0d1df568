"""Keyword search: BM25 (bm25s) over jieba words plus CJK character bigrams, built at ingest and saved."""

from __future__ import annotations

import logging
import os
import re
from functools import cache
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

TOKENIZER_ID = "jieba-search+cjk-bigrams/1"
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_WORD = re.compile(r"[\w\u3400-\u9fff]")
_STOP = frozenset("的 了 在 是 和 与 及 或 也 都 就 而 并 对 为 于 以 将 把 被 从 等 之 其 这 那 有 个 a an the of to in on for and or is are was were be by with what which who when where how did do does".split())


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


def words(text: str) -> list[str]:
    """jieba search-mode words, lower-cased, without stop words and punctuation."""
    return [w for w in (w.lower().replace(" ", "") for w in _jieba().lcut_for_search(text) if _WORD.search(w)) if w not in _STOP]


def tokenize(text: str) -> list[str]:
    """jieba search-mode words plus CJK character bigrams."""
    tokens = words(text)
    for run in _CJK_RUN.findall(text):
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


class KeywordIndex:
    """A BM25 index over token lists; row ``i`` is chunk row ``i``."""

    def __init__(self, bm25: object, size: int) -> None:
        self._bm25 = bm25
        self.size = size

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> KeywordIndex:
        import bm25s

        bm25 = bm25s.BM25()
        if token_lists:
            bm25.index([t or ["\u0000"] for t in token_lists], show_progress=False)
        return cls(bm25, len(token_lists))

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

        bm25 = bm25s.BM25.load(str(path), show_progress=False, mmap=False) if size else bm25s.BM25()
        return cls(bm25, size)

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Scores and rows of the best ``k`` chunks that share at least one token with ``query``."""
        tokens = [t for t in tokenize(query) if t in self.vocab] if self.size else []
        if not tokens:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        rows, scores = self._bm25.retrieve([tokens], k=min(k, self.size), show_progress=False, n_threads=1)
        keep = scores[0] > 0
        return scores[0][keep].astype(np.float32), rows[0][keep].astype(np.int64)
