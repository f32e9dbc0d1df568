"""Kept as an import point: the embedders live in ``rag.embedders`` (one module each)."""

from __future__ import annotations

from .embedders import EMBEDDERS, PROMPTS, Embedder, _cache, get_embedder
from .embedders.e5 import OnnxE5
from .embedders.hash import HashEmbedder
from .embedders.st import SentenceTransformerEmbedder, _load_st, _wrap_engine

__all__ = ["EMBEDDERS", "PROMPTS", "Embedder", "HashEmbedder", "OnnxE5", "SentenceTransformerEmbedder", "get_embedder"]
__all__ += ["_cache", "_load_st", "_wrap_engine"]
