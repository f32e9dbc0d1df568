"""Junk removal and metadata extraction on the seed articles (real scraped pages)."""

from __future__ import annotations

import re

import pytest

from rag.clean import clean, clean_text
from rag.load import RawArticle

from .conftest import SEEDS

# First and last words of each seed's article body, as a person reads the page.
BODIES = {
    "000_134084127a1d6434.txt": ("2015年2月2日至3日", "也分别作了经验交流。"),
    "001_601d5aada0628d2c.txt": ("本报讯 6月14日", "通讯员 肖艳伟)"),
    "002_b7bf3aecb8f9b87f.txt": ("让品质鹿城更高质量发展", "共计200多人参加了会议。(叶子蔚)"),
    "003_0397e52ffcd671d1.txt": ("9月16日-17日", "成功举办三届。"),
    "004_4ae39a300e80b9e5.txt": ("7月24日", "全力助推聊城质量强市战略的实施。"),
}
JUNK = [
    "您所在的位置", "您当前位置", "浏览次", "找回密码", "立即注册", "快速回复", "返回顶部", "分享到", "相关文章",
    "Copyright", "声明:", "图片新闻", "最新新闻", "最新评论", "084927ruuh9p82iouwi3ix.jpeg", ".png", "使用道具",
    "Powered by", "查看: 4173", "复制链接", "责任编辑", "本网注明",
]


def _doc(name: str):  # type: ignore[no-untyped-def]
    return clean(RawArticle(name, (SEEDS / name).read_text(encoding="utf-8")))


def _body_sentences(name: str) -> list[str]:
    raw = (SEEDS / name).read_text(encoding="utf-8")
    first, last = BODIES[name]
    body = raw[raw.index(first) : raw.index(last) + len(last)]
    lines = [re.sub(r"\s+", " ", line).strip() for line in body.splitlines()]
    lines = [line for line in lines if line and not re.fullmatch(r"[\w\-]+\.(?:jpe?g|png)|\d+", line)]
    return [s for line in lines for s in re.split(r"(?<=[。！？;；])", line) if s.strip()]


@pytest.mark.parametrize("name", sorted(BODIES))
def test_every_body_sentence_survives(name: str) -> None:
    text = _doc(name).text
    missing = [s for s in _body_sentences(name) if s.strip() not in text]
    assert not missing, missing[:3]


@pytest.mark.parametrize("name", sorted(BODIES))
def test_page_junk_is_removed(name: str) -> None:
    text = _doc(name).text
    assert [j for j in JUNK if j in text] == []


@pytest.mark.parametrize(
    ("name", "title", "date", "source"),
    [
        ("001_601d5aada0628d2c.txt", "聊城实施质量强市战略动员暨科学技术奖励大会召开", "2015-06-15", "聊城新闻网"),
        ("002_b7bf3aecb8f9b87f.txt", "包头市城市质量发展大会召开", "2016-04-21", "中国质量新闻网"),
        ("003_0397e52ffcd671d1.txt", "顾维中参加中国质量(杭州)大会接受媒体采访", "2021-09-17", None),
        ("000_134084127a1d6434.txt", None, "2015-02-02", None),
        ("004_4ae39a300e80b9e5.txt", None, None, None),
    ],
)
def test_metadata(name: str, title: str | None, date: str | None, source: str | None) -> None:
    doc = _doc(name)
    if title:
        assert doc.title == title
    else:  # no headline: the lead sentence stands in, clipped
        assert doc.title and doc.text.startswith(doc.title.rstrip("…"))
    assert doc.date == date  # 004 has no year anywhere: null, never invented
    assert doc.source == source


def test_years_mentioned_are_recorded() -> None:
    assert {2013, 2014, 2015} <= set(_doc("000_134084127a1d6434.txt").years)
    assert 2015 in _doc("004_4ae39a300e80b9e5.txt").years


def test_jsonl_metadata_wins_over_text() -> None:
    doc = clean(RawArticle("x", "发布:2015-6-15 9:22:32\n正文一句。", {"date": "2020-01-02", "title": "T"}))
    assert (doc.title, doc.date) == ("T", "2020-01-02")


@pytest.mark.parametrize(
    ("line", "date"),
    [("发布:2015-6-15 9:22:32  来源:聊城新闻网", "2015-06-15"), ("2016-04-21 16:25:53 中国质量新闻网", "2016-04-21"),
     ("发表于 2021-9-17 08:50:01 | 显示全部楼层", "2021-09-17")],
)
def test_datelines(line: str, date: str) -> None:
    doc = clean(RawArticle("x", f"某市召开质量大会\n{line}\n会议在某市召开。"))
    assert doc.date == date and doc.title == "某市召开质量大会" and line not in doc.text


def test_empty_and_tiny_text() -> None:
    assert clean_text("") == ""
    assert clean(RawArticle("x", "好")).text == "好"


def test_short_paragraph_starting_with_a_date_is_body_not_dateline() -> None:
    para = "2024年9月1日,测试城市在滨江公园举办了第一届桂花节。"
    doc = clean(RawArticle("x", f"桂花节开幕\n发布:2024-9-2\n{para}\n第二段。"))
    assert para in doc.text and doc.date == "2024-09-02"
    assert clean(RawArticle("y", f"{para}\n第二段。")).text.startswith(para)


def test_share_bar_before_the_article_on_the_same_line_is_removed() -> None:
    assert clean_text("用微信扫码二维码 分享至好友和朋友圈 中国男篮被分在第六档。") == "中国男篮被分在第六档。"
    assert clean_text("QQ好友  微博 微信好友   QQ空间 复制链接 12月10日，《三体》动画上线。") == "12月10日，《三体》动画上线。"
    assert clean_text("微博 微信 等平台上，他说：复制链接无效。") == "微博 微信 等平台上，他说：复制链接无效。"  # words, not a bar


def test_years_written_as_words_count_in_english_text() -> None:
    doc = clean(RawArticle("x", "Simona Halep won the title at Wimbledon in 2019, her second major (after 2018)."))
    assert {2018, 2019} <= set(doc.years)
    assert clean(RawArticle("y", "共有2000多人参加，增长3.2015个百分点。")).years == ()


def test_an_article_that_is_only_its_date_keeps_it() -> None:
    """A passage whose text is only a dateline is not emptied by removing the dateline."""
    doc = clean(RawArticle("x", "2024年1月29日", {"date": "2024-01-29"}))
    assert doc.text == "2024年1月29日" and doc.date == "2024-01-29"
    doc = clean(RawArticle("y", "某市召开质量大会\n2016-04-21 16:25:53 中国质量新闻网"))
    assert doc.text.strip() and doc.date == "2016-04-21" and "某市召开质量大会" in doc.text


def test_title_and_date_with_an_empty_body_are_its_text() -> None:
    doc = clean(RawArticle("x", "", {"title": "某市召开质量大会", "date": "2024-01-29"}))
    assert doc.text == "某市召开质量大会\n2024年1月29日" and doc.title == "某市召开质量大会"
    assert clean(RawArticle("y", "返回顶部\n分享到", {"date": "2020-08"})).text == "2020年8月"  # chrome only, a month
    assert clean(RawArticle("z", "")).text == "" and clean(RawArticle("w", "返回顶部")).text == ""
