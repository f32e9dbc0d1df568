"""A deterministic hashing embedder for fast tests."""

from __future__ import annotations

import hashlib

import numpy as np


class HashEmbedder:
    """Deterministic character-n-gram hashing embedder for fast tests (lexical, not semantic)."""

    def __init__(self, dim: int = 256) -> None:
        self.id = f"hash:{dim}"
        self.dim = dim
        self.prompts: dict[str, str] = {}

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        grams = [text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1) if not text[i : i + n].isspace()]
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if h >> 63 else -1.0
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_documents(texts)
