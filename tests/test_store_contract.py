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
