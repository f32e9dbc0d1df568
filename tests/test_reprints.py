"""Reprint clusters: reprints found despite edits, other stories on the topic kept apart, incremental
add/remove, persistence without pickles, and one hit per cluster at retrieval."""

from __future__ import annotations

from pathlib import Path

from rag.reprints import ReprintIndex, collapse, normalize
from rag.types import Chunk, Hit

STORY = [
    "新华社南京3月5日电，江苏省今天召开新闻发布会，介绍今年一季度全省外贸进出口情况。",
    "据南京海关统计，一季度全省货物贸易进出口总值一万二千三百亿元，同比增长百分之六点八。",
    "其中出口七千六百亿元，增长百分之九点一；进口四千七百亿元，增长百分之三点二。",
    "民营企业进出口增长较快，占全省外贸总值的比重提高到百分之四十八。",
    "机电产品出口保持稳定，汽车、锂电池和太阳能电池等新三样产品出口增长超过三成。",
    "对共建一带一路国家进出口增长百分之十一，东盟继续保持全省第一大贸易伙伴地位。",
    "海关有关负责人表示，将继续优化通关流程，压缩整体通关时间，帮助企业稳订单拓市场。",
    "省商务厅表示，下一步将举办系列境外展会，支持外贸企业抢抓订单。",
    "专家分析认为，外需回暖和新兴市场开拓是一季度外贸增长的主要原因。",
    "业内人士预计，二季度全省外贸有望延续平稳增长态势。",
]
OTHER_STORY = [  # the same topic (a province's foreign trade), another story in other words
    "浙江省统计局日前发布数据显示，前两个月全省进出口规模继续扩大。",
    "宁波舟山港集装箱吞吐量创同期新高，港口物流运行总体顺畅。",
    "义乌小商品出口订单明显增加，跨境电商成为拉动增长的新引擎。",
    "受国际市场需求波动影响，部分纺织服装企业订单有所减少。",
    "省政府出台稳外贸十条措施，从融资、保险、物流等方面给予支持。",
    "多家企业负责人表示，正在加快开拓中东和拉美等新兴市场。",
    "分析人士指出，外贸结构优化升级的趋势仍在延续。",
    "全省高新技术产品出口占比进一步提高，产业链韧性增强。",
]
FOOTER = "关于我们 联系我们 网站地图 版权所有 某某新闻网 未经授权禁止转载 备案号京ICP备12345678号 违法和不良信息举报电话 举报邮箱"


def original() -> str:
    return "江苏一季度外贸进出口增长6.8%\n" + "".join(STORY)


def reprint() -> str:
    """Another outlet's copy: chrome, another headline, re-broken paragraphs, a sentence dropped, the tail cut."""
    kept = STORY[:3] + STORY[4:8]
    return "\n".join(
        ["东方快报 > 财经 > 正文", "快讯：江苏外贸开门红 一季度增长近七个百分点", "2024-03-06 来源：东方快报"]
        + ["".join(kept[:2]), "".join(kept[2:5]), "".join(kept[5:])]
        + ["（责任编辑：王明）", "分享到：微信 微博"]
    )


def test_reprint_found_despite_edits() -> None:
    idx = ReprintIndex()
    idx.add("orig", original())
    assert idx.add("copy", reprint()) == {"orig"}
    (pair,) = idx.pairs()
    assert pair.containment >= 0.7 and pair.jaccard < 0.9


def test_other_story_on_the_same_topic_is_not_merged() -> None:
    idx = ReprintIndex()
    idx.add("js", original())
    assert idx.add("zj", "浙江前两个月外贸规模扩大\n" + "".join(OTHER_STORY)) == set()
    assert idx.clusters() == []


def test_a_shared_footer_does_not_make_a_reprint() -> None:
    idx = ReprintIndex()
    idx.add("a", "".join(STORY[:3]) + FOOTER + FOOTER)
    assert idx.add("b", "".join(OTHER_STORY[:3]) + FOOTER + FOOTER) == set()


def test_short_texts_never_cluster() -> None:
    idx = ReprintIndex()
    idx.add("a", STORY[0])
    assert idx.add("b", STORY[0]) == set()


def test_remove_any_member_keeps_the_rest_right() -> None:
    idx = ReprintIndex()
    idx.add("a", original())
    idx.add("b", reprint())
    idx.add("c", "".join(STORY[:8]))
    idx.add("x", "".join(OTHER_STORY))
    assert idx.clusters() == [["a", "b", "c"]]
    for gone in ("a", "b", "c"):
        idx2 = ReprintIndex()
        for d, t in (("a", original()), ("b", reprint()), ("c", "".join(STORY[:8]))):
            idx2.add(d, t)
        assert idx2.remove(gone)
        rest = sorted({"a", "b", "c"} - {gone})
        assert idx2.clusters() == [rest] and idx2.reprints(rest[0]) == {rest[1]}
        assert idx2.reprints(gone) == set() and gone not in idx2
    assert idx.remove("a") and idx.remove("b") and idx.clusters() == [] and not idx.remove("b")


def test_re_adding_a_changed_document_replaces_it() -> None:
    idx = ReprintIndex()
    idx.add("a", original())
    idx.add("b", reprint())
    idx.add("b", "".join(OTHER_STORY))
    assert idx.clusters() == [] and len(idx) == 2


def test_save_and_load_give_the_same_clusters(tmp_path: Path) -> None:
    idx = ReprintIndex()
    for d, t in (("a", original()), ("b", reprint()), ("x", "".join(OTHER_STORY))):
        idx.add(d, t)
    idx.save(tmp_path / "rp")
    assert not list((tmp_path / "rp").glob("*.pkl"))
    back = ReprintIndex.load(tmp_path / "rp")
    assert back.clusters() == idx.clusters() == [["a", "b"]]
    assert back.add("c", "".join(STORY[:8])) == {"a", "b"}


def test_normalize_ignores_layout_and_punctuation() -> None:
    assert normalize("第一段，\n\n第二段。 Ａ") == normalize("第一段 第二段 a")


def _hit(doc: str, score: float) -> Hit:
    return Hit(Chunk(f"{doc}#0", doc, "文本", 0, 2), score)


def test_collapse_one_hit_per_cluster_in_rank_order() -> None:
    hits = [_hit("a1", 0.9), _hit("b", 0.8), _hit("a2", 0.7), _hit("c", 0.6), _hit("a3", 0.5), _hit("d", 0.4)]
    cmap = {"a1": "a1", "a2": "a1", "a3": "a1", "a4": "a1"}
    out = collapse(hits, cmap, {"a1": ["a1", "a2", "a3", "a4"]}, k=3)
    assert [c.hit.chunk.doc_id for c in out] == ["a1", "b", "c"]
    assert out[0].also == ("a2", "a3", "a4") and out[0].outlets == 3 and out[1].also == ()


def test_collapse_prefers_the_earliest_dated_copy_at_the_clusters_rank() -> None:
    hits = [_hit("b", 0.95), _hit("late", 0.9), _hit("early", 0.5)]
    out = collapse(hits, {"late": "k", "early": "k"}, dates={"late": "2024-03-06", "early": "2024-03-05"})
    assert [c.hit.chunk.doc_id for c in out] == ["b", "early"] and out[1].also == ("late",)
