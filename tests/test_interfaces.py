"""Contract tests over every registered implementation (embedders, generators), the keyword index against
bm25s, and the seams around them: registries, one name per setting, no environment changes at import."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.embedders import EMBEDDERS, get_embedder
from rag.errors import InputError
from rag.generators import GENERATORS, NOT_FOUND, Parts, build_generator
from rag.settings import Settings

from .conftest import CITIES, SEEDS

ZH = "哪些城市在2015年成为第二批全国质量强市示范城市?"

# ---- embedders ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EMBEDDERS))
def test_every_embedder_keeps_the_contract(name: str) -> None:
    e = get_embedder(name)
    assert e.id and e.dim > 0
    empty = e.embed_documents([])
    assert empty.shape == (0, e.dim) and empty.dtype == np.float32
    assert e.embed_queries([]).shape == (0, e.dim)
    texts = ["深圳市2015年常住人口", "Shenzhen population in 2015", "深圳 😀 mixed 中英文", "深圳市2015年常住人口"]
    docs = e.embed_documents(texts)
    assert docs.dtype == np.float32 and docs.shape == (4, e.dim)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert np.allclose(docs[0], docs[3], atol=1e-5)  # the batch does not change a vector
    queries = e.embed_queries(texts[:1])
    assert queries.dtype == np.float32 and np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-4)
    prompted = bool(e.prompts.get("query") or e.prompts.get("document")) and e.prompts.get("query") != e.prompts.get("document")
    same = float(queries[0] @ docs[0])
    if prompted:  # the query side and the document side are embedded with their own prompts
        assert same < 0.9999, f"{name} declares prompts {dict(e.prompts)} but embeds a query like a document"
    else:
        assert same > 0.9999, f"{name} declares no prompts but embeds a query unlike a document"


# ---- generators -----------------------------------------------------------------------------------


class _FakeOpenAI(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint that streams the first passage's first sentence with its citation."""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        first = re.search(r"^\[(\d+)\] .*\n(.+?[。！？!?])", prompt, re.M)
        reply = [first.group(2), f"[{first.group(1)}]"] if first else [NOT_FOUND["zh"]]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for piece in reply:
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": body["model"],
                     "choices": [{"index": 0, "delta": {"role": "assistant", "content": piece}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.fixture(scope="module")
def hash_assistant(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from rag import Assistant
    from rag.embedders.hash import HashEmbedder
    from rag.ingest import ingest

    index = tmp_path_factory.mktemp("contract") / "index"
    ingest([SEEDS], index, HashEmbedder(), 300, 1)
    return Assistant.load(index, embedder="hash")


@pytest.mark.parametrize("name", list(GENERATORS))
def test_every_generator_streams_cited_text_and_survives_no_passages(
    name: str, hash_assistant: Any, fake_llm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("langchain_openai")
    from rag import local_llm
    from rag.cite import check

    monkeypatch.setattr(local_llm, "ensure_server", lambda *_a, **_k: fake_llm)  # no 1.1 GB model in a contract test
    a = hash_assistant
    settings = a.settings.with_(generator=name, llm_base_url=fake_llm)
    generator = build_generator(name, Parts(settings, a.evidence, a.embedder, lambda: a.retriever.doc_dates))
    assert generator.name == name
    query = a.retriever.analyze(ZH)
    hits = a.retriever.search(query, 5)
    pieces = list(generator.generate(query, hits))
    assert pieces and all(isinstance(p, str) for p in pieces)
    text = "".join(pieces)
    checked = check(text, hits, a._similarity)
    assert checked.citations, f"{name} cited nothing the passages support: {text!r}"
    assert all(1 <= int(n) <= len(hits) for n in re.findall(r"\[(\d+)\]", text))
    assert all(isinstance(p, str) for p in generator.generate(query, []))  # nothing retrieved: no crash


def test_the_pipeline_treats_a_registered_generator_like_the_default(hash_assistant: Any, fake_llm: str) -> None:
    pytest.importorskip("langchain_openai")
    a = hash_assistant
    try:
        a.use_generator("openai", llm_base_url=fake_llm)
        answer = a.ask(ZH)
        assert answer.generator == "openai" and answer.citations and not answer.refused
    finally:
        a.use_generator("extractive")
    assert all(c in a.ask(ZH).text for c in CITIES)


def test_an_unknown_generator_is_a_clear_error_and_changes_nothing(hash_assistant: Any) -> None:
    before = hash_assistant.generator, hash_assistant.settings
    with pytest.raises(InputError, match=r"generator must be one of \('extractive', 'openai', 'local'\), got 'gpt'"):
        hash_assistant.use_generator("gpt")
    assert (hash_assistant.generator, hash_assistant.settings) == before


# ---- the keyword index ----------------------------------------------------------------------------


def test_the_keyword_index_is_bit_identical_to_bm25s_on_the_seeds() -> None:
    import bm25s

    from rag.chunk import chunk
    from rag.clean import clean
    from rag.keyword import KeywordIndex, chunk_tokens, tokenize
    from rag.load import Skipped, load

    docs = [clean(x) for x in load([SEEDS]) if not isinstance(x, Skipped)]
    lists = [chunk_tokens(c.title, c.text) for d in docs for c in chunk(d, 300, 1)] + [[]]  # and an empty chunk
    ours = KeywordIndex.build(iter(lists))
    ref = bm25s.BM25()
    ref.index([t or ["\u0000"] for t in lists], show_progress=False)
    assert set(ours.vocab) == set(ref.vocab_dict)  # the same tokens (numbered in another order)
    a, b = ours._bm25.scores, ref.scores
    assert a["data"].dtype == b["data"].dtype == np.float32 and int(a["indptr"][-1]) == int(b["indptr"][-1])
    for token, j in ref.vocab_dict.items():  # each token's column: the same rows and the same float32 bits
        if token == "":  # bm25s's empty token has no column
            continue
        i = ours.vocab[token]
        col_a, col_b = slice(int(a["indptr"][i]), int(a["indptr"][i + 1])), slice(int(b["indptr"][j]), int(b["indptr"][j + 1]))
        assert a["indices"][col_a].tolist() == b["indices"][col_b].tolist(), token
        assert a["data"][col_a].tobytes() == b["data"][col_b].tobytes(), token
    for q in (ZH, "深圳 人口", "which cities were named in 2015?", "聊城 质量强市 大会"):
        tokens = [t for t in tokenize(q) if t in ours.vocab]
        assert ours._bm25.get_scores(tokens).tobytes() == ref.get_scores(tokens).tobytes(), q


# ---- registries, settings, imports ----------------------------------------------------------------


def test_each_registry_line_names_a_constructor_that_exists() -> None:
    from rag.stores import STORES

    for registry in (EMBEDDERS, GENERATORS, STORES):
        for name, plugin in registry.items():
            assert callable(plugin.load()), name


def test_settings_cli_and_ui_offer_the_registered_names(capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import main

    with pytest.raises(SystemExit):
        main(["ask", "--help"])
    assert "{" + ",".join(GENERATORS) + "}" in capsys.readouterr().out
    for name in GENERATORS:
        assert Settings(generator=name).generator == name
    with pytest.raises(InputError, match="generator must be one of"):
        Settings(generator="gpt")


def test_the_index_setting_has_one_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no rag.toml here
    monkeypatch.delenv("RAG_INDEX_DIR", raising=False)
    monkeypatch.setenv("RAG_INDEX", "a")
    assert Settings.load().index_dir == Path("a")
    monkeypatch.delenv("RAG_INDEX")
    monkeypatch.setenv("RAG_INDEX_DIR", "b")  # the old name: still read, with a warning
    with pytest.warns(DeprecationWarning, match="RAG_INDEX_DIR is deprecated, use RAG_INDEX"):
        assert Settings.load().index_dir == Path("b")
    monkeypatch.setenv("RAG_INDEX", "a")
    with pytest.warns(DeprecationWarning, match="RAG_INDEX_DIR is ignored"):
        assert Settings.load().index_dir == Path("a")


def test_the_cli_reads_the_index_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rag.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAG_INDEX", raising=False)
    monkeypatch.delenv("RAG_INDEX_DIR", raising=False)
    (tmp_path / "rag.toml").write_text('index_dir = "from-toml"\n')
    for command in (["info"], ["remove", "x"], ["show", "x"]):
        assert main(command) == 2 and "no index at from-toml" in capsys.readouterr().err
    monkeypatch.setenv("RAG_INDEX", "from-env")
    assert main(["info"]) == 2 and "no index at from-env" in capsys.readouterr().err
    assert main(["info", "--index", "from-flag"]) == 2 and "no index at from-flag" in capsys.readouterr().err


MODULES = "rag rag.cli rag.settings rag.embed rag.embedders rag.convert rag.generators rag.generate rag.stores rag.store " \
          "rag.pipeline rag.ingest rag.api rag.mcp_server rag.ui"


def test_importing_changes_no_environment_and_help_loads_no_model() -> None:
    code = (
        "import os, sys, importlib; before = dict(os.environ); import rag.cli; light = 'torch' not in sys.modules; "
        f"[importlib.import_module(m) for m in {MODULES.split()!r}]; print(dict(os.environ) == before, light)"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "GRADIO_"))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["True", "True"], out.stderr[-2000:]
