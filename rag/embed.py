"""Kept as an import point: the embedders live in ``rag.embedders`` (one module each)."""

from __future__ import annotations

from .embedders import OFFLINE, PROMPTS, Embedder, HashEmbedder, OnnxE5, SentenceTransformerEmbedder, _cache, get_embedder
from .embedders.st import _load_st, _wrap_engine

__all__ = ["OFFLINE", "PROMPTS", "Embedder", "HashEmbedder", "OnnxE5", "SentenceTransformerEmbedder", "get_embedder"]
__all__ += ["_cache", "_load_st", "_wrap_engine"]
