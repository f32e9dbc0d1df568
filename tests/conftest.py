"""Shared fixtures: the seed corpus, a real index (default embedder, built once) and fast hash-embedder indexes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
CITIES = ("南京", "南通", "温州", "台州", "鹤壁", "泸州")
SHENZHEN = "000_134084127a1d6434.txt"


@pytest.fixture(scope="session")
def seeds_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five seed articles in a fresh folder."""
    d = tmp_path_factory.mktemp("seeds")
    for f in SEEDS.iterdir():
        shutil.copy(f, d / f.name)
    return d


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory, seeds_copy: Path) -> Path:
    """The seeds indexed with the default (real) embedder and real FAISS, built once per session."""
    from rag.embed import get_embedder
    from rag.ingest import ingest
    from rag.settings import Settings

    s = Settings()
    index = tmp_path_factory.mktemp("real") / "index"
    ingest([seeds_copy], index, get_embedder(s.embedder), s.chunk_size, s.chunk_overlap)
    return index


@pytest.fixture(scope="session")
def assistant(real_index: Path):  # type: ignore[no-untyped-def]
    from rag import Assistant

    return Assistant.load(real_index)


@pytest.fixture()
def hash_embedder():  # type: ignore[no-untyped-def]
    from rag.embed import HashEmbedder

    return HashEmbedder()


@pytest.fixture()
def ingest_hash(hash_embedder, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Ingest paths into a tmp index with the fast hash embedder; returns (report, index_dir)."""
    from rag.ingest import ingest

    index = tmp_path / "index"

    def run(*paths: Path, **kw):  # type: ignore[no-untyped-def]
        return ingest(list(paths), index, hash_embedder, 300, 1, **kw), index

    return run
