"""One frozen settings object, built once at the edge from defaults, a TOML file and ``RAG_*`` variables."""

from __future__ import annotations

import logging
import os
import tomllib
import warnings
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import InputError
from .generators import GENERATORS

logger = logging.getLogger(__name__)

ENV_NAMES = {"index_dir": "RAG_INDEX"}  # a setting's variable where it is not RAG_<NAME> (the CLI's --index)
DEPRECATED_ENV = {"RAG_INDEX_DIR": "RAG_INDEX"}  # an old variable -> its one name now; still read, with a warning
DENSE_INDEXES = ("auto", "flat", "hnsw", "ivfpq")
FUSIONS = ("rrf", "weighted")
LLM_CONTEXTS = ("auto", "sentences", "passages")


@dataclass(frozen=True)
class Settings:
    """Everything a user can tune; components receive plain values taken from it."""

    index_dir: Path = Path("index")
    embedder: str = "e5"
    query_expansion: bool = True
    chunk_size: int = 300
    chunk_overlap: int = 1
    dense_index: str = "auto"
    top_k: int = 5
    candidates: int = 50
    fusion: str = "rrf"
    rerank_model: str | None = None
    generator: str = "extractive"
    llm_base_url: str = "http://127.0.0.1:8080/v1"
    llm_model: str = "local"
    llm_api_key: str = "not-needed"
    llm_timeout: float = 120.0
    llm_context: str = "auto"  # what a chat LLM reads: "sentences" (selected + neighbours), "passages"; auto: by generator
    llm_max_tokens: int = 128  # the longest answer a chat LLM may write (bounds its latency)
    local_model_path: Path = Path("models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    min_relevance: float = 0.5
    max_doc_chars: int = 1_000_000  # a longer document is truncated or refused (oversize), with a warning
    large_doc_chars: int = 100_000  # a longer document is reported (chunks, time estimate) before embedding
    oversize: str = "truncate"  # or "refuse"
    time_aware: bool = True
    answer_selector: str = "rules"  # extractive answers: "rules" (hand thresholds) or "learned" (rag/select.py)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index_dir", Path(self.index_dir))
        object.__setattr__(self, "local_model_path", Path(self.local_model_path))
        _check(self.chunk_size >= 50, f"chunk_size must be >= 50, got {self.chunk_size}")
        _check(0 <= self.chunk_overlap <= 5, f"chunk_overlap must be 0..5 sentences, got {self.chunk_overlap}")
        _check(self.top_k > 0, f"top_k must be > 0, got {self.top_k}")
        _check(self.candidates >= self.top_k, f"candidates must be >= top_k, got {self.candidates}")
        _check(self.generator in GENERATORS, f"generator must be one of {tuple(GENERATORS)}, got {self.generator!r}")
        _check(self.dense_index in DENSE_INDEXES, f"dense_index must be one of {DENSE_INDEXES}, got {self.dense_index!r}")
        _check(self.fusion in FUSIONS, f"fusion must be one of {FUSIONS}, got {self.fusion!r}")
        _check(self.oversize in ("truncate", "refuse"), f"oversize must be truncate or refuse, got {self.oversize!r}")
        _check(self.max_doc_chars > 0, f"max_doc_chars must be > 0, got {self.max_doc_chars}")
        _check(self.answer_selector in ("rules", "learned"), f"answer_selector must be 'rules' or 'learned', got {self.answer_selector!r}")
        _check(self.llm_timeout > 0, f"llm_timeout must be > 0, got {self.llm_timeout}")
        _check(self.llm_context in LLM_CONTEXTS, f"llm_context must be one of {LLM_CONTEXTS}, got {self.llm_context!r}")
        _check(self.llm_max_tokens > 0, f"llm_max_tokens must be > 0, got {self.llm_max_tokens}")

    def with_(self, **overrides: Any) -> Settings:
        """A copy with the given fields changed (``None`` values are ignored)."""
        return replace(self, **_coerce({k: v for k, v in overrides.items() if v is not None}))

    @classmethod
    def load(cls, config: str | Path | None = None, **overrides: Any) -> Settings:
        """Defaults, then the TOML file (``config``, ``RAG_CONFIG`` or ``./rag.toml``), then ``RAG_*``, then overrides."""
        values: dict[str, Any] = {}
        path = Path(config or os.environ.get("RAG_CONFIG") or "rag.toml")
        if path.is_file():
            with path.open("rb") as file:
                values.update(tomllib.load(file))
        elif config:
            raise InputError(f"config file not found: {path}")
        for f in fields(cls):
            env = _env(env_name(f.name))
            if env is not None:
                values[f.name] = env
        unknown = set(values) - {f.name for f in fields(cls)}
        _check(not unknown, f"unknown settings: {sorted(unknown)}")
        return cls(**_coerce(values)).with_(**overrides)


def env_name(setting: str) -> str:
    """The environment variable of a setting: ``RAG_INDEX`` for ``index_dir``, else ``RAG_`` + its name."""
    return ENV_NAMES.get(setting, f"RAG_{setting.upper()}")


def _env(name: str) -> str | None:
    """``name``'s value, or that of the old variable it replaced (with a deprecation warning)."""
    value = os.environ.get(name)
    for old in (o for o, new in DEPRECATED_ENV.items() if new == name and o in os.environ):
        message = f"{old} is deprecated, use {name}" + (f" ({old} is ignored: {name} is set)" if value is not None else "")
        warnings.warn(message, DeprecationWarning, stacklevel=3)
        logger.warning("%s", message)
        if value is None:
            value = os.environ[old]
    return value


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    """Turn strings from files or the environment into each field's type."""
    types = {f.name: f.type for f in fields(Settings)}
    out: dict[str, Any] = {}
    for name, value in values.items():
        kind = types.get(name, "str")
        if not isinstance(value, str) or "str" in kind or "Path" in kind:
            out[name] = value
        elif kind == "bool":
            out[name] = value.strip().lower() in ("1", "true", "yes", "on")
        else:
            try:
                out[name] = int(value) if kind == "int" else float(value)
            except ValueError:
                raise InputError(f"setting {name} must be a number, got {value!r}") from None
    return out


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise InputError(message)
