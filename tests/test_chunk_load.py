"""Chunking offsets and boundaries; loading files in every supported encoding and format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.chunk import chunk, sentences, split
from rag.clean import clean
from rag.load import RawArticle, Skipped, decode, load
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
