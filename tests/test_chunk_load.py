"""Chunking offsets and boundaries; loading files in every supported encoding and format."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from rag.chunk import chunk, sentences, split
from rag.clean import clean
from rag.load import RawArticle, Skipped, decode, load, not_text
from rag.store import IndexStore
from rag.types import Document

from .conftest import SEEDS

ZH = "第一句话。第二句话！“第三句话。”第四句话？第五句；"


def test_sentences_keep_closing_quotes() -> None:
    spans = sentences(ZH)
    assert [ZH[s:e] for s, e in spans] == ["第一句话。", "第二句话！", "“第三句话。”", "第四句话？", "第五句；"]


def test_chunks_are_whole_sentences_with_overlap() -> None:
    spans = split(ZH, size=12, overlap=1)
    texts = [ZH[s:e] for s, e in spans]
    assert all(t.endswith(("。", "！", "”", "？", "；")) for t in texts)
    assert texts[0] == "第一句话。第二句话！" and texts[1].startswith("第二句话！")


def test_long_sentence_is_split_at_clauses() -> None:
    text = "，".join(["很长的一个分句"] * 30) + "。"
    spans = split(text, size=50, overlap=0)
    assert len(spans) > 1 and all(e - s <= 50 for s, e in spans)
    assert "".join(text[s:e] for s, e in spans) == text


@pytest.mark.parametrize("name", sorted(p.name for p in SEEDS.iterdir()))
def test_chunk_offsets_point_into_the_cleaned_text(name: str) -> None:
    doc = clean(RawArticle(name, (SEEDS / name).read_text(encoding="utf-8")))
    chunks = chunk(doc, 300, 1)
    assert chunks and all(doc.text[c.start : c.end] == c.text for c in chunks)
    assert all(c.doc_id == name and c.title == doc.title and c.date == doc.date for c in chunks)
    assert max(c.end for c in chunks) == len(doc.text.rstrip())


def test_empty_one_char_and_mixed_text() -> None:
    assert chunk(Document("e", ""), 300, 1) == []
    assert [c.text for c in chunk(Document("o", "好"), 300, 1)] == ["好"]
    mixed = "深圳 Shenzhen 质量😀大会 in 2015! 下一句。"
    assert "".join(c.text for c in chunk(Document("m", mixed), 300, 0)) .replace(" ", "") == mixed.replace(" ", "")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "big5"])
def test_encodings_are_detected(encoding: str) -> None:
    text = "南京、南通、溫州成為第二批示範城市。" if encoding == "big5" else "南京、南通、温州成为第二批全国质量强市示范城市。"
    assert decode(text.encode(encoding)) == text


def test_undecodable_file_is_skipped_and_the_rest_loaded(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("好文章。", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\xfa\x80\x81" * 50)
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    items = list(load([tmp_path]))
    assert [i.doc_id for i in items if isinstance(i, RawArticle)] == ["good.txt"]
    assert [Path(i.path).name for i in items if isinstance(i, Skipped)] == ["bad.txt"]


def test_html_and_jsonl_and_nested_ids(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.html").write_text(
        "<html><head><title>标题</title><script>var x=1;</script></head><body><nav>首页</nav><p>正文。</p></body></html>",
        encoding="utf-8",
    )
    rows = [{"id": "n1", "text": "第一篇。", "title": "T1", "date": "2020-01-01"}, {"title": "no text"}]
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\nnot json\n", encoding="utf-8")
    items = list(load([tmp_path]))
    arts = {i.doc_id: i for i in items if isinstance(i, RawArticle)}
    assert set(arts) == {"sub/a.html", "n1"}
    assert arts["sub/a.html"].text == "正文。" and arts["sub/a.html"].meta["title"] == "标题"
    assert arts["n1"].meta == {"title": "T1", "date": "2020-01-01"}
    skipped = [i.path for i in items if isinstance(i, Skipped)]
    assert [s.rsplit(":", 1)[1] for s in skipped] == ["2", "3"]


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("notes.md", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40, "zip"),
        ("paper.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        ("photo.html", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        ("scan.md", b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        ("dump.txt", "好文章。".encode() + b"\x00\x01\x02" + "后面。".encode(), "NUL"),
        ("ctrl.txt", bytes([1, 2, 3, 4, 5, 6, 7, 8]) * 20 + "文字".encode(), "control bytes"),
        ("wide.txt", "好文章。".encode("utf-16"), "UTF-16"),
    ],
)
def test_binary_files_are_skipped_whatever_the_extension(tmp_path: Path, name: str, data: bytes, why: str) -> None:
    (tmp_path / name).write_bytes(data)
    (tmp_path / "good.txt").write_text("好文章。", encoding="utf-8")
    items = list(load([tmp_path]))
    assert [i.doc_id for i in items if isinstance(i, RawArticle)] == ["good.txt"]
    (skip,) = [i for i in items if isinstance(i, Skipped)]
    assert Path(skip.path).name == name and "not text" in skip.reason and why in skip.reason


def test_text_with_tabs_form_feeds_and_escapes_is_text() -> None:
    assert not_text("第一行\t制表\n\f第二页\r\n\x1b[0m".encode()) is None


def _big(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "big.txt").write_text("".join(f"第{i}句话讲一件事情。" for i in range(n)), encoding="utf-8")
    (folder / "small.txt").write_text("一篇短文章。", encoding="utf-8")
    return folder


def test_oversized_document_is_truncated_with_a_warning(tmp_path: Path, ingest_hash, caplog) -> None:  # type: ignore[no-untyped-def]
    folder = _big(tmp_path, 2000)
    with caplog.at_level(logging.WARNING, logger="rag.sizes"):
        report, index = ingest_hash(folder, max_doc_chars=5000, large_doc_chars=1000)
    assert sorted(report.added) == ["big.txt", "small.txt"]
    assert any("truncated big.txt" in r.getMessage() for r in caplog.records)
    assert any("large document big.txt" in r.getMessage() for r in caplog.records)
    assert any(re.search(r"about to embed \d+ chunks; estimated", r.getMessage()) for r in caplog.records)
    store = IndexStore.open(index)
    doc = store.document("big.txt")
    assert doc is not None and 4500 < len(doc.text) <= 5000 and doc.text.endswith("。")
    store.close()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="rag.sizes"):
        again, _ = ingest_hash(folder, max_doc_chars=5000, large_doc_chars=1000)
    assert again.unchanged == 2 and not again.added and not caplog.records  # unchanged source: no re-embedding


def test_oversized_document_can_be_refused(tmp_path: Path, ingest_hash) -> None:  # type: ignore[no-untyped-def]
    report, _ = ingest_hash(_big(tmp_path, 2000), max_doc_chars=5000, oversize="refuse")
    assert report.added == ["small.txt"]
    (skip,) = report.skipped
    assert skip.path == "big.txt" and "too large" in skip.reason and "--max-doc-chars" in skip.reason


def test_small_documents_are_not_reported(tmp_path: Path, ingest_hash, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.WARNING, logger="rag.sizes"):
        report, _ = ingest_hash(_big(tmp_path, 20))
    assert len(report.added) == 2 and not caplog.records


def test_no_article_with_any_text_disappears_at_ingest(tmp_path: Path, ingest_hash, caplog) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {"id": "date-only", "text": "2021年11月17日", "date": "2021-11-17"},
        {"id": "title-only", "text": "", "title": "某地举行春季运动会", "date": "2024-03-05"},
        {"id": "nothing", "text": "  "},
        {"id": "chrome", "text": "返回顶部\n分享到"},
        {"id": "body", "text": "某地今天举行春季运动会，三千人参加。"},
    ]
    (tmp_path / "c.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="rag.ingest"):
        report, index = ingest_hash(tmp_path / "c.jsonl")
    assert sorted(report.added) == ["body", "date-only", "title-only"]
    assert {s.path: s.reason for s in report.skipped} == {
        "nothing": "nothing to index: no text, title or date", "chrome": "nothing but page chrome, and no title or date"}
    assert {r.getMessage() for r in caplog.records} >= {
        "skipped nothing: nothing to index: no text, title or date",
        "skipped chrome: nothing but page chrome, and no title or date"}
    store = IndexStore.open(index)
    assert store.document("date-only").text == "2021年11月17日"  # type: ignore[union-attr]
    assert store.document("title-only").text == "某地举行春季运动会\n2024年3月5日"  # type: ignore[union-attr]
    store.close()
