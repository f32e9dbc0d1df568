"""Reprint clusters kept beside the index: one article per story in results, surviving removal of any member."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from rag.clusters import Clusters, sidecar
from rag.ingest import remove

from .conftest import SEEDS, SHENZHEN

COPY_A, COPY_B = "900_reprint_a.txt", "900_reprint_b.txt"


def _reprinted(folder: Path) -> Path:
    """The seeds plus two reprints of the Shenzhen article: other chrome and headline, re-broken, tail cut."""
    folder.mkdir()
    for f in SEEDS.iterdir():
        shutil.copy(f, folder / f.name)
    text = (SEEDS / SHENZHEN).read_text(encoding="utf-8")
    (folder / COPY_A).write_text("转载自新华网 | 首页 > 新闻\n质量强市现场会在深圳召开\n" + text.replace("。", "。\n"), encoding="utf-8")
    cut = text[: int(len(text) * 0.8)]
    (folder / COPY_B).write_text("深圳召开全国质量强市示范城市创建现场会（来源：某日报）\n\n" + cut, encoding="utf-8")
    return folder


def test_reprints_cluster_and_results_hold_one_copy(ingest_hash, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from rag import Assistant

    report, index = ingest_hash(_reprinted(tmp_path / "docs"))
    assert len(report.added) == 7 and report.cluster_seconds > 0
    clusters = Clusters.load(index)
    assert clusters.duplicates(SHENZHEN) == sorted([COPY_A, COPY_B])
    assert all(clusters.duplicates(d) == [] for d in clusters.hashes if d not in (SHENZHEN, COPY_A, COPY_B))
    assert (sidecar(index) / "hashes.json").is_file()

    a = Assistant.load(index, embedder="hash")
    hits = a.search("全国质量管理暨质量强市示范城市创建工作现场会", k=5)
    story = [h for h in hits if h.chunk.doc_id in (SHENZHEN, COPY_A, COPY_B)]
    assert story and len({h.chunk.doc_id for h in story}) == 1  # one copy of the story in the top 5
    assert len(story[0].also) == 2  # "also reported by 2 outlets"
    answer = a.ask("哪些城市在2015年成为第二批全国质量强市示范城市?")
    cited = {c.doc_id for c in answer.citations} & {SHENZHEN, COPY_A, COPY_B}
    assert len(cited) <= 1  # never two copies of one story as two sources
    assert all(len(c.also) == 2 for c in answer.citations if c.doc_id in cited)


def test_clusters_survive_removing_any_member(ingest_hash, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, index = ingest_hash(_reprinted(tmp_path / "docs"))
    assert remove(index, [SHENZHEN]) == [SHENZHEN]
    assert Clusters.load(index).duplicates(COPY_A) == [COPY_B]  # the two remaining copies still form one story
    assert remove(index, [COPY_B]) == [COPY_B]
    assert Clusters.load(index).duplicates(COPY_A) == []


def test_a_lost_or_broken_sidecar_is_rebuilt_on_the_next_ingest(ingest_hash, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    docs = _reprinted(tmp_path / "docs")
    _, index = ingest_hash(docs)
    (sidecar(index) / "reprints.json").write_text("{not json", encoding="utf-8")
    assert Clusters.load(index).duplicates(SHENZHEN) == []  # unreadable: no clusters, nothing breaks
    (docs / "new.txt").write_text("一篇新的报道，讲述另一件事情，与质量强市无关，但有足够的文字。" * 3, encoding="utf-8")
    ingest_hash(docs)
    assert Clusters.load(index).duplicates(SHENZHEN) == sorted([COPY_A, COPY_B])
    assert json.loads((sidecar(index) / "hashes.json").read_text(encoding="utf-8")).keys() >= {SHENZHEN, "new.txt"}


def test_show_reports_how_each_field_was_found(ingest_hash, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from rag.cli import main

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SEEDS / SHENZHEN, docs / SHENZHEN)
    (docs / "page.html").write_text(
        "<html><head><title>测试城市举办桂花节_测试日报</title><meta name='date' content='2024-09-01'></head><body>"
        "<div class='nav'>首页 | 新闻 | 设为首页</div><article><h1>测试城市举办首届桂花节</h1>"
        + "<p>9月1日上午，测试城市在滨江公园举办首届桂花节，活动为期七天，首日吸引游客三万人次。</p>" * 3
        + "</article><div class='footer'>版权所有 测试日报</div></body></html>", encoding="utf-8")
    _, index = ingest_hash(docs)
    assert main(["show", SHENZHEN, "page.html", "--index", str(index), "--json"]) == 0
    shown = {d["doc_id"]: d for d in json.loads(capsys.readouterr().out)}
    assert shown[SHENZHEN]["found"]["date"] == "rag.clean (headline, dateline)" and shown[SHENZHEN]["found"]["url"] == "not found"
    page = shown["page.html"]["found"]
    assert page["text"] == "trafilatura" and page["date"] == "meta:date" and page["encoding"] == "utf-8"
    assert shown["page.html"]["date"] == "2024-09-01"
