"""The default e5: the converted multilingual-e5-small folder (``rag.convert``) on OpenVINO or ONNX Runtime."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .base import PROMPTS, Embedder
from .st import SentenceTransformerEmbedder, _load_st

Feeds = dict[str, np.ndarray]
Runner = Callable[[list[Feeds]], list[np.ndarray]]


def _onnxruntime(path: str, threads: int) -> Runner:
    """Batches one after another on an ONNX Runtime session of ``threads`` threads."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # busy cores: sleep, don't spin
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return lambda batches: [session.run(None, feeds)[0] for feeds in batches]


def _openvino(path: str, threads: int) -> Runner:
    """OpenVINO on the CPU, bfloat16 where the CPU has native bf16 (AMX, AVX512-BF16), else f32.

    ``threads`` one-thread streams take batches in parallel (an async infer queue): on a few shared
    cores that beats one stream whose threads wait for each other at every layer.
    """
    import openvino as ov

    core = ov.Core()
    config: dict[str, Any] = {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": threads, "INFERENCE_NUM_THREADS": threads}
    if "BF16" in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        config["INFERENCE_PRECISION_HINT"] = "bf16"
    compiled = core.compile_model(path, "CPU", config)
    queue = ov.AsyncInferQueue(compiled, threads)
    lock = threading.Lock()  # one caller at a time: the queue's requests are busy until wait_all

    def run(batches: list[Feeds]) -> list[np.ndarray]:
        out: list[np.ndarray | None] = [None] * len(batches)

        def done(request: Any, i: int) -> None:
            out[i] = request.get_output_tensor(0).data.copy()

        with lock:
            queue.set_callback(done)
            for i, feeds in enumerate(batches):
                queue.start_async(feeds, i)
            queue.wait_all()
        return out  # type: ignore[return-value]

    return run


class OnnxE5:
    """The converted multilingual-e5-small (``rag.convert``): its ONNX graph on OpenVINO or ONNX Runtime,
    tokenized by its ``tokenizer.json`` (the same tokenizer ``SentenceTransformer(folder)`` uses).

    Texts are tokenized (truncated at ``max_length`` tokens, as sentence-transformers does), sorted by
    length and run in padded batches of ``batch_size`` (widths rounded up to ``pad_to``); the graph
    mean-pools and L2-normalizes. On ONNX Runtime a batch of at most ``SMALL_BATCH`` sequences (a
    query) runs on a one-thread session: on a few busy cores, waking a thread pool for one short
    sequence costs more than it saves (bench/README.md). OpenVINO's own scheduler showed no such cost,
    and a second compiled model would hold another ~0.5 GB, so it keeps one.
    """

    SMALL_BATCH = 2

    def __init__(
        self,
        folder: Path,
        model_file: str,
        model_id: str,
        runtime: str = "onnxruntime",
        batch_size: int = 16,
        max_length: int = 512,
        pad_to: int = 1,
    ) -> None:
        from tokenizers import Tokenizer

        if runtime not in ("onnxruntime", "openvino"):
            raise ValueError(f"runtime must be onnxruntime or openvino, got {runtime!r}")
        self.runtime = runtime
        self.folder = folder
        self.model_file = model_file
        self.id = model_id
        self.dim = 384
        self.prompts = PROMPTS
        self.batch_size = batch_size
        self.pad_to = pad_to
        self.max_length = max_length
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length)
        self.pad_id = self.tokenizer.token_to_id("<pad>")
        self._sessions: dict[int, Runner] = {}
        self._lock = threading.Lock()

    def _session(self, threads: int) -> Runner:
        with self._lock:  # questions from several threads (the API's worker pool) must not compile twice
            if threads not in self._sessions:
                path = str(self.folder / self.model_file)
                self._sessions[threads] = (_openvino if self.runtime == "openvino" else _onnxruntime)(path, threads)
            return self._sessions[threads]

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch([prefix + t for t in texts])]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        small = len(ids) <= self.SMALL_BATCH and self.runtime == "onnxruntime"
        threads = 1 if small else (os.cpu_count() or 1)
        groups, feeds = [], []
        for a in range(0, len(order), self.batch_size):
            rows = order[a : a + self.batch_size]
            width = min(-(-max(len(ids[i]) for i in rows) // self.pad_to) * self.pad_to, self.max_length)
            batch = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                batch[r, : len(ids[i])] = ids[i]
                mask[r, : len(ids[i])] = 1
            groups.append(rows)
            feeds.append({"input_ids": batch, "attention_mask": mask})
        for rows, vectors in zip(groups, self._session(threads)(feeds)):
            out[rows] = vectors
        return out

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, PROMPTS["document"])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, PROMPTS["query"])


def load_e5() -> Embedder:
    from ..convert import FP32_ONNX, ensure_model

    return OnnxE5(ensure_model(), FP32_ONNX, "e5:multilingual-e5-small-q4:openvino", runtime="openvino", batch_size=8)


def load_e5_torch() -> Embedder:
    """The same converted folder through plain sentence-transformers on torch float32 (the reference)."""
    from ..convert import ensure_model

    folder = ensure_model()
    return SentenceTransformerEmbedder(_load_st(str(folder)), "e5-torch:multilingual-e5-small-q4:fp32", batch_size=32)
