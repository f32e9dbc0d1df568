"""The same behaviour tests on every store: the local folder, a Milvus Lite file and a Milvus Lite server.

The server is a real ``milvus-lite server`` on 127.0.0.1 (the network path a cluster uses), started
and stopped here; every test gets its own index (a folder, a file, or a collection prefix).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from rag.errors import IndexMismatchError, IndexNotFoundError, InputError, RagError
from rag.ingest import ingest, remove
from rag.retrieve import HybridRetriever
from rag.store import IndexStore
from rag.stores import STORES, kind_of

from .conftest import SEEDS, SHENZHEN

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

ZH = "哪些城市在2015年成为第二批全国质量强市示范城市?"
SERVER_BIN = Path(sys.executable).with_name("milvus-lite")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A ``milvus-lite server`` process on 127.0.0.1 over one data folder; can be stopped and restarted."""

    def __init__(self, data: Path) -> None:
        self.data, self.port, self.proc = data, _free_port(), None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cmd = [str(SERVER_BIN), "server", "--data-dir", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("milvus-lite server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not SERVER_BIN.exists():
        pytest.skip("milvus-lite ships no server command here")
    srv = Server(tmp_path_factory.mktemp("milvus-server"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(params=list(STORES))  # every registered backend (a new one needs a line in _location)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    where = _location(request.param, tmp_path, request)
    assert kind_of(where)[0] == request.param
    return where


def _location(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh index location of backend ``kind``."""
    if kind == "local":
        return str(tmp_path / "index")
    if kind == "milvus-lite":
        return str(tmp_path / "m.db")
    if kind == "milvus":
        return f"{request.getfixturevalue('server').uri}/t{uuid.uuid4().hex[:10]}"
    raise AssertionError(f"no test location for the registered store {kind!r}: add one here")


@pytest.fixture()
def news(tmp_path: Path) -> Path:
    folder = tmp_path / "news"
    shutil.copytree(SEEDS, folder)
    return folder


def _bm25_docs(store, question: str, k: int = 5, **kw) -> list[str]:  # type: ignore[no-untyped-def]
    from rag.embed import HashEmbedder

    r = HybridRetriever(store, HashEmbedder())
    return [h.chunk.doc_id for h in r.search(r.analyze(question), k, modes=("bm25",), **kw)]


def test_ingest_describes_itself_and_finds_the_article(location: str, news: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    report = ingest([news], location, hash_embedder, 300, 1)
    store = IndexStore.open(location, hash_embedder.id)
    m = store.manifest
    assert (m.params.embedder, m.params.dim, m.params.chunk_size, m.documents, m.chunks) == ("hash:256", 256, 300, 5, report.chunks)
    assert SHENZHEN in _bm25_docs(store, ZH, 3)
    assert store.keyword.df("城市") > 0 and "城市" in store.keyword.vocab and store.keyword.size == report.chunks
    assert {d["doc_id"] for d in store.documents()} == {p.name for p in SEEDS.iterdir()}
    doc = store.document(SHENZHEN)
    assert doc is not None and "泸州" in doc.text and doc.date
    first = store.chunks([f"{SHENZHEN}#0"])[0]
    assert first.text == doc.text[first.start : first.end]
    store.close()
    with pytest.raises(IndexMismatchError, match="built with embedder 'hash:256', not 'other'"):
        IndexStore.open(location, "other")


def test_incremental_update_replaces_only_the_changed_article(location: str, news: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    first = ingest([news], location, hash_embedder, 300, 1)
    store = IndexStore.open(location)
    n_old = next(d["chunks"] for d in store.documents() if d["doc_id"] == "004_4ae39a300e80b9e5.txt")
    store.close()
    (news / "004_4ae39a300e80b9e5.txt").write_text("7月24日,聊城召开了一次全新的独角兽质量会议。", encoding="utf-8")
    (news / "new.txt").write_text("2016年3月,独角兽质量大会在临沂召开。", encoding="utf-8")
    again = ingest([news], location, hash_embedder, 300, 1)
    assert again.updated == ["004_4ae39a300e80b9e5.txt"] and again.added == ["new.txt"] and again.chunks_embedded == 2
    assert again.documents == 6 and again.chunks == first.chunks - n_old + 2
    store = IndexStore.open(location)
    assert set(_bm25_docs(store, "独角兽")) == {"004_4ae39a300e80b9e5.txt", "new.txt"}
    assert "004_4ae39a300e80b9e5.txt" not in _bm25_docs(store, "浪潮集团", 20)
    assert not store.chunks(["004_4ae39a300e80b9e5.txt#5"])  # the old article's later chunks are gone


def test_removed_article_is_gone_everywhere(location: str, news: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    ingest([news], location, hash_embedder, 300, 1)
    assert remove(location, [SHENZHEN, "no-such-doc"]) == [SHENZHEN]
    store = IndexStore.open(location)
    assert store.document(SHENZHEN) is None and SHENZHEN not in {d["doc_id"] for d in store.documents()}
    assert not store.chunks([f"{SHENZHEN}#0"]) and SHENZHEN not in store.doc_hashes()
    assert SHENZHEN not in _bm25_docs(store, ZH + " 南京 南通 温州 台州 鹤壁 泸州", 50)
    from rag.embed import HashEmbedder

    r = HybridRetriever(store, HashEmbedder())
    assert all(h.chunk.doc_id != SHENZHEN for h in r.search(r.analyze(ZH), 50))
    assert store.manifest.documents == 4


def test_date_filter(location: str, news: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    ingest([news], location, hash_embedder, 300, 1)
    store = IndexStore.open(location)
    dates = {d["doc_id"]: d["date"] for d in store.documents()}
    got = _bm25_docs(store, "质量 城市 大会", 20, date_from="2016", date_to="2016-12")
    assert got and all(dates[d].startswith("2016") for d in got)
    assert SHENZHEN in _bm25_docs(store, ZH, 5, date_to="2015")


def test_reopen_sees_the_same_index(location: str, news: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    ingest([news], location, hash_embedder, 300, 1)
    store = IndexStore.open(location)
    before = (store.manifest, store.documents(), store.doc_hashes())
    store.close()
    again = IndexStore.open(location, hash_embedder.id)
    assert (again.manifest, again.documents(), again.doc_hashes()) == before
    assert ingest([news], location, hash_embedder, 300, 1).chunks_embedded == 0


@pytest.mark.parametrize("bad", ["ftp://host/x", "http://", "http://host:port", "https://h:1/a/b"])
def test_bad_location_is_a_clear_error(bad: str) -> None:
    with pytest.raises(InputError, match="index"):
        IndexStore.open(bad)


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    for where in (tmp_path / "none", tmp_path / "none.db"):
        with pytest.raises(IndexNotFoundError, match="no index at .*rag ingest"):
            IndexStore.open(where)
    assert not (tmp_path / "none.db").exists()  # opening did not create an empty file


def test_engine_down_is_a_clear_error_and_loses_nothing(server: Server, news: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    uri = f"{server.uri}/down{uuid.uuid4().hex[:8]}"
    ingest([news], uri, hash_embedder, 300, 1)
    server.stop()
    try:
        (news / "new.txt").write_text("2016年3月,独角兽质量大会在临沂召开。", encoding="utf-8")
        with pytest.raises(RagError, match=r"Milvus at http://127\.0\.0\.1:\d+.*is the server running"):
            ingest([news], uri, hash_embedder, 300, 1)
        with pytest.raises(RagError, match="is the server running"):
            remove(uri, [SHENZHEN])
    finally:
        server.start()  # the same data folder: a restart
    store = IndexStore.open(uri, hash_embedder.id)
    assert store.manifest.documents == 5 and SHENZHEN in store.doc_hashes()
    assert ingest([news], uri, hash_embedder, 300, 1).added == ["new.txt"]


def test_lite_file_open_elsewhere_is_a_clear_error(tmp_path: Path, news: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "m.db"
    ingest([news], str(db), hash_embedder, 300, 1)
    held = IndexStore.open(db)  # this process serves the file now
    try:
        cmd = [str(Path(sys.executable).with_name("rag")), "info", "--index", str(db)]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert r.returncode == 2 and "open in another process" in r.stderr
        assert IndexStore.open(db).manifest.documents == 5  # the same process may open it again
    finally:
        held.close()


@pytest.fixture(params=["lite", "server"])
def milvus_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "lite":
        return str(tmp_path / "m.db")
    return f"{request.getfixturevalue('server').uri}/k{uuid.uuid4().hex[:10]}"


KEYWORD_QUESTIONS = (ZH, "which cities were named in 2015?", "Shenzhen quality city", "质量 城市 大会", "浪潮集团 released", "泸州")


def test_milvus_ranks_keywords_as_the_folder_store(milvus_location: str, news: Path, tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """Milvus's BM25 runs over our own tokens (stems, bigrams), with bm25s's parameters: the same ranking and scores."""
    ingest([news], tmp_path / "folder", hash_embedder, 300, 1)
    ingest([news], milvus_location, hash_embedder, 300, 1)
    folder, milvus = IndexStore.open(tmp_path / "folder"), IndexStore.open(milvus_location)
    assert milvus.manifest.keyword == "milvus-bm25-our-tokens/1"
    r = HybridRetriever(folder, hash_embedder)
    for question in KEYWORD_QUESTIONS:
        text = r.analyze(question).keyword_text
        want, got = folder.keyword_search(text, 20), milvus.keyword_search(text, 20)
        assert want and [c for c, _ in got] == [c for c, _ in want], question
        assert [s for _, s in got] == pytest.approx([s for _, s in want], rel=1e-4), question
    milvus.close()


def test_english_question_finds_the_six_city_chunk_on_milvus(real_index: Path, tmp_path: Path) -> None:
    """The must-show with the real embedder: the folder index copied into a Milvus Lite file (same vectors)."""
    from rag.embed import get_embedder
    from rag.pipeline import Assistant
    from rag.settings import Settings
    from rag.stores import copy_index

    from .conftest import CITIES

    db = str(tmp_path / "m.db")
    copy_index(real_index, db)
    settings = Settings()
    embedder = get_embedder(settings.embedder)
    a = Assistant(settings.with_(index_dir=db), IndexStore.open(db, embedder.id), embedder)
    for k, question in ((3, ZH), (5, "which cities were named in 2015?")):
        hits = a.retriever.search(a.retriever.analyze(question), k)
        assert any(all(c in h.chunk.text for c in CITIES) for h in hits), (question, [h.chunk.chunk_id for h in hits])
    a.store.close()


def _open_milvus_connections() -> int:
    from pymilvus.client.connection_manager import ConnectionManager

    return len(ConnectionManager.get_instance()._dedicated)  # MilvusStore connects with dedicated=True


def test_reload_closes_the_old_store_once_unused(location: str, news: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """Reloads do not pile up connections; a question still running on the old version finishes on it first."""
    import gc
    import sqlite3

    from rag.pipeline import Assistant
    from rag.settings import Settings

    ingest([news], location, hash_embedder, 300, 1)
    a = Assistant(Settings().with_(index_dir=location), IndexStore.open(location, hash_embedder.id), hash_embedder)
    a.reload()
    gc.collect()
    before = _open_milvus_connections()
    for _ in range(4):
        a.reload()
    gc.collect()
    assert _open_milvus_connections() == before  # one store open, whatever the number of reloads
    in_flight = a.retriever  # a question that started on this version and is still running
    old = in_flight.store
    a.reload()
    gc.collect()
    assert a.store is not old
    query = in_flight.analyze(ZH)
    assert SHENZHEN in {h.chunk.doc_id for h in in_flight.search(query, 5)}  # still readable: not closed under it
    milvus = getattr(old, "_connection", None)
    files = [seg.db for seg in getattr(old, "segments", [])]
    del in_flight, old, query
    gc.collect()
    assert _open_milvus_connections() == before
    if milvus is not None:
        assert milvus.closed
    else:
        assert files
        for db in files:  # the old version's files are closed
            with pytest.raises(sqlite3.ProgrammingError):
                db.execute("SELECT 1")
    assert SHENZHEN in {h.chunk.doc_id for h in a.search(ZH, 5)}  # the live version answers
    a.store.close()


def test_rag_eval_runs_a_folder_and_a_milvus_file_in_one_run(real_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:  # type: ignore[type-arg]
    """``rag eval --index FOLDER,FILE.db``: the same questions through both stores, one row each in one report."""
    import json

    from rag.cli import main as cli_main
    from rag.stores import copy_index

    from .conftest import ROOT

    db = str(tmp_path / "m.db")
    copy_index(real_index, db)
    out = tmp_path / "report"
    gold = ROOT / "eval" / "seeds_gold.jsonl"
    assert cli_main(["eval", "--dataset", str(gold), "--index", f"{real_index},{db}", "--limit", "4", "--out", str(out)]) == 0
    assert "hybrid@folder" in capsys.readouterr().out
    summary = json.loads((out / "report.json").read_text(encoding="utf-8"))["summary"]
    assert set(summary) == {"hybrid@folder", "hybrid@milvus-lite"}
    folder, milvus = (summary[k]["all"]["metrics"] for k in ("hybrid@folder", "hybrid@milvus-lite"))
    assert folder["hit@5"] == milvus["hit@5"] == 1.0
    assert "Milvus Lite file" in (out / "report.md").read_text(encoding="utf-8")


def test_long_chinese_document_round_trips_within_milvus_byte_limits(milvus_location: str, tmp_path: Path, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    """A Milvus server's VARCHAR max_length counts UTF-8 bytes (Milvus Lite does not check): a 40,000-character
    Chinese article is stored in parts that fit, read back whole by primary key, and found."""
    from rag.stores.milvus import _doc_rows

    folder = tmp_path / "long"
    folder.mkdir()
    sentence = "2015年，泸州市获评全国质量强市示范城市，质量大会在此召开。"
    text = "泸州质量强市报告\n\n" + sentence * (40_000 // len(sentence))
    (folder / "long.txt").write_text(text, encoding="utf-8")
    ingest([folder], milvus_location, hash_embedder, 300, 1)
    store = IndexStore.open(milvus_location)
    doc = store.document("long.txt")
    assert doc is not None and len(doc.text) > 39_000 and doc.text.endswith(sentence) and "泸州" in doc.text
    assert store.document("no-such.txt") is None
    assert "long.txt" in _bm25_docs(store, "泸州 质量强市")
    from rag.stores.base import NewDocument

    rows = _doc_rows(NewDocument(doc, "h", [], np.zeros((0, 4), np.float32), []))
    assert len(rows) > 1 and all(len(r["text"].encode("utf-8")) <= 65_535 for r in rows)
    store.close()
