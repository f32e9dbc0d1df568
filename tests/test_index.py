"""The index directory: atomic writes under kill -9, incremental re-ingest, removal, self-description."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.errors import IndexMismatchError, IndexNotFoundError
from rag.ingest import ingest, remove
from rag.store import IndexStore
from rag.stores import Manifest

from .conftest import ROOT, SEEDS, SHENZHEN

KILL_SCRIPT = """
import sys
from pathlib import Path
from rag.embed import HashEmbedder
from rag.ingest import ingest
ingest([Path(sys.argv[1])], Path(sys.argv[2]), HashEmbedder(), 300, 1)
"""


def _docs(index: Path) -> set[str]:
    store = IndexStore.open(index)
    try:
        return {d["doc_id"] for d in store.documents()}
    finally:
        store.close()


def _segments(store) -> list[str]:  # type: ignore[no-untyped-def]
    return [s.path for s in store.manifest.segments or ()]


def _chunk_counts(store):  # type: ignore[no-untyped-def]
    return [(d["doc_id"], n) for d in store.documents() for n in range(d["chunks"])]


def test_manifest_describes_the_index(ingest_hash) -> None:  # type: ignore[no-untyped-def]
    report, index = ingest_hash(SEEDS)
    store = IndexStore.open(index)
    m = store.manifest
    assert (m.params.embedder, m.params.dim, m.params.chunk_size, m.params.chunk_overlap) == ("hash:256", 256, 300, 1)
    assert (m.documents, m.chunks) == (5, report.chunks) and m.format == 2 and m.segments is not None
    assert (store.path / "manifest.json").is_file() and len(m.segments) == 1
    assert Manifest.from_dict(json.loads((store.path / "manifest.json").read_text())) == m  # the file is the typed manifest
    names = {p.name for p in (index / m.segments[0].path).iterdir()}
    assert {"chunks.sqlite", "vectors.npy", "dense.faiss", "bm25"} <= names
    assert not [p for p in index.rglob("*") if p.suffix in (".pkl", ".pickle")]


def test_other_embedder_is_refused(ingest_hash) -> None:  # type: ignore[no-untyped-def]
    _, index = ingest_hash(SEEDS)
    with pytest.raises(IndexMismatchError, match="built with embedder 'hash:256', not 'e5"):
        IndexStore.open(index, "e5:multilingual-e5-small-q4")
    with pytest.raises(IndexNotFoundError, match="no index at"):
        IndexStore.open(index.parent / "nothing")


def test_unchanged_files_cost_no_embedding_and_changes_replace_chunks(ingest_hash, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "news"
    folder.mkdir()
    for f in SEEDS.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    first, index = ingest_hash(folder)
    again, _ = ingest_hash(folder)
    assert again.chunks_embedded == 0 and again.unchanged == 5 and again.chunks == first.chunks
    target = folder / "004_4ae39a300e80b9e5.txt"
    target.write_text("7月24日,聊城召开了一次全新的独角兽质量会议。", encoding="utf-8")
    changed, _ = ingest_hash(folder)
    assert changed.updated == ["004_4ae39a300e80b9e5.txt"] and changed.chunks_embedded == 1
    store = IndexStore.open(index)
    texts = [c.text for c in store.chunks([f"{d}#{n}" for d, n in _chunk_counts(store)])]
    assert any("独角兽" in t for t in texts) and not any("浪潮集团" in t for t in texts)


def test_removed_document_is_never_retrieved(ingest_hash) -> None:  # type: ignore[no-untyped-def]
    from rag.embed import HashEmbedder
    from rag.retrieve import HybridRetriever

    _, index = ingest_hash(SEEDS)
    assert remove(index, ["003_0397e52ffcd671d1.txt", "no-such-doc"]) == ["003_0397e52ffcd671d1.txt"]
    store = IndexStore.open(index)
    retriever = HybridRetriever(store, HashEmbedder())
    hits = retriever.search(retriever.analyze("顾维中 泰州市市场监管局 杭州国际博览中心"), 20)
    assert hits and all(h.chunk.doc_id != "003_0397e52ffcd671d1.txt" for h in hits)
    assert store.document("003_0397e52ffcd671d1.txt") is None and store.manifest.documents == 4


def test_prune_drops_documents_whose_files_are_gone(ingest_hash, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "news"
    folder.mkdir()
    for f in list(SEEDS.iterdir())[:2]:
        (folder / f.name).write_bytes(f.read_bytes())
    _, index = ingest_hash(folder)
    (folder / sorted(os.listdir(folder))[0]).unlink()
    report, _ = ingest_hash(folder, prune=True)
    assert len(report.removed) == 1 and report.documents == 1


def test_chunking_change_needs_rebuild(ingest_hash, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    _, index = ingest_hash(SEEDS)
    with pytest.raises(IndexMismatchError, match="use --rebuild"):
        ingest([SEEDS], index, hash_embedder, 500, 1)
    assert ingest([SEEDS], index, hash_embedder, 500, 1, rebuild=True).documents == 5


def test_kill_during_ingest_leaves_previous_index_intact(ingest_hash, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, index = ingest_hash(SEEDS)
    before = _docs(index)
    manifest_before = json.loads((IndexStore.open(index).path / "manifest.json").read_text())
    big = tmp_path / "big"
    big.mkdir()
    body = (SEEDS / "001_601d5aada0628d2c.txt").read_text(encoding="utf-8")
    for i in range(400):
        (big / f"n{i:04d}.txt").write_text(f"第{i}篇。" + body, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = 0
    for delay in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0):
        proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(big), str(index)], env=env)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        after = _docs(index)
        assert after in (before, before | {f"n{i:04d}.txt" for i in range(400)})
        if after == before:
            assert json.loads((IndexStore.open(index).path / "manifest.json").read_text()) == manifest_before
    assert killed >= 3
    report, _ = ingest_hash(big)
    assert report.documents == 405
    assert not [p for p in index.iterdir() if p.name.startswith(".tmp-")]


def test_english_words_match_their_other_forms(ingest_hash, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from rag.embed import HashEmbedder
    from rag.retrieve import HybridRetriever

    folder = tmp_path / "en"
    folder.mkdir()
    (folder / "game.txt").write_text("The game was launched on May 15, 2012. Console releases followed.", encoding="utf-8")
    (folder / "tennis.txt").write_text("Simona Halep won the ladies' singles title at Wimbledon in 2019.", encoding="utf-8")
    _, index = ingest_hash(folder)
    store = IndexStore.open(index)
    retriever = HybridRetriever(store, HashEmbedder())
    for question, doc in (("When was the console version released?", "game.txt"), ("Any single titles?", "tennis.txt")):
        hits = retriever.search(retriever.analyze(question), 1, modes=("bm25",))
        assert [h.chunk.doc_id for h in hits] == [doc], question
    assert 2019 in store.document("tennis.txt").years  # a year written without 年 counts as mentioned


def test_index_from_an_older_tokenizer_is_retokenized_without_embedding(ingest_hash, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from rag.keyword import TOKENIZER_ID

    folder = tmp_path / "en"
    folder.mkdir()
    (folder / "game.txt").write_text("Console versions were released the following year.", encoding="utf-8")
    _, index = ingest_hash(folder)
    old = IndexStore.open(index)
    manifest = {**old.manifest.to_dict(), "tokenizer": "jieba-search+cjk-bigrams/1"}  # what an earlier version wrote
    (old.path / "manifest.json").write_text(json.dumps(manifest))
    with sqlite3.connect(old.segments[0].path / "chunks.sqlite") as db:
        db.execute("UPDATE chunks SET tokens = 'console versions released following year'")
    vectors = old.segments[0].vectors().copy()
    old.close()
    report, _ = ingest_hash(folder)
    new = IndexStore.open(index)
    assert report.chunks_embedded == 0 and new.path != old.path and new.manifest.tokenizer == TOKENIZER_ID
    assert (new.segments[0].vectors() == vectors).all()
    assert "releas" in new.segments[0].db.execute("SELECT tokens FROM chunks").fetchone()[0].split()


def test_small_writes_add_a_segment_and_tombstone_without_rebuilding(ingest_hash, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from rag.embed import HashEmbedder
    from rag.retrieve import HybridRetriever
    from rag.stores import local

    monkeypatch.setattr(local, "COMPACT_SHARE", 0.95)
    folder = tmp_path / "news"
    folder.mkdir()
    for f in SEEDS.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    _, index = ingest_hash(folder)
    base = _segments(IndexStore.open(index))[0]
    stamp = (index / base / "dense.faiss").stat().st_mtime_ns
    (folder / "new.txt").write_text("2016年3月,独角兽质量大会在聊城召开。", encoding="utf-8")
    report, _ = ingest_hash(folder)
    store = IndexStore.open(index)
    m = store.manifest
    assert report.added == ["new.txt"] and report.chunks_embedded == 1 and not m.compacted
    assert _segments(store)[0] == base and len(_segments(store)) == 2
    assert (index / base / "dense.faiss").stat().st_mtime_ns == stamp  # the big segment was not rewritten
    retriever = HybridRetriever(store, HashEmbedder())
    assert retriever.search(retriever.analyze("独角兽质量大会"), 1, modes=("bm25",))[0].chunk.doc_id == "new.txt"
    assert store.keyword.df("独角兽") == 1 and store.document("new.txt") is not None

    assert remove(index, ["new.txt", SHENZHEN]) == ["new.txt", SHENZHEN]
    store = IndexStore.open(index)
    m = store.manifest
    assert _segments(store) == [base] and m.dead == {base: [SHENZHEN]}  # new.txt's segment is dropped
    retriever = HybridRetriever(store, HashEmbedder())
    for q in ("独角兽质量大会", "质量强市示范城市 南京 泸州"):
        hits = retriever.search(retriever.analyze(q), 50)
        assert all(h.chunk.doc_id not in ("new.txt", SHENZHEN) for h in hits), q
    assert store.document(SHENZHEN) is None and SHENZHEN not in {d["doc_id"] for d in store.documents()}
    assert not store.chunks([f"{SHENZHEN}#0", "new.txt#0"]) and m.documents == 4

    again, _ = ingest_hash(folder)  # the removed files are still there: they come back, into a new segment
    assert sorted(again.added) == sorted(["new.txt", SHENZHEN]) and IndexStore.open(index).manifest.documents == 6


def test_large_write_compacts_into_one_segment(ingest_hash, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text("2015年,南京成为示范城市。", encoding="utf-8")
    _, index = ingest_hash(folder)
    for f in SEEDS.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    report, _ = ingest_hash(folder)
    store = IndexStore.open(index)
    assert store.manifest.compacted and len(_segments(store)) == 1 and report.documents == 6
    assert len([p for p in (index / "segments").iterdir()]) == 1  # the replaced segment was pruned


def test_segmented_bm25_scores_like_one_index() -> None:
    import numpy as np

    from rag.keyword import KeywordIndex, SegmentedKeyword, tokenize

    texts = [f"第{i}篇 质量 城市 {'泸州 南京' if i % 7 == 0 else '包头'} 大会 {'独角兽' if i == 40 else ''}" for i in range(60)]
    lists = [tokenize(t) for t in texts]
    whole = KeywordIndex.build(lists)
    parts = SegmentedKeyword([KeywordIndex.build(lists[:45]), KeywordIndex.build(lists[45:])], [np.zeros(0, np.int64)] * 2)
    assert parts.size == whole.size and all(parts.df(t) == whole.df(t) for t in ("质量", "泸州", "独角兽", "nothing"))
    assert set(parts.vocab) == set(whole.vocab)
    scores, rows = whole.search("泸州 独角兽", 10)
    got = [(i * 45 + r, s) for i, ss, rs in parts.search("泸州 独角兽", 10) for s, r in zip(ss.tolist(), rs.tolist())]
    got.sort(key=lambda x: -x[1])
    assert [r for r, _ in got] == rows.tolist()  # the same ranking, same idf; only length normalisation is per segment
    np.testing.assert_allclose([s for _, s in got], scores, rtol=0.05)
    dead = SegmentedKeyword(parts.parts, [np.array([40 - 0], np.int64), np.zeros(0, np.int64)])
    assert not [r for i, _, rs in dead.search("独角兽", 5) for r in rs.tolist() if i == 0 and r == 40]
